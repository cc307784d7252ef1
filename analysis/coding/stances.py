"""The stance table: the position each analysis unit (analysis.units) takes on the project's
stance targets (analysis.coding.stance_cues), with evidence.

stance_table   unit_id, event_id, speaker_id, target, stance (+1, 0, -1), score, cue,
               evidence, source

`cue` and `evidence` say which words and which clause decided each row; `source` is
`lexicon`, or `override` where the project's overrides.yaml sets the answer
(`_with_stance_overrides`). Events the codebook does not fit (analysis.coding.fit) are not
scored unless asked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.coding.fit import codebook_fit
from analysis.coding.memo import _cached, _memo, _prepared, _record_batch
from analysis.coding.overrides import Overrides, _overrides
from analysis.coding.stance_cues import SENTIMENT_FILE, StanceCues, stance_cues
from analysis.corpus import Corpus
from analysis.scale.pool import batches as _batches, map_texts
from analysis.text.lexicons import files_stamp
from analysis.text.normalise import ALIASES_FILE


def _stance_coder(cues: StanceCues, low: set[str]):
    """The lexicon's stance rows of a batch of prepared (unit_id, event_id, speaker_id,
    text): the per-unit work of `stance_table`, run in the pool's processes. Events in `low`
    are not scored. Overrides are applied afterwards, to the whole table."""
    def code(item: tuple[str, str, str, str]) -> list[tuple]:
        uid, event, speaker, text = item
        if event in low:
            return []
        scored = {row["target"]: row for row in cues.score(text)}
        return [(uid, event, speaker, target, scored[target]["stance"], scored[target]["score"],
                 scored[target]["cue"], scored[target]["evidence"], "lexicon")
                for target in cues.ids if target in scored]

    def code_batch(batch: list[tuple[str, str, str, str]]) -> pa.RecordBatch:
        return _record_batch([row for item in batch for row in code(item)], _STANCE_SCHEMA)
    return code_batch


_STANCE_SCHEMA = pa.schema([
    ("unit_id", pa.string()), ("event_id", pa.string()), ("speaker_id", pa.string()),
    ("target", pa.string()), ("stance", pa.int64()), ("score", pa.float64()),
    ("cue", pa.string()), ("evidence", pa.string()), ("source", pa.string())])


def stance_table(corpus: Corpus, *, include_notes: bool = False, kinds=None,
                 overrides: bool | str | Path = True, cues: StanceCues | None = None,
                 include_low_fit: bool = False, jobs: int | None = None) -> pd.DataFrame:
    """One row per (unit, target) the unit takes a position on, with stance and evidence
    (the clause that decided it). Events the codebook does not fit (`codebook_fit`) get no
    rows unless `include_low_fit=True`: its cues mean little in a discussion of something
    else. Analyst overrides apply everywhere."""
    shared = cues is None and kinds is None  # the codebook's codes are kept per corpus
    cues = cues or stance_cues(corpus.root)
    low = frozenset() if include_low_fit else frozenset(
        codebook_fit(corpus).query("low_fit")["event_id"])
    prepared = _prepared(corpus, include_notes, kinds, jobs)
    key = ("stance_lexicon", include_notes, str(cues.path), low,
           files_stamp(cues.path, corpus.project.codebook_file(SENTIMENT_FILE), ALIASES_FILE))
    if shared and overrides is True:  # and the table with the project's overrides
        final = ("stance_table", key, files_stamp(corpus.project.overrides_file))
        return _memo(corpus, final, lambda: stance_table(
            corpus, include_notes=include_notes, include_low_fit=include_low_fit, jobs=jobs,
            overrides=corpus.project.overrides_file))
    def build() -> pd.DataFrame:
        coded = map_texts(_stance_coder(cues, low), _batches(prepared, jobs), jobs,
                          units=len(prepared))
        return pa.Table.from_batches(coded, _STANCE_SCHEMA).to_pandas().sort_values(
            ["unit_id", "target"]).reset_index(drop=True)
    lexicon = _cached(corpus, key, build) if shared else build()
    return _with_stance_overrides(lexicon, _overrides(corpus, overrides), prepared)


def _with_stance_overrides(frame: pd.DataFrame, fixes: Overrides,
                           prepared: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """The analyst's stance overrides on the lexicon's stance table (sorted by unit and
    target): an override replaces the unit's row for its target (a null stance removes it),
    in every event. Override rows are put in their place, not the whole table re-sorted."""
    units = {uid: (event, speaker) for uid, event, speaker, _ in prepared}
    fixed = {pair: fix for pair, fix in fixes.stances.items() if pair[0] in units}
    if not fixed:
        return frame.copy()
    keys = (frame["unit_id"] + "\x00" + frame["target"]).to_numpy(dtype=object)
    keep = ~np.isin(keys, [f"{u}\x00{t}" for u, t in fixed])
    added = sorted((f"{uid}\x00{target}", (uid, *units[uid], target, fix["stance"],
                    float(fix["stance"]), f"override: {fix['note']}".strip(), fix["snippet"],
                    "override"))
                   for (uid, target), fix in fixed.items() if fix["stance"] is not None)
    frame = frame[keep] if not keep.all() else frame
    if not added:
        return frame.reset_index(drop=True)
    places = np.searchsorted(keys[keep], np.array([k for k, _ in added], dtype=object))
    frame = pd.concat([frame, _record_batch([row for _, row in added],
                                            _STANCE_SCHEMA).to_pandas()], ignore_index=True)
    order = np.argsort(np.concatenate([np.arange(keep.sum()),
                                       places - 0.5]), kind="stable")
    return frame.iloc[order].reset_index(drop=True)
