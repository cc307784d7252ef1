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
    unit; the coder's answer when uncalibrated), labelled."""
    frame = unit_topic_frame(corpus)
    cal = load_calibration(corpus.project) if calibration is True else calibration or None
    labels = project_labels(corpus) if labels is None else labels
    frame["probability"] = (cal.probability(frame) if cal is not None
                            else frame["discussed"].to_numpy(float))
    labelled = frame["unit_id"].isin(labels).to_numpy()
    truth = np.fromiter((t in labels.get(u, ()) for u, t in zip(frame["unit_id"], frame["topic"])),
                        float, len(frame))
    frame.loc[labelled, "probability"] = truth[labelled]
    frame["labelled"] = labelled
    frame.attrs["calibration"] = cal
    return frame


def simulate_tagged(part: pd.DataFrame, cal: Calibration, codes: np.ndarray, size: int,
                    rng: np.random.Generator, *, seed: int, passes: int = PASSES) -> np.ndarray:
    """Simulated characters tagged with one topic per group (groups x draws*passes): under
    each of the calibration's bootstrap draws (with its event shift, seeded by `seed`),
    `passes` times every unit is tagged at random with its chance; a unit in
    `part["labelled"]` keeps its `probability` (the reader's answer) throughout. Divided by
    the group's characters, these are the simulated shares."""
    chars = part["n_chars"].to_numpy(float)
    chances = cal.probability_draws(part, seed=seed)
    known = part["labelled"].to_numpy()
    chances[known] = part["probability"].to_numpy(float)[known, None]
    sims = []
    for _ in range(passes):
        tagged = rng.random(chances.shape) < chances
        sims += [np.bincount(codes, chars * tagged[:, b], size) for b in range(tagged.shape[1])]
    return np.stack(sims, axis=1)


def topic_shares(corpus: Corpus, by: str = "event_id", *, level: float = LEVEL,
                 calibration: Calibration | None | bool = True,
                 labels: dict[str, frozenset] | None = None, groups=None,
                 seed: int = SEED) -> pd.DataFrame:
    """Topic shares per group with their interval.

    `by`: `event_id`, `speaker_id`, `role`, `corpus` (one group), or `event_group` with
    `groups` mapping event_id -> group (events pooled by period or series). Columns: <by>,
    topic, estimate (share of the group's characters about the topic), low, high (the
    `level` interval; empty when uncalibrated), p_top (the share of simulations in which
    this topic is the group's largest), raw (the keyword coder's share, as the charts had
    it), expected_units (units a reader would tag, summed probabilities), n_units,
    n_labelled (units of the group a reader labelled), validated_on (what the numbers rest
    on, for captions). Sorted by group, then codebook order.
    """
    frame = unit_probabilities(corpus, calibration=calibration, labels=labels)
    cal: Calibration | None = frame.attrs["calibration"]
    if by == "corpus":
        frame["corpus"] = "all"
    elif by == "role":
        frame["role"] = frame["speaker_id"].map(corpus.speakers.set_index("speaker_id")["role"])
    elif by == "event_group":
        frame["event_group"] = frame["event_id"].map(dict(groups))
    ids = list(codebook(corpus.root).ids)
    index = pd.Index(sorted(frame[by].dropna().unique()), name=by)
    code = pd.Categorical(frame[by], categories=index).codes
    rng = np.random.default_rng(seed)
    rows, sims = [], []
    for number, topic in enumerate(ids):
        at = np.flatnonzero((frame["topic"].to_numpy() == topic) & (code >= 0))
        g, part = code[at], frame.iloc[at]
        c = part["n_chars"].to_numpy(float)
        total = np.bincount(g, c, len(index))
        estimate = np.bincount(g, c * part["probability"].to_numpy(float), len(index)) / total
        raw = np.bincount(g, c * part["discussed"].to_numpy(float), len(index)) / total
        low = high = np.full(len(index), np.nan)
        if cal is not None:
            sims.append(simulate_tagged(part, cal, g, len(index), rng, seed=seed + number)
                        / total[:, None])
            low, high = np.quantile(sims[-1], [(1 - level) / 2, (1 + level) / 2], axis=1)
            # a few units give a lumpy distribution whose mean can sit just outside the
            # percentiles: the interval always holds the estimate it is drawn around
            low, high = np.minimum(low, estimate), np.maximum(high, estimate)
        rows.append(pd.DataFrame({
            by: index, "topic": topic, "estimate": estimate, "low": low, "high": high,
            "raw": raw,
            "expected_units": np.bincount(g, part["probability"].to_numpy(float), len(index)),
            "n_units": np.bincount(g, minlength=len(index)),
            "n_labelled": np.bincount(g, part["labelled"].to_numpy(float), len(index)).astype(int)}))
    out = pd.concat(rows, ignore_index=True)  # topic-major: row = topic * groups + group
    if sims:
        stacked = np.stack(sims)  # topics x groups x simulations
        top = stacked.argmax(axis=0)
        out["p_top"] = np.concatenate([(top == k).mean(axis=1) for k in range(len(ids))])
    else:
        out["p_top"] = np.nan
    out = out[[by, "topic", "estimate", "low", "high", "p_top", "raw", "expected_units",
               "n_units", "n_labelled"]]
    out["topic"] = pd.Categorical(out["topic"], categories=ids)
    out = out.sort_values([by, "topic"], kind="stable").reset_index(drop=True)
    out["topic"] = out["topic"].astype(str)
    out["validated_on"] = _validated_on(cal, int(frame.drop_duplicates("unit_id")["labelled"].sum()),
                                        frame["unit_id"].nunique())
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
