"""What the calibration model sees of each (unit, topic): the keyword coder's evidence in the
unit, the unit's size, the competing topics, and the topic's presence around it.

Every feature is computed from the coded tables alone, so a transcript never seen gets the
same kind of description: nothing names an event, a speaker or a word.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.coding import codebook, topic_table
from analysis.corpus import Corpus

FEATURES = ("discussed", "mentioned", "salience", "log_hits", "log_chars", "other_topics",
            "neighbours")
"""The shared features; the model adds one intercept and one `discussed` slope per topic.
(The event's own keyword share was tried and left out: it helped within the example's
events but not on an event left out of the fit, 4.49 against 4.20 points.)"""


def unit_topic_frame(corpus: Corpus, *, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (spoken unit, codebook topic), sorted by unit and topic: unit_id,
    event_id, speaker_id, topic, n_chars and the FEATURES."""
    ids = list(codebook(corpus.root).ids)
    units = corpus.units if units is None else units
    mentions = topic_table(corpus, mentions=True)
    coded = (mentions.groupby(["unit_id", "topic"], sort=False)
             .agg(salience=("salience", "max"), hits=("hits", "sum"),
                  discussed=("discussed", "max")))
    base = units[["unit_id", "event_id", "speaker_id", "seq", "n_chars"]]
    frame = base.loc[base.index.repeat(len(ids))].reset_index(drop=True)
    frame["topic"] = np.tile(ids, len(base))
    frame = frame.join(coded, on=["unit_id", "topic"])
    frame["mentioned"] = frame["hits"].notna().astype(float)
    frame["salience"] = frame["salience"].fillna(0.0).astype(float)
    frame["log_hits"] = np.log1p(frame["hits"].fillna(0).astype(float))
    frame["discussed"] = frame["discussed"].fillna(False).astype(float)
    frame = frame.drop(columns="hits")
    frame["log_chars"] = np.log(frame["n_chars"].clip(lower=1).astype(float))
    frame["other_topics"] = (frame.groupby("unit_id")["discussed"].transform("sum")
                             - frame["discussed"])
    order = frame.sort_values(["event_id", "topic", "seq"], kind="stable")
    near = order.groupby(["event_id", "topic"], sort=False)["discussed"]
    frame["neighbours"] = ((near.shift(1).fillna(0) + near.shift(-1).fillna(0)
                            + 0.5 * (near.shift(2).fillna(0) + near.shift(-2).fillna(0))) / 3
                           ).reindex(frame.index)
    return frame.drop(columns="seq").sort_values(["unit_id", "topic"], kind="stable"
                                                 ).reset_index(drop=True)


def design(frame: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """The model's inputs: the shared FEATURES, then a one-hot intercept per topic, then the
    topic's own `discussed` slope."""
    shared = frame[list(FEATURES)].to_numpy(float)
    onehot = (frame["topic"].to_numpy()[:, None] == np.asarray(ids)[None, :]).astype(float)
    return np.hstack([shared, onehot, onehot * frame["discussed"].to_numpy(float)[:, None]])
