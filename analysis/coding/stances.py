"""The stance table: the position each analysis unit (analysis.units) takes on the project's
stance targets (analysis.coding.stance_cues), with evidence.

stance_table   unit_id, event_id, speaker_id, target, stance (+1, 0, -1), score, cue,
               evidence, source, quote, and the evidence features of STANCE_FEATURES

`cue` and `evidence` say which words and which clauses decided each row, `quote` the whole
sentence of the strongest one (what a chart quotes); `source` is `lexicon`, or `override`
where the project's overrides.yaml sets the answer (`_with_stance_overrides`), and
`lexicon_stance` what the lexicon said (NaN where it gave no row: then, or where the analyst
flipped it, the quote may not state the analyst's value). The feature
columns (cue counts and kinds, negation, hedges, first-person markers, the target's subject,
clauses skipped, balance, length: `StanceCues.score`) are what the stance model
(analysis.estimates.stances) turns into the chance that a reader gives the row. Events the codebook does not fit (analysis.coding.fit) are not
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
from analysis.coding.words import split_clauses, whole_quote
from analysis.corpus import Corpus
from analysis.scale.pool import batches as _batches, map_texts
from analysis.text.lexicons import files_stamp
from analysis.text.normalise import ALIASES_FILE, normalise


def _stance_coder(cues: StanceCues, low: set[str]):
    """The lexicon's stance rows of a batch of prepared (unit_id, event_id, speaker_id,
    text): the per-unit work of `stance_table`, run in the pool's processes. Events in `low`
    are not scored. Overrides are applied afterwards, to the whole table."""
    def code(item: tuple[str, str, str, str]) -> list[tuple]:
        uid, event, speaker, text = item
        if event in low:
            return []
        scored = {row["target"]: row for row in cues.score(text)}
        return [(uid, event, speaker, target, row["stance"], row["score"], row["cue"],
                 row["evidence"], "lexicon", row["quote"], float(row["stance"]),
                 *(float(row["features"][name]) for name in STANCE_FEATURES))
                for target in cues.ids if (row := scored.get(target)) is not None]

    def code_batch(batch: list[tuple[str, str, str, str]]) -> pa.RecordBatch:
        return _record_batch([row for item in batch for row in code(item)], _STANCE_SCHEMA)
    return code_batch


STANCE_FEATURES = ("own_cues", "general_cues", "negated", "hedged", "opinion", "subject",
                   "clauses", "skipped", "balance", "position", "n_clauses", "n_chars")
"""The evidence features of a stance row (`StanceCues.score`), one column each."""

_STANCE_SCHEMA = pa.schema([
    ("unit_id", pa.string()), ("event_id", pa.string()), ("speaker_id", pa.string()),
    ("target", pa.string()), ("stance", pa.int64()), ("score", pa.float64()),
    ("cue", pa.string()), ("evidence", pa.string()), ("source", pa.string()),
    ("quote", pa.string()), ("lexicon_stance", pa.float64())]
    + [(name, pa.float64()) for name in STANCE_FEATURES])


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


def _quote_of(text: str, fix: dict) -> str:
    """The whole sentence an override's snippet stands in (a row the lexicon did not give)."""
    snippet = normalise(fix["snippet"])
    for clause in split_clauses(text):
        if snippet in clause or clause in snippet:
            return whole_quote(text, clause)
    return fix["snippet"]


def _with_stance_overrides(frame: pd.DataFrame, fixes: Overrides,
                           prepared: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """The analyst's stance overrides on the lexicon's stance table (sorted by unit and
    target): an override replaces the unit's row for its target (a null stance removes it),
    in every event. Override rows are put in their place, not the whole table re-sorted."""
    units = {uid: (event, speaker, text) for uid, event, speaker, text in prepared}
    fixed = {pair: fix for pair, fix in fixes.stances.items() if pair[0] in units}
    if not fixed:
        return frame.copy()
    keys = (frame["unit_id"] + "\x00" + frame["target"]).to_numpy(dtype=object)
    keep = ~np.isin(keys, [f"{u}\x00{t}" for u, t in fixed])
    indexed = frame.set_index(["unit_id", "target"])
    lexicon, said = indexed["quote"].to_dict(), indexed["stance"].to_dict()
    added = sorted((f"{uid}\x00{target}", (uid, *units[uid][:2], target, fix["stance"],
                    float(fix["stance"]), f"override: {fix['note']}".strip(), fix["snippet"],
                    "override", lexicon.get((uid, target)) or _quote_of(units[uid][2], fix),
                    float(said.get((uid, target), np.nan)), *(0.0 for _ in STANCE_FEATURES)))
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
