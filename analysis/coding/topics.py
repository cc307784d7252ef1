"""The topic table: the topics each analysis unit (analysis.units) discusses by the project's
codebook (analysis.coding.codebook), with evidence.

topic_table    unit_id, event_id, speaker_id, topic, salience, hits, matched, source
               (topics the unit discusses; `mentions=True`: every keyword mention, with
               `discussed`)

`matched` says which words decided each row; `source` is `lexicon`, or `override` where the
project's overrides.yaml sets the answer. The units are coded in the pool's processes
(`_topic_coder`), and the codebook's mentions kept per corpus (`TopicLexicon`) so that a
new override applies at once.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.coding.codebook import TOPIC_MODEL_FILE, Codebook, codebook
from analysis.coding.memo import _cached, _memo, _prepared_key, _record_batch, _unit_items
from analysis.coding.overrides import Overrides, _overrides, _topic_fixes
from analysis.coding.words import analysis_text
from analysis.corpus import Corpus
from analysis.scale.pool import batches as _batches, map_texts
from analysis.text.lexicons import files_stamp
from analysis.text.normalise import ALIASES_FILE


def _topic_coder(book: Codebook, prepare: bool, mentions: bool = True):
    """The topic mentions of one (unit_id, event_id, speaker_id, text) (only the discussed
    ones unless `mentions`), each with whether it counts as discussed, and its analysis text when `prepare` asks for it and it differs
    from the text (less to send back from a worker): the per-unit work of `topic_table`,
    run in the pool's processes. Overrides are applied afterwards, to the whole table."""
    order = {t: i for i, t in enumerate(book.ids)}

    def code(item: tuple[str, str, str, str]) -> tuple[str | None, list[tuple]]:
        uid, event, speaker, text = item
        prepared = analysis_text(text) if prepare else text
        rows = [(uid, event, speaker, topic, round(salience, 3), len(words),
                 "、".join(dict.fromkeys(words)), "lexicon", discussed)
                for topic, words, _, salience, discussed in
                sorted(book.assess(prepared), key=lambda found: order[found[0]])
                if discussed or mentions]
        return (prepared if prepare and prepared != text else None), rows

    def code_batch(batch: list[tuple[str, str, str, str]]) -> tuple[pa.Array, pa.RecordBatch]:
        coded = [code(item) for item in batch]
        return (pa.array([changed for changed, _ in coded], pa.string()),
                _record_batch([row for _, part in coded for row in part], _TOPIC_SCHEMA))
    return code_batch


_TOPIC_SCHEMA = pa.schema([
    ("unit_id", pa.string()), ("event_id", pa.string()), ("speaker_id", pa.string()),
    ("topic", pa.string()), ("salience", pa.float64()), ("hits", pa.int64()),
    ("matched", pa.string()), ("source", pa.string()), ("discussed", pa.bool_())])


def topic_table(corpus: Corpus, *, include_notes: bool = False, kinds=None,
                overrides: bool | str | Path = True, book: Codebook | None = None,
                mentions: bool = False, jobs: int | None = None) -> pd.DataFrame:
    """One row per (unit, topic) the unit discusses, with its salience and matched words.

    A keyword alone is a mention, not a topic: `mentions=True` returns every (unit, topic)
    with a keyword (the evidence), with `discussed` saying whether it counts. Speech and
    questions by default; `include_notes=True` adds notes and meta. `overrides=False`
    ignores the project's overrides.yaml (a path reads another file). A large corpus is
    coded on `jobs` processes (default: every core); the table is the same.
    """
    if book is None and kinds is None:  # the codebook's codes are kept per corpus
        book = codebook(corpus.root)
        stamp = files_stamp(book.path, book.path.with_name(TOPIC_MODEL_FILE), ALIASES_FILE)
        key = ("topic_lexicon", include_notes, mentions, str(book.path), stamp)
        lexicon = _cached(corpus, key, lambda: _topic_lexicon(corpus, include_notes, None, book,
                                                              jobs, mentions))
        if overrides is True:  # and the table with the project's overrides, until they change
            final = ("topic_table", include_notes, mentions, key,
                     _topic_fixes(_overrides(corpus, True)))
            return _memo(corpus, final, lambda: topic_table(
                corpus, include_notes=include_notes, mentions=mentions, jobs=jobs,
                overrides=corpus.project.overrides_file))
    else:
        book = book or codebook(corpus.root)
        lexicon = _topic_lexicon(corpus, include_notes, kinds, book, jobs, mentions)
    frame = lexicon.with_overrides(_overrides(corpus, overrides))
    return frame if mentions else frame[frame["discussed"].to_numpy()].drop(
        columns="discussed").reset_index(drop=True)


