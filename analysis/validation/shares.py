"""How right the chart numbers are: topic x event shares against the shares the readers'
labels give, cross-fitted (the calibration that estimates a unit never saw that unit's
label).

Labelled units are split into folds (round robin within each event, after a seeded
shuffle; or one fold per event); for each fold the calibration is fitted on the other folds
and the fold's units are simulated as if no one had labelled them, exactly as
`analysis.estimates.topic_shares` simulates unlabelled units. A cell is compared on the
labelled units of its event: the readers' share there is the truth. Reported: mean absolute
error and bias of the keyword share (raw) and of the estimate, overall and for the large
cells; how often the 90 % interval covers the readers' share; and, for events whose readers'
leader is clearly ahead, whether the chart's title rule names it, names another, or names
none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.coding import codebook
from analysis.corpus import Corpus
from analysis.estimates.calibration import Calibration, fit_calibration
from analysis.estimates.features import unit_topic_frame
from analysis.estimates.labels import LEVEL, SEED
from analysis.estimates.shares import SURE, simulate_tagged

FOLDS = 5
DRAWS = 50  # bootstrap refits per fold
CLEAR_LEAD = 0.05  # a readers' leader this far ahead of the runner-up should be named
LARGE = 0.20  # cells at least this large (readers' share) are reported on their own


def crossfit_cells(corpus: Corpus, labels: dict[str, frozenset], *, folds: int = FOLDS,
                   draws: int = DRAWS, seed: int = SEED, level: float = LEVEL,
                   calibration: Calibration | None = None, by_event: bool = False,
                   keep: set[str] = frozenset()) -> pd.DataFrame:
    """event_id, topic, truth (readers' share over the event's labelled units), raw,
    estimate, low, high, p_top (share of simulations where the topic is the event's
    largest), n_labelled: one row per cell, cross-fitted; with `calibration`, that one for
    every unit instead (a calibration fitted elsewhere, checked here); with `by_event`, one
    fold per event (how the calibration carries to an event it never saw); units in `keep`
    count with their labels, as a project's own labelled units do."""
    ids = list(codebook(corpus.root).ids)
    frame = unit_topic_frame(corpus)
    frame = frame[frame["unit_id"].isin(labels)].reset_index(drop=True)
    frame["y"] = np.fromiter((t in labels[u] for u, t in zip(frame["unit_id"], frame["topic"])),
                             float, len(frame))
    frame["labelled"] = frame["unit_id"].isin(keep).to_numpy()  # the rest: as if unlabelled
    events = sorted(frame["event_id"].unique())
    frame["code"] = frame["event_id"].map({e: i for i, e in enumerate(events)})
    rng = np.random.default_rng(seed)
    if by_event:
        fold_of = dict(zip(frame["unit_id"], frame["code"]))
        folds = len(events)
    else:
        fold_of = {}
        for _, part in frame.drop_duplicates("unit_id").groupby("event_id", sort=True):
            units = part["unit_id"].to_numpy().copy()
            rng.shuffle(units)
            fold_of.update({u: i % folds for i, u in enumerate(units)})
    fold = frame["unit_id"].map(fold_of).to_numpy()
    frame["p"] = np.nan
    tagged = None
    for k in range(folds):
        train = {u: labels[u] for u, f in fold_of.items() if f != k}
        cal = calibration or fit_calibration(frame, train, ids, draws=draws, seed=seed + k)
        known = frame["labelled"].to_numpy() | ((fold != k) & (calibration is None))
        effects = cal.cell_effects(frame[known], frame["y"].to_numpy()[known])
        held = frame[fold == k]
        frame.loc[held.index, "p"] = np.where(held["labelled"], held["y"],
                                              cal.probability(held, effects))
        held = held.assign(probability=frame.loc[held.index, "p"])
        for number, topic in enumerate(ids):
            part = held[held["topic"] == topic]
            sims = simulate_tagged(part, cal, part["code"].to_numpy(), len(events), rng,
                                   seed=seed + 1000 * k + number, effects=effects)
            if tagged is None:
                tagged = np.zeros((len(ids), len(events), sims.shape[1]))
            tagged[number] += sims
    chars = frame[frame["topic"] == ids[0]].groupby("code")["n_chars"].sum().reindex(
        range(len(events))).to_numpy(float)
    shares = tagged / chars[None, :, None]  # topics x events x simulations
    top = shares.argmax(axis=0)
    c = frame["n_chars"].to_numpy(float)
    keys = ["event_id", "topic"]
    cells = frame[keys].assign(w=c, truth=c * frame["y"], raw=c * frame["discussed"],
                               estimate=c * frame["p"]).groupby(keys, sort=False).sum()
    for column in ("truth", "raw", "estimate"):
        cells[column] /= cells["w"]
    low, high = np.quantile(shares, [(1 - level) / 2, (1 + level) / 2], axis=2)
    per_cell = pd.DataFrame({"event_id": np.repeat([events], len(ids), axis=0).ravel(),
                             "topic": np.repeat(ids, len(events)),
                             "low": low.ravel(), "high": high.ravel(),
                             "p_top": np.concatenate([(top == k).mean(axis=1)
                                                      for k in range(len(ids))])})
    cells = cells.reset_index().merge(per_cell, on=keys)
    cells["low"] = np.minimum(cells["low"], cells["estimate"])
    cells["high"] = np.maximum(cells["high"], cells["estimate"])
    cells["n_labelled"] = cells["w"].map(lambda _: 0)  # replaced below
    cells["n_labelled"] = cells.merge(frame.groupby(keys).size().rename("n").reset_index(),
                                      on=keys)["n"].to_numpy()
    return cells.drop(columns="w").sort_values(keys).reset_index(drop=True)


