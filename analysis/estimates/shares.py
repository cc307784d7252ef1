"""Topic shares as estimates: the probability-weighted share of a group's text about each
topic, with an interval.

A unit of `c` characters that a reader would tag with the topic with probability `p`
(`analysis.estimates.calibration`) adds `c * p` to the topic's expected characters; a unit a
reader did label adds `c` or nothing. The interval comes from simulation: under each of the
calibration's bootstrap draws, every unlabelled unit is tagged or not at random with its
probability, and the group's share computed; the 5th and 95th percentiles bound a 90 %
interval that holds both the calibration's uncertainty and the chance in which units a
reader would tag. Simulations use a fixed seed, so the same corpus gives the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.coding import codebook
from analysis.corpus import Corpus
from analysis.estimates.calibration import UNCALIBRATED, Calibration, load_calibration
from analysis.estimates.features import unit_topic_frame
from analysis.estimates.labels import (EVALUATION_DIR, LABEL_FILES, LEVEL, SEED,
                                       read_labelled_units, unit_labels)
from analysis.project.folder import REPOSITORY

PASSES = 5  # Bernoulli passes per bootstrap draw: 500 simulations keep the percentiles steady
EXAMPLE_LABELS = REPOSITORY / "tests" / "data" / "units_eval"


def project_labels(corpus: Corpus) -> dict[str, frozenset]:
    """unit_id -> topics for the units of this corpus that a reader labelled: the project's
    `evaluation/` label files; for the example project, its evaluation set."""
    own = corpus.root / EVALUATION_DIR
    if any((own / name).is_file() for name in LABEL_FILES):
        labelled = read_labelled_units(*(own / name for name in LABEL_FILES))
    elif corpus.project.is_example:
        labelled = read_labelled_units(*(EXAMPLE_LABELS / name for name in LABEL_FILES),
                                       corpus="example")
    else:
        return {}
    return unit_labels(corpus, labelled)


WIDE = 0.20
"""An interval wider than this (20 points of share) is too wide to read a cell by: charts mark it."""


SURE = 0.95
"""A topic is named a group's leader when it is the largest in at least this share of the
simulations: the one-sided 5 % that matches the two-sided 90 % intervals."""


def leader(shares: pd.DataFrame, column: str = "estimate") -> tuple[pd.Series, bool]:
    """The row with the largest estimate among `shares` (one group's topics) and whether it
    is the leader beyond doubt: the largest in at least SURE of the simulations, which
    compares the topics draw by draw (without a calibration nothing is beyond doubt)."""
    ordered = shares.sort_values([column, "topic"], ascending=[False, True], kind="stable")
    top = ordered.iloc[0]
    if pd.isna(top["p_top"]):
        return top, False
    return top, bool(top["p_top"] >= SURE)


def unit_probabilities(corpus: Corpus, *, calibration: Calibration | None | bool = True,
                       labels: dict[str, frozenset] | None = None) -> pd.DataFrame:
    """One row per (unit, topic): unit_id, event_id, speaker_id, topic, n_chars, discussed
    (the keyword coder's answer), probability (calibrated; 1/0 where a reader labelled the
    unit; the coder's answer when uncalibrated), labelled. An unlabelled unit's probability
    carries what the labelled units of its event showed about the topic there
    (`Calibration.cell_effects`, kept in `attrs["effects"]` for the intervals)."""
    frame = unit_topic_frame(corpus)
    cal = load_calibration(corpus.project) if calibration is True else calibration or None
    labels = project_labels(corpus) if labels is None else labels
    labelled = frame["unit_id"].isin(labels).to_numpy()
    truth = np.fromiter((t in labels.get(u, ()) for u, t in zip(frame["unit_id"], frame["topic"])),
                        float, len(frame))
    effects = cal.cell_effects(frame[labelled], truth[labelled]) if cal is not None else None
    frame["probability"] = (cal.probability(frame, effects) if cal is not None
                            else frame["discussed"].to_numpy(float))
    frame.loc[labelled, "probability"] = truth[labelled]
    frame["labelled"] = labelled
    frame.attrs["calibration"] = cal
    frame.attrs["effects"] = effects
    return frame


def simulate_tagged(part: pd.DataFrame, cal: Calibration, codes: np.ndarray, size: int,
                    rng: np.random.Generator, *, seed: int, passes: int = PASSES,
                    effects: pd.DataFrame | None = None) -> np.ndarray:
    """Simulated characters tagged with one topic per group (groups x draws*passes): under
    each of the calibration's bootstrap draws (with its event shift, seeded by `seed`),
    `passes` times every unit is tagged at random with its chance; a unit in
    `part["labelled"]` keeps its `probability` (the reader's answer) throughout. Divided by
    the group's characters, these are the simulated shares."""
    return _simulate(part, cal, [(codes, size)], rng, seed=seed, passes=passes,
                     effects=effects)[0]


def _simulate(part: pd.DataFrame, cal: Calibration, groupings: list[tuple[np.ndarray, int]],
              rng: np.random.Generator, *, seed: int, passes: int = PASSES,
              effects: pd.DataFrame | None = None,
              weights: np.ndarray | None = None) -> list[np.ndarray]:
    """`simulate_tagged` for several groupings of the same rows at once (codes, size; a code
    below 0 leaves the row out of that grouping): one simulation of the tags serves them all.
    `weights` (rows x draws*passes) weigh each row's characters in each simulation (the
    units' bootstrap weights)."""
    chars = part["n_chars"].to_numpy(float)
    chances = cal.probability_draws(part, seed=seed, effects=effects)
    known = part["labelled"].to_numpy()
    chances[known] = part["probability"].to_numpy(float)[known, None]
    draws = chances.shape[1]
    sims: list[list[np.ndarray]] = [[] for _ in groupings]
    for n in range(passes):
        counted = chars[:, None] * (rng.random(chances.shape) < chances)
        if weights is not None:
            counted = counted * weights[:, n * draws:(n + 1) * draws]
        for k, (codes, size) in enumerate(groupings):
            sims[k].append(_group_sums(codes, size, counted))
    return [np.concatenate(found, axis=1) for found in sims]


def _group_sums(codes: np.ndarray, size: int, values: np.ndarray) -> np.ndarray:
    """Column by column, the sum of `values` (rows x columns) over each group's rows (groups
    x columns), in one bincount; rows whose code is below 0 count nowhere."""
    columns = values.shape[1]
    slots = (np.where(codes < 0, size, codes)[:, None]
             + (size + 1) * np.arange(columns)[None, :]).ravel()
    summed = np.bincount(slots, values.ravel(), (size + 1) * columns)
    return summed.reshape(columns, size + 1)[:, :size].T


def unit_weights(n_units: int, simulations: int, seed: int) -> np.ndarray:
    """Bayesian-bootstrap weights (units x simulations, exponential, mean 1): each
    simulation weighs the units as one more sample of the same talk might have, so a share
    resting on a few units is as uncertain as they are, even where readers labelled them."""
    return np.random.default_rng(seed).exponential(1.0, (n_units, simulations)).astype(np.float32)


def topic_shares(corpus: Corpus, by: str = "event_id", *, level: float = LEVEL,
                 calibration: Calibration | None | bool = True,
                 labels: dict[str, frozenset] | None = None, groups=None,
                 seed: int = SEED, probabilities: pd.DataFrame | None = None,
                 sampling: bool = True) -> pd.DataFrame:
    """Topic shares per group with their interval.

    `by`: `event_id`, `speaker_id`, `role`, `corpus` (one group), or `event_group` with
    `groups` mapping event_id -> group (events pooled by period or series). Columns: <by>,
    topic, estimate (share of the group's characters about the topic), low, high (the
    `level` interval; empty when uncalibrated), p_top (the share of simulations in which
    this topic is the group's largest), raw (the keyword coder's share, as the charts had
    it), expected_units (units a reader would tag, summed probabilities), n_units,
    n_labelled (units of the group a reader labelled), validated_on (what the numbers rest
    on, for captions). Sorted by group, then codebook order. `probabilities`: the corpus's
    `unit_probabilities`, when already at hand (the other arguments then do not apply).
    `sampling=False` leaves the units' sampling out of the interval (what labels cannot
    shrink), keeping the coding's uncertainty alone.
    """
    return topic_shares_by(corpus, [by], level=level, calibration=calibration, labels=labels,
                           groups=groups, seed=seed, probabilities=probabilities,
                           sampling=sampling)[by]


def topic_shares_by(corpus: Corpus, bys: list[str], *, level: float = LEVEL,
                    calibration: Calibration | None | bool = True,
                    labels: dict[str, frozenset] | None = None, groups=None,
                    seed: int = SEED, probabilities: pd.DataFrame | None = None,
                    sampling: bool = True) -> dict[str, pd.DataFrame]:
    """`topic_shares` for several groupings at once ({by: frame}), from one simulation of
    which units a reader would tag: what the charts need, at the cost of one."""
    source = (unit_probabilities(corpus, calibration=calibration, labels=labels)
              if probabilities is None else probabilities)
    cal: Calibration | None = source.attrs["calibration"]
    effects = source.attrs["effects"]
    frame = source.copy()
    frame.attrs = {}  # pandas deep-copies attrs on every operation: keep them out of the loop
    if "corpus" in bys:
        frame["corpus"] = "all"
    if "role" in bys:
        frame["role"] = frame["speaker_id"].map(corpus.speakers.set_index("speaker_id")["role"])
    if "event_group" in bys:
        frame["event_group"] = frame["event_id"].map(dict(groups))
    ids = list(codebook(corpus.root).ids)
    indexes = {by: pd.Index(sorted(frame[by].dropna().unique()), name=by) for by in bys}
    codes = {by: pd.Categorical(frame[by], categories=indexes[by]).codes for by in bys}
    rng = np.random.default_rng(seed)
    rows = {by: [] for by in bys}
    sims = {by: [] for by in bys}
    is_topic = frame["topic"].to_numpy()
    unit = pd.Categorical(frame["unit_id"]).codes
    bootstrap = (unit_weights(unit.max() + 1, len(cal.draws) * PASSES, seed + 7)
                 if cal is not None and len(frame) and sampling else None)
    weighed = {}  # each group's characters under each simulation's bootstrap weights
    if bootstrap is not None:
        first = np.flatnonzero(is_topic == ids[0])  # every unit has one row per topic
        chars = frame["n_chars"].to_numpy(float)[first, None] * bootstrap[unit[first]]
        weighed = {by: _group_sums(codes[by][first], len(indexes[by]), chars) for by in bys}
    for number, topic in enumerate(ids):
        at = np.flatnonzero(is_topic == topic)
        part = frame.iloc[at]
        c = part["n_chars"].to_numpy(float)
        p = part["probability"].to_numpy(float)
        found = (_simulate(part, cal, [(codes[by][at], len(indexes[by])) for by in bys], rng,
                           seed=seed + number, effects=effects,
                           weights=None if bootstrap is None else bootstrap[unit[at]])
                 if cal is not None else None)
        for k, by in enumerate(bys):
            g, size = codes[by][at], len(indexes[by])
            inside = g >= 0
            g, w = np.where(inside, g, 0), inside.astype(float)

            def summed(values: np.ndarray) -> np.ndarray:
                return np.bincount(g, values * w, size)  # noqa: B023

            total = summed(c)
            estimate = summed(c * p) / total
            low = high = np.full(size, np.nan)
            if found is not None:
                sims[by].append(found[k] / (weighed[by] if bootstrap is not None
                                            else total[:, None]))
                low, high = np.quantile(sims[by][-1], [(1 - level) / 2, (1 + level) / 2], axis=1)
                # a few units give a lumpy distribution whose mean can sit just outside the
                # percentiles: the interval always holds the estimate it is drawn around
                low, high = np.minimum(low, estimate), np.maximum(high, estimate)
            rows[by].append(pd.DataFrame({
                by: indexes[by], "topic": topic, "estimate": estimate, "low": low, "high": high,
                "raw": summed(c * part["discussed"].to_numpy(float)) / total,
                "expected_units": summed(p), "n_units": summed(np.ones(len(g))).astype(int),
                "n_labelled": summed(part["labelled"].to_numpy(float)).astype(int)}))
    validated = _validated_on(cal, int(frame.drop_duplicates("unit_id")["labelled"].sum()),
                              frame["unit_id"].nunique())
    out = {}
    for by in bys:
        table = pd.concat(rows[by], ignore_index=True)  # topic-major: topic * groups + group
        if sims[by]:
            top = np.stack(sims[by]).argmax(axis=0)  # topics x groups x simulations -> largest
            table["p_top"] = np.concatenate([(top == k).mean(axis=1) for k in range(len(ids))])
        else:
            table["p_top"] = np.nan
        table = table[[by, "topic", "estimate", "low", "high", "p_top", "raw", "expected_units",
                       "n_units", "n_labelled"]]
        table["topic"] = pd.Categorical(table["topic"], categories=ids)
        table = table.sort_values([by, "topic"], kind="stable").reset_index(drop=True)
        table["topic"] = table["topic"].astype(str)
        table["validated_on"] = validated
        out[by] = table
    return out


def _validated_on(cal: Calibration | None, labelled: int, units: int) -> str:
    """What the numbers rest on, for a caption: readers' labels where they exist, then the
    calibration (or none) for the rest."""
    rest = cal.validated_on if cal is not None else UNCALIBRATED
    if not labelled:
        return rest
    if labelled == units:
        return f"readers' labels on all {units} units"
    return f"readers' labels on {labelled} of {units} units; the rest {rest}"
