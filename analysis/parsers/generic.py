"""Generic parsers for the formats analysts bring: speaker-labelled lines, meeting/ASR
exports with speaker + timestamp lines, SRT/WebVTT subtitles, plain paragraphs.

Speaker labels resolve to the event's participants by name or alias (seeds/events.yaml,
e.g. `aliases: [说话人 1]`); other labels become speakers of their own. Timestamps are kept
as `start_s`/`end_s` seconds. Every character of the source lands in one unit.
"""

from __future__ import annotations

import re

from ..errors import TranscriptError
from ..metadata import EventMeta
from ..sources import Source
from .base import Line, ParseResult, RosterEntry, Unit, clean, line_span, split_lines

# --- speakers ----------------------------------------------------------------------------


class Speakers:
    """Labels -> speaker keys: participants by name or alias, else roster entries."""

    def __init__(self, event: EventMeta) -> None:
        self.by_name = {}
        for p in event.participants:
            for name in (p.name, p.id, *p.aliases):
                self.by_name[_label_key(name)] = p.id
        self.roster: dict[str, RosterEntry] = {}

    def key(self, label: str) -> str:
        label = clean(label)
        found = self.by_name.get(_label_key(label))
        if found:
            return found
        self.roster.setdefault(label, RosterEntry(name=label))
        return f"roster:{label}"


def _label_key(label: str) -> str:
    return re.sub(r"\s+", "", label).casefold()


# --- speaker-labelled lines --------------------------------------------------------------

_LABEL = re.compile(
    r"^\s*(?:\*\*(?P<bold>[^*\n]{1,24})\*\*\s*[：:]"       # **姓名**：
    r"|【(?P<bracket>[^】\n]{1,24})】"                    # 【姓名】
    r"|(?P<plain>[^\s：:，。！？,!?【】*][^：:，。！？,!?\n]{0,23}?)\s*[：:](?!//))"  # 姓名： / Name:
    r"[ \t]*")
_MAX_LABEL_WORDS = 4


def _label_of(line: Line) -> tuple[str, int] | None:
    """(label, offset where the speech starts) when the line opens with a speaker label."""
    match = _LABEL.match(line.text)
    if not match:
        return None
    label = (match.group("bold") or match.group("bracket") or match.group("plain") or "").strip()
    if not label or len(label.split()) > _MAX_LABEL_WORDS or re.fullmatch(r"[\d\s:.]+", label):
        return None
    return label, line.start + match.end()


def parse_labelled(source: Source, event: EventMeta) -> ParseResult:
    """`姓名：内容`, `Name: text`, `**姓名**：内容`, `【姓名】内容` lines; lines without a label
    continue the previous speaker; a label alone on its line applies to the lines below.
    A label counts only if it recurs or names a participant (so `注意：` in prose does not)."""
    lines = split_lines(source.text)
    speakers = Speakers(event)
    labels = [(_label_of(line) if not line.blank else None) for line in lines]
    counts: dict[str, int] = {}
    for found in labels:
        if found:
            counts[_label_key(found[0])] = counts.get(_label_key(found[0]), 0) + 1
    known = set(speakers.by_name)

    def accepted(found):
        return found and (counts[_label_key(found[0])] >= 2 or _label_key(found[0]) in known)

    units: list[Unit] = []
    current: list = []  # [first Line, last Line, speaker key, text start offset]

    def close():
        if current:
            first, last, key, text_start = current
            start, end = line_span(first, last)
            body = source.text[text_start:end] if text_start < end else ""
            # lines before the first label are a title or preface, not speech
            kind = "meta" if key == "unattributed" and not units else "speech"
            units.append(Unit(start, end, kind, key, None, clean(body)))
            current.clear()

    for line, found in zip(lines, labels):
        if line.blank:
            continue
        if accepted(found):
            close()
            label, text_start = found
            current.extend([line, line, speakers.key(label), text_start])
        elif current:
            current[1] = line
        else:
            current.extend([line, line, "unattributed", line.start])
    close()
    return ParseResult(units, list(speakers.roster.values()))


# --- speaker + timestamp exports ---------------------------------------------------------

_TIME = r"(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)"
_HEADER = re.compile(
    rf"^\s*(?:(?P<name>[^\d\s:：][^:：\n]{{0,28}}?)\s+{_TIME}|{_TIME.replace('ts', 'ts2')}\s+"
    rf"(?P<name2>[^\d\s][^\n]{{0,28}}?))\s*$")


def seconds(stamp: str) -> float:
    """`01:02:03`, `0:05`, `00:00:05,250` or `00:05.250` as seconds."""
    stamp = stamp.replace(",", ".")
    parts = [float(p) for p in stamp.split(":")]
    value = 0.0
    for part in parts:
        value = value * 60 + part
    return round(value, 3)


def _header(line: Line) -> tuple[str, float] | None:
    match = _HEADER.match(line.text)
    if not match:
        return None
    name = match.group("name") or match.group("name2")
    stamp = match.group("ts") or match.group("ts2")
    return clean(name), seconds(stamp)