def leaders(cells: pd.DataFrame) -> pd.DataFrame:
    """Per event: the readers' leader and its lead, the estimate's and the keyword share's
    largest topic, and what the title rule names (the largest topic when it is the largest in
    at least SURE of the simulations, else none)."""
    rows = []
    for event, part in cells.groupby("event_id", sort=True):
        truth = part.sort_values(["truth", "topic"], ascending=[False, True], kind="stable")
        est = part.sort_values(["estimate", "topic"], ascending=[False, True], kind="stable")
        raw = part.sort_values(["raw", "topic"], ascending=[False, True], kind="stable")
        named = est["topic"].iloc[0] if est["p_top"].iloc[0] >= SURE else None
        rows.append({"event_id": event, "readers_top": truth["topic"].iloc[0],
                     "lead": truth["truth"].iloc[0] - truth["truth"].iloc[1],
                     "estimate_top": est["topic"].iloc[0], "raw_top": raw["topic"].iloc[0],
                     "named": named})
    return pd.DataFrame(rows)


def summary(cells: pd.DataFrame) -> dict:
    """Errors and bias in points, overall and on large cells; interval coverage; the title
    rule on events with a clear readers' leader and on near-ties."""
    top = leaders(cells)
    clear, unclear = top[top["lead"] >= CLEAR_LEAD], top[top["lead"] < CLEAR_LEAD]
    covered = (cells["low"] <= cells["truth"] + 1e-12) & (cells["truth"] <= cells["high"] + 1e-12)
    large = cells["truth"] >= LARGE
    error = cells["estimate"] - cells["truth"]
    return {
        "cells": len(cells),
        "raw_mae": 100 * (cells["raw"] - cells["truth"]).abs().mean(),
        "raw_bias": 100 * (cells["raw"] - cells["truth"]).mean(),
        "mae": 100 * error.abs().mean(), "bias": 100 * error.mean(),
        "coverage": float(covered.mean()),
        "large_cells": int(large.sum()),
        "large_bias": 100 * error[large].mean() if large.any() else float("nan"),
        "large_coverage": float(covered[large].mean()) if large.any() else float("nan"),
        "clear_events": len(clear),
        "top_right": int((clear["estimate_top"] == clear["readers_top"]).sum()),
        "top_right_raw": int((clear["raw_top"] == clear["readers_top"]).sum()),
        "named_right": int((clear["named"] == clear["readers_top"]).sum()),
        "named_wrong": int((clear["named"].notna() & (clear["named"] != clear["readers_top"])).sum()),
        "unclear_events": len(unclear),
        "unclear_named": int(unclear["named"].notna().sum()),
    }


def chart_report(corpora: dict[str, tuple]) -> list[str]:
    """The chart-level section of `make evaluate`: for each (corpus, labels, calibration or
    None, by_event[, units that keep their labels]) with labelled units, the topic x event
    error raw and calibrated."""
    lines = []
    for name, (corpus, labels, calibration, by_event, *keep) in corpora.items():
        if labels:
            cells = crossfit_cells(corpus, labels, calibration=calibration, by_event=by_event,
                                   keep=keep[0] if keep else frozenset())
            lines += report_lines(name, cells) + [""]
    return lines


