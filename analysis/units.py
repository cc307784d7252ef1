"""Analysis units: spoken text in pieces of comparable size, whatever the transcript's format.

Parsers cut transcripts very differently (an ASR line of 20 characters, a roundtable
paragraph of 300), so shares of utterances measure how a file was split. Units fix that:

1. A turn is a run of consecutive spoken utterances of one speaker, of one kind (speech or
   question), in one section. A unit never crosses a turn.
2. Within a turn, utterances are packed in order into units: a unit closes once it has at
   least MIN_CHARS characters and its last utterance does not end mid-sentence (in a comma,
   colon or open bracket; ASR lines end sentences without punctuation), and before it would
   pass MAX_CHARS.
3. An utterance is never split: every spoken utterance is in exactly one unit, so every
   number on units traces back to utterances. (An utterance longer than MAX_CHARS is a unit
   by itself.)

For an unattributed stream (the `unattributed` or `anonymous` pool) the same packing makes
segments of sentences about a labelled turn's size.

units (one row per unit, in event and source order)
    unit_id (`<event_id>.u<seq:04d>`), event_id, seq, speaker_id, speaker, section, kind,
    text (the utterances' texts joined by spaces), n_chars (non-whitespace characters),
    n_utterances, utterance_ids (space-separated, in order), line_start, line_end,
    start_s, end_s, speaker_method (of the first utterance), speaker_confidence (mean over
    its utterances: 1 where the transcript or the analyst names the speaker)
"""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa

from analysis.kinds import SPOKEN

MIN_CHARS = 120
MAX_CHARS = 400
_OPEN_END = re.compile(r"(?:[，、,：:（(“「]|——)\s*$")

UNIT_SCHEMA = pa.schema([
    ("unit_id", pa.string()), ("event_id", pa.string()), ("seq", pa.int64()),
    ("speaker_id", pa.string()), ("speaker", pa.string()), ("section", pa.string()),
    ("kind", pa.string()), ("text", pa.string()), ("n_chars", pa.int64()),
    ("n_utterances", pa.int64()), ("utterance_ids", pa.string()), ("line_start", pa.int64()),
    ("line_end", pa.int64()), ("start_s", pa.float64()), ("end_s", pa.float64()),
    ("speaker_method", pa.string()), ("speaker_confidence", pa.float64()),
])


def build_units(utterances: pd.DataFrame, *, kinds=SPOKEN,
                min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS) -> pd.DataFrame:
    """The units frame of a corpus's utterances of the given kinds (speech and questions by
    default; notes and meta, when asked for, form units of their own kind)."""
    spoken = utterances[utterances["kind"].isin(kinds)]
    return units_frame([event_units(event_id, records, min_chars=min_chars,
                                    max_chars=max_chars)
                        for event_id, records in _records_by_event(spoken)])


def event_units(event_id: str, records: list[dict], *, min_chars: int = MIN_CHARS,
                max_chars: int = MAX_CHARS) -> pa.Table:
    """The units of one event's utterance rows (dicts, already of the kinds wanted, in
    order), as an Arrow table: the loader builds them with the event, in its worker."""
    rows: list[dict] = []
    seq = 0
    group: list[dict] = []

    def close() -> None:
        nonlocal seq
        if group:
            seq += 1
            rows.append(_unit(event_id, seq, group))
            group.clear()

    size = 0
    for row in records:
        if group and (not _same_turn(group[-1], row) or row["seq"] != group[-1]["seq"] + 1):
            close()
        elif group and (size + row["n_chars"] > max_chars or (
                size >= min_chars and _ends_sentence(group[-1]["text"]))):
            close()
        if not group:
            size = 0
        group.append(row)
        size += row["n_chars"]
    close()
    return pa.Table.from_pylist(rows, schema=UNIT_SCHEMA)


def units_frame(tables: list[pa.Table]) -> pd.DataFrame:
    """The units frame of the events' unit tables, in order."""
    table = pa.concat_tables(tables) if tables else UNIT_SCHEMA.empty_table()
    return table.to_pandas()


def _records_by_event(frame: pd.DataFrame) -> list[tuple[str, list[dict]]]:
    """The rows of a frame as dicts, grouped by event in order of first appearance (column
    lists first: iterating Arrow-backed columns value by value is slow)."""
    columns = {name: frame[name].tolist() for name in frame.columns}
    records = [dict(zip(columns, values)) for values in zip(*columns.values())]
    grouped: dict[str, list[dict]] = {}
    for record in records:
        grouped.setdefault(record["event_id"], []).append(record)
    return list(grouped.items())


def _same_turn(a: dict, b: dict) -> bool:
    return (a["speaker_id"] == b["speaker_id"] and a["kind"] == b["kind"]
            and _section(a) == _section(b))


def _section(row: dict) -> str:
    return "" if pd.isna(row["section"]) else str(row["section"])


def _ends_sentence(text: str) -> bool:
    """Whether an utterance can end a unit: anything but a dangling clause (ASR lines end
    sentences without punctuation; a line ending in a comma does not)."""
    return not _OPEN_END.search(text)


def _unit(event_id: str, seq: int, group: list[dict]) -> dict:
    first, last = group[0], group[-1]
    return {"unit_id": f"{event_id}.u{seq:04d}", "event_id": event_id, "seq": seq,
            "speaker_id": first["speaker_id"], "speaker": _text_or_none(first["speaker"]),
            "section": _section(first) or None, "kind": first["kind"],
            "text": " ".join(r["text"] for r in group if r["text"]),
            "n_chars": int(sum(r["n_chars"] for r in group)), "n_utterances": len(group),
            "utterance_ids": " ".join(r["utterance_id"] for r in group),
            "line_start": first["line_start"], "line_end": last["line_end"],
            "start_s": first["start_s"], "end_s": last["end_s"],
            "speaker_method": _text_or_none(first["speaker_method"]),
            "speaker_confidence": _mean_confidence(group)}


def _text_or_none(value):
    """A text field as Arrow takes it: a missing value (None, or pandas' NaN) is None."""
    return None if value is None or value != value else value


def _mean_confidence(group: list[dict]) -> float:
    values = [float(c) for r in group if (c := r.get("speaker_confidence")) is not None
              and c == c]  # c == c: not NaN
    return round(sum(values) / len(values), 4) if values else float("nan")