def _topic_lexicon(corpus: Corpus, include_notes: bool, kinds, book: Codebook,
                   jobs: int | None, mentions: bool = True) -> "TopicLexicon":
    """The topics the coded units discuss by the codebook alone (no overrides), and every
    mention with `mentions` (what an added override replaces is then visible too)."""
    key = _prepared_key(include_notes, kinds)
    prepare = key not in corpus.memo
    items = sorted(_unit_items(corpus, include_notes, kinds) if prepare else corpus.memo[key])  # by unit id: the rows come back in the table's order
    coded = map_texts(_topic_coder(book, prepare, mentions), _batches(items, jobs), jobs,
                      units=len(items))
    if prepare:  # the analysis texts, kept for the stance table
        changes = [text for changed, _ in coded for text in changed.to_pylist()]
        corpus.memo[key] = [(uid, event, speaker, text if changed is None else changed)
                            for (uid, event, speaker, text), changed in zip(items, changes)]
    frame = pa.Table.from_batches([rows for _, rows in coded], _TOPIC_SCHEMA).to_pandas()
    return TopicLexicon(frame, {uid: (event, speaker) for uid, event, speaker, _ in items},
                        book.ids)


class TopicLexicon:
    """A codebook's topic mentions of a corpus's units, sorted by unit and topic, with
    integer keys so that the analyst's overrides apply in milliseconds (the explorer writes
    one and shows the new table at once)."""

    def __init__(self, frame: pd.DataFrame, units: dict[str, tuple[str, str]],
                 topics: tuple[str, ...]) -> None:
        self.frame = frame  # coded in unit id order, each unit's topics in codebook order
        self.units = units
        self.topic_index = {t: i for i, t in enumerate(topics)}

    @cached_property
    def rank(self) -> dict[str, int]:
        return {uid: i for i, uid in enumerate(sorted(self.units))}

    @cached_property
    def keys(self) -> np.ndarray:
        """Each row's (unit, topic) as one sortable integer."""
        return self._keys(self.frame["unit_id"].tolist(), self.frame["topic"].tolist())

    def _keys(self, units: list[str], topics: list[str]) -> np.ndarray:
        width = len(self.topic_index) + 1
        return np.array([self.rank[u] * width + self.topic_index[t]
                         for u, t in zip(units, topics)], dtype=np.int64)

    def with_overrides(self, fixes: Overrides) -> pd.DataFrame:
        """The mentions with the analyst's topic overrides: a removed topic no longer
        counts; an added one that does not already count replaces its mention by an
        override row (units not coded are left alone). Sorted by unit and topic."""
        if not fixes.topics_remove and not fixes.topics_add:
            return self.frame.copy()
        discussed = self.frame["discussed"].to_numpy().copy()

        def row_of(uid: str, topic: str) -> int | None:
            if uid not in self.rank:
                return None
            key = self._keys([uid], [topic])[0]
            at = int(np.searchsorted(self.keys, key))
            return at if at < len(self.keys) and self.keys[at] == key else None

        for uid, topic in fixes.topics_remove:
            if (at := row_of(uid, topic)) is not None:
                discussed[at] = False
        keep = np.ones(len(discussed), dtype=bool)
        rows, keys = [], []
        for (uid, topic), note in fixes.topics_add.items():
            if uid not in self.units:
                continue
            at = row_of(uid, topic)
            if at is not None and discussed[at]:
                continue
            if at is not None:
                keep[at] = False
            rows.append((uid, *self.units[uid], topic, 1.0, 0, f"override: {note}",
                         "override", True))
            keys.append(self._keys([uid], [topic])[0])
        frame = self.frame.assign(discussed=discussed)
        frame = frame if keep.all() else frame[keep]
        if not rows:
            return frame.reset_index(drop=True)
        frame = pd.concat([frame, _record_batch(rows, _TOPIC_SCHEMA).to_pandas()],
                          ignore_index=True)
        order = np.argsort(np.concatenate([self.keys[keep], np.array(keys, np.int64)]),
                           kind="stable")
        return frame.iloc[order].reset_index(drop=True)