def parse_timestamped(source: Source, event: EventMeta) -> ParseResult:
    """Meeting and ASR exports: a line `说话人 1 00:01:23` (speaker, then time; or time,
    then speaker) heads the text lines below it. `start_s` is the header's time, `end_s`
    the next header's. Times must not go backwards."""
    lines = split_lines(source.text)
    speakers = Speakers(event)
    blocks: list[list] = []  # [header Line, name, start_s, [text lines]]
    preface: list[Line] = []
    for line in lines:
        if line.blank:
            continue
        found = _header(line)
        if found:
            if blocks and found[1] < blocks[-1][2]:
                raise TranscriptError(source.path, f"timestamp {line.stripped!r} is earlier "
                                      "than the one before it", line=line.number,
                                      fix="fix the export's order, or use parser: "
                                          "labelled_lines / paragraphs to ignore times")
            blocks.append([line, found[0], found[1], []])
        elif blocks:
            blocks[-1][3].append(line)
        else:
            preface.append(line)
    units = []
    if preface:
        start, end = line_span(preface[0], preface[-1])
        units.append(Unit(start, end, "meta", "unattributed", None,
                          clean(source.text[start:end])))
    for i, (header, name, start_s, body) in enumerate(blocks):
        last = body[-1] if body else header
        start, end = line_span(header, last)
        text = clean(" ".join(line.text for line in body))
        end_s = blocks[i + 1][2] if i + 1 < len(blocks) else None
        units.append(Unit(start, end, "speech", speakers.key(name), None, text,
                          start_s=start_s, end_s=end_s))
    return ParseResult(units, list(speakers.roster.values()))


# --- subtitles ---------------------------------------------------------------------------

_CUE_TIME = re.compile(
    r"^\s*(?P<a>(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*"
    r"(?P<b>(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAGS = re.compile(r"</?[^>]+>")
_NAME_PREFIX = re.compile(r"^\s*(?:-\s*)?([^\s：:，。,][^：:，。,\n]{0,23}?)\s*[：:](?!//)\s*(?=\S)")
_SENTENCE_END = re.compile(r"[。！？!?.…]\s*$")
MERGE_GAP_S = 2.0
MERGE_MAX_CHARS = 160


def parse_subtitles(source: Source, event: EventMeta) -> ParseResult:
    """SRT and WebVTT: cues (with optional `Name:` or `<v Name>` speakers) merged into
    utterances — consecutive cues of one speaker, no more than 2 s apart, until a sentence
    ends or the utterance reaches 160 characters. The WEBVTT header and NOTE/STYLE blocks
    are meta; cue numbers and timing lines stay in the raw text. Times must not go back."""
    lines = split_lines(source.text)
    speakers = Speakers(event)
    blocks: list[list[Line]] = [[]]
    for line in lines:
        if line.blank:
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append(line)
    blocks = [b for b in blocks if b]
    cues, units = [], []
    last_start = -1.0
    for block in blocks:
        timing = next((i for i, line in enumerate(block) if _CUE_TIME.match(line.text)), None)
        if timing is None:
            start, end = line_span(block[0], block[-1])
            head = block[0].stripped
            kind = "note" if head.startswith("NOTE") else "meta"
            units.append(("meta", Unit(start, end, kind, "unattributed", None,
                                       clean(source.text[start:end]))))
            continue
        match = _CUE_TIME.match(block[timing].text)
        a, b = seconds(match.group("a")), seconds(match.group("b"))
        if a < last_start:
            raise TranscriptError(source.path, f"cue time {match.group('a')} is earlier than "
                                  "the cue before it", line=block[timing].number,
                                  fix="fix the cue order (subtitle editors can renumber)")
        last_start = a
        raw = " ".join(line.text for line in block[timing + 1:])
        voice = _VOICE.search(raw)
        text = clean(_TAGS.sub("", raw))
        prefix = None if voice else _NAME_PREFIX.match(text)
        cues.append({"first": block[0], "last": block[-1], "start_s": a, "end_s": b,
                     "voice": voice.group(1) if voice else None, "prefix": prefix,
                     "text": text})
        units.append(("cue", len(cues) - 1))
    # a `Name:` prefix is a speaker only if it recurs or names a participant (so
    # `我的结论是：` or `详情见 https:` stay text), as in speaker-labelled lines
    counts: dict[str, int] = {}
    for cue in cues:
        if cue["prefix"]:
            key = _label_key(cue["prefix"].group(1))
            counts[key] = counts.get(key, 0) + 1
    for cue in cues:
        label = cue["voice"]
        prefix = cue["prefix"]
        if prefix and (counts[_label_key(prefix.group(1))] >= 2
                       or _label_key(prefix.group(1)) in speakers.by_name):
            label, cue["text"] = prefix.group(1), cue["text"][prefix.end():]
        cue["speaker"] = speakers.key(label) if label else "unattributed"
    merged: list[Unit] = []
    group: list[dict] = []

    def flush():
        if group:
            start, _ = line_span(group[0]["first"], group[0]["first"])
            _, end = line_span(group[-1]["last"], group[-1]["last"])
            merged.append(Unit(start, end, "speech", group[0]["speaker"], None,
                               clean(" ".join(c["text"] for c in group)),
                               start_s=group[0]["start_s"], end_s=group[-1]["end_s"]))
            group.clear()

    for kind, item in units:
        if kind == "meta":
            flush()
            merged.append(item)
            continue
        cue = cues[item]
        if group and (cue["speaker"] != group[-1]["speaker"]
                      or cue["start_s"] - group[-1]["end_s"] > MERGE_GAP_S
                      or _SENTENCE_END.search(group[-1]["text"])
                      or sum(len(c["text"]) for c in group) >= MERGE_MAX_CHARS):
            flush()
        group.append(cue)
    flush()
    return ParseResult(merged, list(speakers.roster.values()))


# --- paragraphs --------------------------------------------------------------------------

def parse_paragraphs(source: Source, event: EventMeta) -> ParseResult:
    """One utterance per paragraph (blocks separated by blank lines), unattributed."""
    units = []
    block: list[Line] = []
    for line in split_lines(source.text) + [Line(0, len(source.text), len(source.text), "")]:
        if line.blank:
            if block:
                start, end = line_span(block[0], block[-1])
                units.append(Unit(start, end, "speech", "unattributed", None,
                                  clean(source.text[start:end])))
                block = []
        else:
            block.append(line)
    return ParseResult(units)
