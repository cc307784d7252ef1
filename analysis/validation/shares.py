"""How right the chart numbers are: topic x event shares against the shares the readers'
labels give, cross-fitted (the calibration that estimates a unit never saw that unit's
label).

Labelled units are split into folds (round robin within each event, after a seeded
shuffle); for each fold the calibration is fitted on the other folds and the fold's units
are estimated as if no one had labelled them. A cell is compared on the labelled units of
its event: the readers' share there is the truth. Reported: mean absolute error and bias of
the keyword share (raw) and of the estimate, how often the 90 % interval covers the readers'
share, and whether the top topic is right where the readers' leader is clearly ahead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.coding import codebook
from analysis.corpus import Corpus
from analysis.estimates.calibration import Calibration, fit_calibration
from analysis.estimates.features import unit_topic_frame
from analysis.estimates.shares import LEVEL, SEED

FOLDS = 5
CLEAR_LEAD = 0.05  # a leader this far ahead of the runner-up must be named


def crossfit_cells(corpus: Corpus, labels: dict[str, frozenset], *, folds: int = FOLDS,
                   draws: int = 50, seed: int = SEED, level: float = LEVEL,
                   spread: float | None = None, calibration: Calibration | None = None,
                   by_event: bool = False) -> pd.DataFrame:
    """event_id, topic, truth (readers' share over the event's labelled units), raw,
    estimate, low, high, n_labelled: one row per cell, cross-fitted; with `calibration`,
    that one for every unit instead (a calibration fitted elsewhere, checked here); with
    `by_event`, one fold per event (how the calibration carries to an event it never saw)."""
    ids = list(codebook(corpus.root).ids)
    frame = unit_topic_frame(corpus)
    frame = frame[frame["unit_id"].isin(labels)].reset_index(drop=True)
    if calibration is not None:
        draws = calibration.draws.shape[0]
    rng = np.random.default_rng(seed)
    fold_of = {}
    if by_event:  # each event estimated by a calibration that never saw it
        events = sorted(frame["event_id"].unique())
        folds = len(events)
        fold_of = dict(zip(frame["unit_id"], frame["event_id"].map(events.index)))
    for _, part in frame.drop_duplicates("unit_id").groupby("event_id", sort=True):
        if by_event:
            break
        units = part["unit_id"].to_numpy().copy()
        rng.shuffle(units)
        fold_of.update({u: i % folds for i, u in enumerate(units)})
    fold = frame["unit_id"].map(fold_of).to_numpy()
    frame["y"] = np.fromiter((t in labels[u] for u, t in zip(frame["unit_id"], frame["topic"])),
                             float, len(frame))
    frame["p"] = np.nan
    sims = np.zeros((len(frame), draws))
    for k in range(folds):
        train = {u: labels[u] for u, f in fold_of.items() if f != k}
        cal = calibration or fit_calibration(frame, train, ids, draws=draws, seed=seed + k)
        held = fold == k
        part = frame[held]
        frame.loc[held, "p"] = cal.probability(part)
        sims[held] = rng.random((held.sum(), draws)) < cal.probability_draws(
            part, spread=spread, seed=seed + k)
    c = frame["n_chars"].to_numpy(float)
    keys = ["event_id", "topic"]
    weighted = frame[keys].assign(w=c, truth=c * frame["y"], raw=c * frame["discussed"],
                                  estimate=c * frame["p"])
    cells = weighted.groupby(keys, sort=True).sum()
    for column in ("truth", "raw", "estimate"):
        cells[column] /= cells["w"]
    cell_of = frame.groupby(keys, sort=True).ngroup().to_numpy()
    shares = np.stack([np.bincount(cell_of, c * sims[:, b]) for b in range(draws)], axis=1)
    shares /= np.bincount(cell_of, c)[:, None]
    cells["low"], cells["high"] = np.quantile(shares, [(1 - level) / 2, (1 + level) / 2], axis=1)
    cells["n_labelled"] = frame.groupby(keys, sort=True)["unit_id"].size()
    return cells.drop(columns="w").reset_index()


def leaders(cells: pd.DataFrame, column: str = "estimate") -> pd.DataFrame:
    """Per event: the readers' leader and its lead, and what the estimate may claim: one
    leader when its interval lies above every other topic's, else none."""
    rows = []
    for event, part in cells.groupby("event_id", sort=True):
        truth = part.sort_values("truth", ascending=False)
        est = part.sort_values(column, ascending=False)
        top, rest = est.iloc[0], est.iloc[1:]
        single = bool((top["low"] > rest["high"]).all()) if "low" in part else True
        rows.append({"event_id": event, "readers_top": truth["topic"].iloc[0],
                     "lead": truth["truth"].iloc[0] - truth["truth"].iloc[1],
                     "estimate_top": top["topic"], "raw_top": part.loc[part["raw"].idxmax(), "topic"],
                     "names_one": single})
    return pd.DataFrame(rows)


def summary(cells: pd.DataFrame) -> dict:
    """MAE and bias (points), interval coverage and top-topic agreement."""
    top = leaders(cells)
    clear = top[top["lead"] >= CLEAR_LEAD]
    unclear = top[top["lead"] < CLEAR_LEAD]
    covered = (cells["low"] <= cells["truth"] + 1e-12) & (cells["truth"] <= cells["high"] + 1e-12)
    return {
        "cells": len(cells),
        "raw_mae": 100 * (cells["raw"] - cells["truth"]).abs().mean(),
        "raw_bias": 100 * (cells["raw"] - cells["truth"]).mean(),
        "mae": 100 * (cells["estimate"] - cells["truth"]).abs().mean(),
        "bias": 100 * (cells["estimate"] - cells["truth"]).mean(),
        "coverage": float(covered.mean()),
        "clear_events": len(clear),
        "clear_right": int((clear["estimate_top"] == clear["readers_top"]).sum()),
        "clear_right_raw": int((clear["raw_top"] == clear["readers_top"]).sum()),
        "unclear_events": len(unclear),
        "unclear_single_claims": int(unclear["names_one"].sum()),
    }


def chart_report(corpora: dict[str, tuple]) -> list[str]:
    """The chart-level section of `make evaluate`: for each corpus with labelled units, the
    topic x event error raw and calibrated (cross-fitted, or under a given calibration),
    with the targets."""
    lines = []
    for name, (corpus, labels, calibration, *by_event) in corpora.items():
        if labels:
            cells = crossfit_cells(corpus, labels, calibration=calibration,
                                   by_event=bool(by_event and by_event[0]))
            lines += report_lines(name, cells) + [""]
    return lines


def report_lines(name: str, cells: pd.DataFrame) -> list[str]:
    """The summary as report lines, beside the targets."""
    s = summary(cells)
    return [f"{name}: topic x event shares over {s['cells']} cells",
            f"  keyword share (raw): mean error {s['raw_mae']:.2f} points, bias {s['raw_bias']:+.2f}",
            f"  calibrated estimate: mean error {s['mae']:.2f} points (target <= 3), bias "
            f"{s['bias']:+.2f} (target within +-1)",
            f"  90 % intervals cover the readers' share in {100 * s['coverage']:.0f} % of cells "
            "(target 85-95 %)",
            f"  top topic right on {s['clear_right']} of {s['clear_events']} events with a clear "
            f"leader (raw: {s['clear_right_raw']}); of {s['unclear_events']} near-ties, "
            f"{s['unclear_single_claims']} would name a single leader (target 0)"]
