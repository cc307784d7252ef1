"""Generic parsers for the formats analysts bring: speaker-labelled lines, meeting and ASR
exports with speaker + timestamp lines (飞书妙记, 腾讯会议, 讯飞听见, 通义听悟, Otter), plain
paragraphs. (Subtitles and Whisper JSON have modules of their own.)

Speaker labels resolve to the event's participants by name or alias (events.yaml, e.g.
`aliases: [说话人 1]`); other labels become speakers of their own. Timestamps are kept as
`start_s`/`end_s` seconds. Every character of the source lands in one unit.
"""

from __future__ import annotations

import re

from analysis.errors import TranscriptError
from analysis.project.metadata import EventMeta
from analysis.ingest.sources import Source
from analysis.ingest.parsers.base import Line, ParseResult, Sample, Unit, clean, line_span, split_lines
from analysis.ingest.parsers.labels import Label, LabelVote, Speakers, find_label, label_key, plausible_name
from analysis.ingest.parsers.subtitles import seconds

# --- speaker-labelled lines --------------------------------------------------------------


def _labels(lines: list[Line]) -> list[Label | None]:
    """The label each line opens with (None for blank and unlabelled lines)."""
    found, before = [], ""
    for line in lines:
        if line.blank:
            found.append(None)
            continue
        found.append(None if _header(line) else find_label(line.text, before=before))
        before = line.text
    return found


def sniff_labelled(sample: Sample) -> tuple[float, str] | None:
    """Labels that recur (or are generic) open lines: on every line, or only on a change."""
    found = _labels(sample.filled)
    vote = LabelVote(found)
    opened = [i for i, label in enumerate(found) if vote.accepts(label)]
    if len(opened) < 2:
        return None
    names = [label_key(found[i].name) for i in opened]
    changes = sum(1 for a, b in zip(names, names[1:]) if a != b) / (len(names) - 1)
    share = len(opened) / sample.n
    generic = sum(1 for i in opened if found[i].generic)
    if share < 0.2 and not (len(opened) >= 4 and changes >= 0.6) \
            and not (generic >= 2 and changes >= 0.5):  # `说话人N` needs no more proof
        return None
    covered = 1 - opened[0] / sample.n  # lines from the first label on belong to turns
    on_change = share < 0.5 and changes >= 0.6
    how = (f"labels on change: {len(opened)} labels ({len(set(names))} speakers) open turns"
           if on_change else f"{len(opened)} of {sample.n} lines open with a speaker label")
    return round(min(0.95, 0.72 + 0.23 * covered), 2), how


def parse_labelled(source: Source, event: EventMeta) -> ParseResult:
    """`姓名：内容`, `Name: text`, `**姓名**：内容`, `【说话人1】内容`, `A: text` lines. A label
    opens a turn that lasts until the next label, so lines without a label continue the
    speaker before them, and labels may come only where the speaker changes; a label alone
    on its line applies to the lines below. A name counts only if it recurs or names a
    participant (so `注意：` in prose does not); quoted speech (`”他说：`) is never a label.
    Lines before the first label are a title or preface (meta)."""
    lines = split_lines(source.text)
    speakers = Speakers(event)
    found = _labels(lines)
    vote = LabelVote(found, set(speakers.by_name))
    units: list[Unit] = []
    current: list = []  # [first Line, last Line, speaker key, text start offset]

    def close():
        if current:
            first, last, key, text_start = current
            start, end = line_span(first, last)
            body = source.text[text_start:end] if text_start < end else ""
            kind = "meta" if key == "unattributed" and not units else "speech"
            units.append(Unit(start, end, kind, key, None, clean(body)))
            current.clear()

    for line, label in zip(lines, found):
        if line.blank:
            continue
        if vote.accepts(label):
            close()
            current.extend([line, line, speakers.key(label.name), line.start + label.end])
        elif current:
            current[1] = line
        else:
            current.extend([line, line, "unattributed", line.start])
    close()
    return ParseResult(units, list(speakers.roster.values()))


# --- speaker + timestamp exports ---------------------------------------------------------

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_NAME = r"[^\d\s:：()（）\[\]|｜][^:：\n()（）\[\]|｜]{0,28}?"
_HEADERS = (
    # 说话人 1 00:01:23 / Speaker 1  0:03 / 张三（00:01:23）
    re.compile(rf"^\s*(?P<name>{_NAME})\s*(?:[(（]\s*(?P<ts>{_TIME})\s*[)）]|\s(?P<ts2>{_TIME}))"
               rf"\s*[：:]?\s*$"),
    # 00:01:23 张三 / [00:01:23] 张三：
    re.compile(rf"^\s*[\[(（]?(?P<ts>{_TIME})[\])）]?\s+(?P<name>{_NAME})\s*[：:]?\s*$"),
    # text on the header line: 周航(00:00:08): 各位早 (腾讯会议) / [00:01:23] 张三：各位早
    re.compile(rf"^\s*(?P<name>{_NAME})\s*[(（]\s*(?P<ts>{_TIME})\s*[)）]\s*[：:]\s*(?=\S)"),
    re.compile(rf"^\s*[\[(（](?P<ts>{_TIME})[\])）]\s*(?P<name>{_NAME})\s*[：:]\s*(?=\S)"),
)


