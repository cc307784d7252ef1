"""Codebook fit: how well the project's codebook fits each event's text, its topic keyword
hits per 10,000 characters against the other events' (`codebook_fit`, `low_fit`). A module
of its own because the stance table leaves low-fit events unscored and the stance summary
leaves them out: both sit above it, the topic table it is measured on below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.coding.codebook import TOPIC_MODEL_FILE, codebook
from analysis.coding.memo import _memo, _select
from analysis.coding.overrides import _overrides, _topic_fixes
from analysis.coding.topics import topic_table
from analysis.corpus import Corpus
from analysis.text.lexicons import files_stamp
from analysis.text.normalise import ALIASES_FILE

LOW_FIT_RATIO = 0.4
"""An event whose codebook hits per 10k characters fall below this share of the other events'
upper quartile is marked low-fit: the codebook was not written for what it discusses.
Measured with the AI codebook: its five example events give ratios 0.50-1.62 (the lowest, an
unpunctuated ASR podcast), with one or three finance episodes added to them; the finance
episodes 0.20-0.29."""


def codebook_fit(corpus: Corpus, *, topics: pd.DataFrame | None = None,
                 low_ratio: float = LOW_FIT_RATIO) -> pd.DataFrame:
    """How well the project's codebook fits each event's text.

    Columns: event_id, n_chars (speech and questions), hits_per_10k (topic keyword hits per
    10,000 characters), topic_share (share of units carrying any topic), fit_ratio
    (hits_per_10k over the upper quartile of the other events': robust when several events
    are off-domain), low_fit (fit_ratio < low_ratio;
    needs at least three events to compare with, else False). Events in corpus order.
    """
    if topics is None:  # the project's own table: kept until its codebook or overrides change
        book = codebook(corpus.root)
        key = ("codebook_fit", low_ratio, str(book.path), files_stamp(
            book.path, book.path.with_name(TOPIC_MODEL_FILE), ALIASES_FILE),
            _topic_fixes(_overrides(corpus, True)))
        return _memo(corpus, key, lambda: codebook_fit(corpus, topics=topic_table(corpus),
                                                       low_ratio=low_ratio))
    spoken = _select(corpus, False, None)
    frame = corpus.events[["event_id"]].copy()
    frame["n_chars"] = frame["event_id"].map(spoken.groupby("event_id")["n_chars"].sum()) \
        .fillna(0).astype("int64")
    hits = topics.groupby("event_id")["hits"].sum()
    frame["hits_per_10k"] = (frame["event_id"].map(hits).fillna(0)
                             / frame["n_chars"].where(frame["n_chars"] > 0) * 10_000).round(1)
    carrying = topics.groupby("event_id")["unit_id"].nunique()
    units = spoken.groupby("event_id").size()
    frame["topic_share"] = (frame["event_id"].map(carrying).fillna(0)
                            / frame["event_id"].map(units)).round(3)
    rates = frame["hits_per_10k"].to_numpy()  # NaN for an event without spoken text
    ratios = []
    for i, rate in enumerate(rates):
        others = [r for j, r in enumerate(rates) if j != i and r == r]
        middle = float(np.quantile(others, 0.75)) if others else 0.0  # linear, as pandas
        ratios.append(round(rate / middle, 3) if middle > 0 and rate == rate else float("nan"))
    frame["fit_ratio"] = ratios
    enough = frame["hits_per_10k"].notna().sum() >= 3
    frame["low_fit"] = (frame["fit_ratio"] < low_ratio) & bool(enough)
    return frame.reset_index(drop=True)
