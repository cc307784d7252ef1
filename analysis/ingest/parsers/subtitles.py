"""SRT and WebVTT subtitles, including speaker-labelled cues and rolling auto-captions.

Speakers come from `<v Name>` voice tags or a label opening the cue text (`【说话人0】`,
`[SPEAKER_00]:`, `Name:`), which may appear only where the speaker changes; the label is
removed from the analysed text and kept in `raw_text`. Cues merge into turns or segments
(rules in `cues`). Auto-captions that roll (each cue repeats the previous line, as YouTube
writes them, with `<c>` word timing tags) are read once: a line that repeats one of the two
lines shown just before it adds no text. The WEBVTT header and NOTE/STYLE/REGION blocks
are meta; cue numbers and timing lines stay in the raw text. Cue times must not go back.
"""

from __future__ import annotations

import re

from analysis.errors import TranscriptError
from analysis.project.metadata import EventMeta
from analysis.ingest.sources import Source
from analysis.ingest.parsers.base import Line, ParseResult, Sample, Unit, clean, line_span, split_lines
from analysis.ingest.parsers.cues import Cue, cue_units
from analysis.ingest.parsers.labels import Speakers

_CUE_TIME = re.compile(
    r"^\s*(?P<a>(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*"
    r"(?P<b>(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAGS = re.compile(r"</?[^>\n]+>")
_WORD_TIMING = re.compile(r"<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{3}>|<c[.>]")
ROLLING_SHARE = 0.3


def seconds(stamp: str) -> float | None:
    """`01:02:03`, `0:05`, `00:00:05,250` or `00:05.250` as seconds; None when it is not a
    clock time (minutes or seconds of 60 or more: `99:99:99`)."""
    parts = stamp.replace(",", ".").split(":")
    value = 0.0
    for n, part in enumerate(parts):
        number = float(part)
        if n and number >= 60:
            return None
        value = value * 60 + number
    return round(value, 3)


def sniff(sample: Sample) -> tuple[float, str] | None:
    if sample.head.lstrip("\ufeff").startswith("WEBVTT"):
        return 0.99, "starts with WEBVTT"
    timings = sum(1 for line in sample.filled if _CUE_TIME.match(line.text))
    if not timings:
        return None
    # a cue is a number, a timing line and text: about a third of the lines are timings;
    # cue timing lines are unambiguous, so only a file that is mostly something else loses
    share = min(1.0, 3 * timings / sample.n)
    first = next(i for i, line in enumerate(sample.filled) if _CUE_TIME.match(line.text))
    covered = 1 - first / sample.n
    score = 0.96 + 0.03 * covered if share >= 0.3 else 0.6
    return round(score, 2), f"{timings} cue timing lines of {sample.n} lines"


def _blocks(lines: list[Line]) -> list[list[Line]]:
    blocks: list[list[Line]] = [[]]
    for line in lines:
        if line.blank:
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append(line)
    return [b for b in blocks if b]


def _meta(source: Source, block: list[Line]) -> Unit:
    start, end = line_span(block[0], block[-1])
    kind = "note" if block[0].stripped.startswith("NOTE") else "meta"
    return Unit(start, end, kind, "unattributed", None, clean(source.text[start:end]))


def parse(source: Source, event: EventMeta) -> ParseResult:
    """Cues (with their speakers) merged into utterances; header and NOTE blocks are meta.

    A cue runs from its identifier (the line just above its timing line) to the next cue;
    a line of spaces inside it (YouTube writes them) does not end it."""
    speakers = Speakers(event)
    lines = split_lines(source.text)
    timings = [i for i, line in enumerate(lines) if _CUE_TIME.match(line.text)]
    begins = [t - 1 if t > 0 and not lines[t - 1].blank and (t < 2 or lines[t - 2].blank)
              and not _CUE_TIME.match(lines[t - 1].text) else t for t in timings]
    items: list[Cue | Unit] = [_meta(source, b) for b in _blocks(lines[:begins[0]])] \
        if begins else [_meta(source, b) for b in _blocks(lines)]
    shown: list[list[str]] = []  # the text lines of each cue, for the rolling check
    last_start = -1.0
    for n, (timing, begin) in enumerate(zip(timings, begins)):
        stop = begins[n + 1] if n + 1 < len(begins) else len(lines)
        blocks = _blocks(lines[begin:stop])
        after = next((i for i, b in enumerate(blocks[1:], 1)
                      if re.match(r"(NOTE|STYLE|REGION)\b", b[0].stripped)), len(blocks))
        cue_lines = [line for b in blocks[:after] for line in b]
        match = _CUE_TIME.match(lines[timing].text)
        a, b = seconds(match.group("a")), seconds(match.group("b"))
        if a is None or b is None or b < a:
            raise TranscriptError(source.path, f"cue time {lines[timing].stripped[:60]!r} is "
                                  "not a time range (minutes and seconds run to 59, the end "
                                  "comes after the start)", line=lines[timing].number,
                                  fix="correct the timing line")
        if a < last_start:
            raise TranscriptError(source.path, f"cue time {match.group('a')} is earlier than "
                                  "the cue before it", line=lines[timing].number,
                                  fix="fix the cue order (subtitle editors can renumber)")
        last_start = a
        body = [line.text for line in lines[timing + 1:stop] if line in cue_lines]
        voice = next((m.group(1) for m in map(_VOICE.search, body) if m), None)
        shown.append([text for text in (clean(_TAGS.sub("", t)) for t in body) if text])
        start, end = line_span(cue_lines[0], cue_lines[-1])
        items.append(Cue(start, end, a, b, "", clean(voice) if voice else None))
        if blocks[after:]:
            rest = [line for b in blocks[after:] for line in b]
            items.append(_meta(source, rest))
    cues = [item for item in items if isinstance(item, Cue)]
    texts = _read_once(shown) if _rolling(source.text, shown) else [" ".join(s) for s in shown]
    for cue, text in zip(cues, texts):
        cue.text = text
    return ParseResult(cue_units(items, speakers), list(speakers.roster.values()))


def _rolling(text: str, shown: list[list[str]]) -> bool:
    """Rolling captions: word timing tags, or many cues that open with the line the cue
    before ended with."""
    if _WORD_TIMING.search(text):
        return True
    pairs = [(a, b) for a, b in zip(shown, shown[1:]) if a and b]
    repeats = sum(1 for a, b in pairs if b[0] == a[-1])
    return len(pairs) >= 3 and repeats / len(pairs) >= ROLLING_SHARE


def _read_once(shown: list[list[str]]) -> list[str]:
    """Each cue's new text: its lines less those among the two lines shown just before."""
    recent: list[str] = []
    out = []
    for lines in shown:
        new = [line for line in lines if line not in recent]
        for line in lines:
            if line not in recent:
                recent = (recent + [line])[-2:]
        out.append(" ".join(new))
    return out
