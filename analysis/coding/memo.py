"""What the coding tables share per corpus: the units coded (`_select`, `_unit_items`), their
analysis texts prepared once for both the topic and the stance table (`_prepared`), the
get-or-build memo on `corpus.memo` (`_cached`, `_memo`: the keys hold the data files'
stamps, so an edited file is coded afresh), and the Arrow batches coded rows cross between
processes in (`_record_batch`).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from analysis.coding.words import analysis_text
from analysis.corpus import Corpus
from analysis.kinds import SPOKEN
from analysis.scale.pool import map_texts
from analysis.text.lexicons import files_stamp
from analysis.text.normalise import ALIASES_FILE
from analysis.units import build_units


def _select(corpus: Corpus, include_notes: bool, kinds) -> pd.DataFrame:
    """The analysis units coded: speech and questions (corpus.units) by default."""
    if kinds is None and not include_notes:
        return corpus.units
    if kinds is None:
        kinds = SPOKEN + ("note", "meta")
    return build_units(corpus.utterances, kinds=tuple(kinds))


def _prepared_key(include_notes: bool, kinds) -> tuple:
    return ("prepared", include_notes, tuple(kinds) if kinds else None,
            files_stamp(ALIASES_FILE))


def _prepared(corpus: Corpus, include_notes: bool, kinds, jobs: int | None = None
              ) -> list[tuple[str, str, str, str]]:
    """(unit_id, event_id, speaker_id, analysis text) of the units coded, prepared once per
    corpus for both the topic and the stance table."""
    def build() -> list[tuple[str, str, str, str]]:
        items = _unit_items(corpus, include_notes, kinds)
        texts = map_texts(analysis_text, [text for *_, text in items], jobs)
        return [(*item[:3], text) for item, text in zip(items, texts)]
    return _cached(corpus, _prepared_key(include_notes, kinds), build)


def _unit_items(corpus: Corpus, include_notes: bool, kinds) -> list[tuple[str, str, str, str]]:
    """(unit_id, event_id, speaker_id, text) of the units coded."""
    chosen = _select(corpus, include_notes, kinds)
    return list(zip(chosen["unit_id"].tolist(), chosen["event_id"].tolist(),
                    chosen["speaker_id"].tolist(), chosen["text"].tolist()))


def _record_batch(rows: list[tuple], schema: pa.Schema) -> pa.RecordBatch:
    """Rows as an Arrow batch: it crosses between processes as buffers, at a fraction of
    the cost of pickling the rows."""
    columns = list(zip(*rows)) or [()] * len(schema)
    return pa.RecordBatch.from_arrays([pa.array(c, f.type) for c, f in zip(columns, schema)],
                                      schema=schema)


def _cached(corpus: Corpus, key: tuple, build):
    """What `build()` gives, built once per corpus and key (the keys hold the data files'
    stamps, so an edited codebook is coded afresh)."""
    if key not in corpus.memo:
        corpus.memo[key] = build()
    return corpus.memo[key]


def _memo(corpus: Corpus, key: tuple, build) -> pd.DataFrame:
    """A table built once per corpus and key (`_cached`); callers get their own copy."""
    return _cached(corpus, key, build).copy()
