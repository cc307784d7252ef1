"""Whisper, WhisperX and faster-whisper JSON: `segments` with `start`, `end`, `text`, an
optional `speaker` (WhisperX diarisation; else the most frequent speaker of its `words`).
Other diarising tools' `speaker_name` / `speaker_id` and `start_time` / `end_time` work too.

Each segment is a cue (merged into turns or segments as in `cues`); its raw text is the
segment's JSON object, so every character of the file lands in one utterance: the part
before the first segment (with the whole-file `text` Whisper repeats there) and the part
after the last are meta. A top-level list of segments (faster-whisper scripts) works too.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from analysis.errors import TranscriptError
from analysis.project.metadata import EventMeta
from analysis.ingest.sources import Source
from analysis.ingest.parsers.base import ParseResult, Sample, Unit, clean
from analysis.ingest.parsers.cues import Cue, cue_units
from analysis.ingest.parsers.labels import Speakers

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[\s,]*")
_COMMA = re.compile(r"\s*,")


def sniff(sample: Sample) -> tuple[float, str] | None:
    head = sample.head.lstrip("\ufeff").lstrip()
    start = head[:2000]
    if (head[:1] == "{" and '"segments"' in head) or (
            head[:1] == "[" and re.search(r'"start"\s*:\s*[\d.]+', start) and '"text"' in start):
        return 0.99, "JSON with Whisper segments (start, end, text)"
    return None


def _segments(text: str, path) -> list[tuple[int, int, dict]]:
    """The segment objects with their spans in the text."""
    def fail(message: str, at: int):
        return TranscriptError(path, message, line=text.count("\n", 0, at) + 1,
                               fix="give the JSON that Whisper, WhisperX or faster-whisper "
                                   "wrote, with a `segments` list")

    pos = len(text) - len(text.lstrip("\ufeff \t\r\n"))
    if text[pos:pos + 1] == "{":
        try:
            whole = json.loads(text.lstrip("\ufeff"))
        except json.JSONDecodeError as err:
            raise fail(f"is not valid JSON: {err.msg}", err.pos) from None
        if not isinstance(whole.get("segments"), list):
            raise fail("JSON without a `segments` list", pos)
        pos += 1
        while True:  # walk the top-level keys to find where `segments` starts
            pos = _SPACE.match(text, pos).end()
            key, pos = _DECODER.raw_decode(text, pos)
            pos = text.index(":", pos) + 1
            pos = len(text) - len(text[pos:].lstrip())
            if key == "segments":
                break
            _, pos = _DECODER.raw_decode(text, pos)
    elif text[pos:pos + 1] != "[":
        raise fail("is not a Whisper JSON file", pos)
    pos += 1
    found = []
    while True:
        pos = _SPACE.match(text, pos).end()
        if text[pos:pos + 1] == "]":
            return found
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise fail(f"is not valid JSON: {err.msg}", err.pos) from None
        if not isinstance(value, dict) or "text" not in value:
            raise fail("a segment without `text`", pos)
        comma = _COMMA.match(text, end)
        found.append((pos, comma.end() if comma else end, value))  # the comma goes along
        pos = comma.end() if comma else end


def _time(value) -> float | None:
    return round(float(value), 3) if isinstance(value, (int, float)) else None


def _speaker(segment: dict) -> str | None:
    for key in ("speaker", "speaker_name", "speaker_id"):
        if segment.get(key):
            return str(segment[key])
    words = [w.get("speaker") for w in segment.get("words") or () if isinstance(w, dict)]
    counts = Counter(w for w in words if w)
    return counts.most_common(1)[0][0] if counts else None


def parse(source: Source, event: EventMeta) -> ParseResult:
    """One cue per segment, merged into utterances; the rest of the file is meta."""
    text = source.text
    segments = _segments(text, source.path)
    items: list[Cue | Unit] = []
    if not segments:
        raise TranscriptError(source.path, "the `segments` list is empty",
                              fix="transcribe the recording again, or leave this file out")
    first, last = segments[0][0], segments[-1][1]
    lead = text[:first]
    if lead.strip():
        start = len(lead) - len(lead.lstrip())
        items.append(Unit(start, len(lead.rstrip()), "meta", "unattributed", None,
                          clean(lead)))
    for start, end, segment in segments:
        items.append(Cue(start, end, _time(segment.get("start", segment.get("start_time"))),
                         _time(segment.get("end", segment.get("end_time"))),
                         clean(str(segment["text"])), _speaker(segment)))
    tail = text[last:]
    if tail.strip():
        start = last + len(tail) - len(tail.lstrip())
        items.append(Unit(start, last + len(tail.rstrip()), "meta", "unattributed", None,
                          clean(tail)))
    speakers = Speakers(event)
    return ParseResult(cue_units(items, speakers), list(speakers.roster.values()))