# the app's signature under the last block (Otter: `Transcribed by https://otter.ai`)
_FOOTER = re.compile(r"^\s*(?:Transcribed by\b|(?:本文|文字记录|内容)?由.{1,20}(?:生成|转写|导出))",
                     re.I)


def _header(line: Line) -> tuple[str, float | None, int | None] | None:
    """(speaker, seconds, offset of text on the same line or None) when the line is a
    speaker + time header (seconds None when the time is not a clock time)."""
    for pattern in _HEADERS:
        match = pattern.match(line.text)
        if match:
            name = clean(re.sub(r"\*\*|__", "", match.group("name")))  # **Emma** 0:00
            if not plausible_name(name):
                return None
            stamp = match.group("ts") or match.groupdict().get("ts2")
            rest = line.start + match.end() if match.end() < len(line.text) else None
            return name, seconds(stamp), rest
    return None


def sniff_timestamped(sample: Sample) -> tuple[float, str] | None:
    headers = [line for line in sample.filled if _header(line)]
    if len(headers) < 2 or len(headers) / sample.n < 0.05:
        return None
    names = {label_key(_header(line)[0]) for line in headers}
    covered = 1 - sample.filled.index(headers[0]) / sample.n
    return (round(min(0.96, 0.8 + 0.16 * covered), 2),
            f"{len(headers)} speaker + time lines ({len(names)} speakers)")


def parse_timestamped(source: Source, event: EventMeta) -> ParseResult:
    """Meeting and ASR exports: a line `说话人 1 00:01:23` (speaker, then time, with or
    without brackets; or time, then speaker) heads the text lines below it, with or without
    a blank line between; `周航(00:00:08): text` (腾讯会议) carries text on the header line. `start_s` is the header's time, `end_s` the next header's. Times
    must not go backwards. Lines before the first header (title, date, keywords) and an
    app's signature after the last block are meta."""
    lines = split_lines(source.text)
    speakers = Speakers(event)
    blocks: list[list] = []  # [header Line, name, start_s, text start offset, [text lines]]
    preface: list[Line] = []
    for line in lines:
        if line.blank:
            continue
        found = _header(line)
        if found:
            if found[1] is None:
                raise TranscriptError(source.path, f"timestamp {line.stripped[:60]!r} is not a "
                                      "clock time (minutes and seconds run to 59)",
                                      line=line.number, fix="correct the time on that line")
            if blocks and found[1] < blocks[-1][2]:
                raise TranscriptError(source.path, f"timestamp {line.stripped!r} is earlier "
                                      "than the one before it", line=line.number,
                                      fix="fix the export's order, or use parser: "
                                          "labelled_lines / paragraphs to ignore times")
            blocks.append([line, found[0], found[1], found[2], []])
        elif blocks:
            blocks[-1][4].append(line)
        else:
            preface.append(line)
    footer: list[Line] = []
    while blocks and blocks[-1][4] and _FOOTER.match(blocks[-1][4][-1].text):
        footer.insert(0, blocks[-1][4].pop())
    units = []
    if preface:
        units.append(_meta(source, preface))
    for i, (header, name, start_s, rest, body) in enumerate(blocks):
        last = body[-1] if body else header
        start, end = line_span(header, last)
        text = clean(" ".join(([source.text[rest:header.end]] if rest else [])
                              + [line.text for line in body]))
        end_s = blocks[i + 1][2] if i + 1 < len(blocks) else None
        units.append(Unit(start, end, "speech", speakers.key(name), None, text,
                          start_s=start_s, end_s=end_s))
    if footer:
        units.append(_meta(source, footer))
    return ParseResult(units, list(speakers.roster.values()))


def _meta(source: Source, lines: list[Line]) -> Unit:
    """Header or footer lines of an export (title, date, keywords, signature) as meta."""
    start, end = line_span(lines[0], lines[-1])
    return Unit(start, end, "meta", "unattributed", None, clean(source.text[start:end]))


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


def sniff_paragraphs(sample: Sample) -> tuple[float, str]:
    """The fallback: blocks separated by blank lines."""
    blocks = sum(1 for a, b in zip([None, *sample.lines], sample.lines)
                 if not b.blank and (a is None or a.blank))
    return (0.5 if blocks >= 2 else 0.3), f"{blocks} blank-line separated blocks"
