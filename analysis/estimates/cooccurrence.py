"""Which topics come up together, as an estimate: the lift of each topic pair (units a
reader would tag with both, over what the two topics' frequencies predict if they were
independent) from each unit's chances, with a 90 % interval.

The counts are expected counts (summed probabilities; a labelled unit counts its reader's
answer). The interval is simulated like the shares' (`analysis.estimates.shares`): under
each bootstrap draw of the calibration, every unlabelled unit's topics are drawn at random
with their chances, the units are weighed by a Bayesian bootstrap (the talk as one sample
of what it might have been), and the lift computed on the drawn tags.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from itertools import combinations

import numpy as np
import pandas as pd

from analysis.estimates.labels import LEVEL, SEED
from analysis.estimates.shares import unit_weights

CHUNK = 10  # bootstrap draws simulated at once


def topic_lift(probabilities: pd.DataFrame, topics: list[str], *, level: float = LEVEL,
               seed: int = SEED) -> pd.DataFrame:
    """One row per topic pair (left after right in codebook order): left, right, both
    (expected units about both), left_n, right_n (expected units about each), lift (1 =
    independent), low, high (the `level` interval of the lift; empty when uncalibrated),
    from `analysis.estimates.shares.unit_probabilities`."""
    units = sorted(probabilities["unit_id"].unique())
    grid = probabilities.pivot(index="unit_id", columns="topic", values="probability"
                               ).reindex(index=units, columns=topics).fillna(0.0).to_numpy()
    total = len(units)
    n = grid.sum(axis=0)
    both = grid.T @ grid  # off the diagonal: sum over units of p_a * p_b
    np.fill_diagonal(both, n)
    lifts = _lift(both, n, total)
    cal = probabilities.attrs.get("calibration")
    low = high = np.full_like(lifts, np.nan)
    if cal is not None and total:
        ordered = probabilities.set_index(["unit_id", "topic"]).reindex(
            pd.MultiIndex.from_product([units, topics], names=["unit_id", "topic"])).reset_index()
        known = ordered["labelled"].fillna(False).to_numpy(bool)
        answers = ordered["probability"].to_numpy(float)[known, None]
        rng = np.random.default_rng(seed)
        bootstrap = unit_weights(total, len(cal.draws), seed + 7)
        sims = []
        for first in range(0, len(cal.draws), CHUNK):  # a few draws at a time: memory stays small
            chunk = replace(cal, draws=cal.draws[first:first + CHUNK])
            chances = chunk.probability_draws(ordered, effects=probabilities.attrs.get("effects"),
                                              seed=seed + first)
            chances[known] = answers
            chances = chances.reshape(total, len(topics), -1)
            for d in range(chances.shape[2]):
                tags = (rng.random(chances.shape[:2]) < chances[:, :, d]).astype(float)
                w = bootstrap[:, first + d, None].astype(float)  # the units as one more sample
                sims.append(_lift((tags * w).T @ tags, (tags * w).sum(axis=0), float(w.sum())))
        stacked = np.stack(sims)
        with warnings.catch_warnings():  # a pair no simulation saw has no interval
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanquantile(stacked, [(1 - level) / 2, (1 + level) / 2], axis=0)
    rows = []
    for a, b in combinations(range(len(topics)), 2):
        rows.append({"left": topics[b], "right": topics[a], "both": both[a, b],
                     "left_n": n[b], "right_n": n[a], "lift": lifts[a, b],
                     "low": min(low[a, b], lifts[a, b]), "high": max(high[a, b], lifts[a, b])})
    return pd.DataFrame(rows, columns=["left", "right", "both", "left_n", "right_n", "lift",
                                       "low", "high"])


def _lift(both: np.ndarray, n: np.ndarray, total: float) -> np.ndarray:
    expected = np.outer(n, n) / max(total, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, both / np.where(expected > 0, expected, 1), np.nan)