def report_lines(name: str, cells: pd.DataFrame) -> list[str]:
    """The summary as report lines, beside the targets."""
    s = summary(cells)
    return [f"{name}: topic x event shares over {s['cells']} cells",
            f"  keyword share (raw): mean error {s['raw_mae']:.2f} points, bias {s['raw_bias']:+.2f}",
            f"  calibrated estimate: mean error {s['mae']:.2f} points (targets: <= 3 on the "
            "example, <= 4 on new transcripts with 60 drawn units), bias "
            f"{s['bias']:+.2f} (target within +-1); cells of {LARGE:.0%}+ ({s['large_cells']}): "
            f"bias {s['large_bias']:+.2f}, coverage {100 * s['large_coverage']:.0f} %",
            f"  90 % intervals cover the readers' share in {100 * s['coverage']:.0f} % of cells "
            "(target 85-95 %)",
            f"  {s['clear_events']} events with a clear readers' leader: the estimate's top topic "
            f"is right on {s['top_right']} (keyword share: {s['top_right_raw']}); the title names "
            f"it on {s['named_right']}, names another on {s['named_wrong']}, names none on "
            f"{s['clear_events'] - s['named_right'] - s['named_wrong']}; of {s['unclear_events']} "
            f"near-ties, {s['unclear_named']} named (target 0)"]


def labels_to_halve(corpus: Corpus, *, seed: int = SEED) -> dict | None:
    """How many more labelled units would halve the widest topic x event interval of the
    coding (the units' sampling left aside: labels cannot shrink it): units of that event
    not yet labelled are labelled, in a seeded random order, with answers drawn from their
    own chances, and the cell's interval recomputed, in steps that double, until it is half
    as wide. None when the project is uncalibrated. Returns event_id, topic,
    low, high, unlabelled (units of the event without a label) and needed (None when even
    all of them would not do)."""
    from analysis.estimates.shares import topic_shares, unit_probabilities

    frame = unit_probabilities(corpus)
    if frame.attrs["calibration"] is None:
        return None
    shares = topic_shares(corpus, "event_id", probabilities=frame, seed=seed, sampling=False)
    widest = shares.loc[(shares["high"] - shares["low"]).idxmax()]
    width = widest["high"] - widest["low"]
    part = frame[frame["event_id"] == widest["event_id"]]
    part.attrs = frame.attrs
    open_units = np.array(sorted(part.loc[~part["labelled"], "unit_id"].unique()))
    rng = np.random.default_rng(seed)
    rng.shuffle(open_units)
    answers = rng.random(len(part)) < part["probability"].to_numpy(float)
    found = {"event_id": widest["event_id"], "topic": widest["topic"], "low": widest["low"],
             "high": widest["high"], "unlabelled": len(open_units), "needed": None}
    k = 1
    while width > 0 and k <= len(open_units):
        chosen = part["unit_id"].isin(open_units[:k]).to_numpy()
        trial = part.assign(labelled=part["labelled"].to_numpy() | chosen,
                            probability=np.where(chosen, answers.astype(float), part["probability"]))
        trial.attrs = frame.attrs
        cell = topic_shares(corpus, "event_id", probabilities=trial, seed=seed, sampling=False)
        cell = cell[cell["topic"] == widest["topic"]].iloc[0]
        if cell["high"] - cell["low"] <= width / 2:
            found["needed"] = k
            break
        k = len(open_units) if k * 2 > len(open_units) > k else k * 2
    return found


def halving_lines(corpus: Corpus) -> list[str]:
    """`labels_to_halve` as a report line."""
    found = labels_to_halve(corpus)
    if found is None:
        return []
    where = (f"Widest interval of the coding (the units' sampling aside): "
             f"{found['event_id']} / {found['topic']}, "
             f"{100 * found['low']:.0f}-{100 * found['high']:.0f} % "
             f"({100 * (found['high'] - found['low']):.0f} points)")
    if found["high"] - found["low"] < 0.01:
        return [f"{where}: every interval is within a point; no more labels needed"]
    if found["needed"] is None:
        return [f"{where}; labelling all {found['unlabelled']} unlabelled units of that event "
                "would not halve it (the calibration's own uncertainty): label other events too"]
    return [f"{where}; about {found['needed']} more labelled units of that event (of "
            f"{found['unlabelled']} unlabelled) would halve it (`validate draw`)"]
