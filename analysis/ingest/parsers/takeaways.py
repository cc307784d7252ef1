"""Takeaway lists: numbered items (`1、...`), each naming its speaker inside the text, or none.

The seed is 极客公园's "顶流群聊" notes (parser `takeaway_list`). The speaker of an item is the
participant (from seeds/events.yaml, names and aliases) named earliest in it; an item that
names no one is the editor's summary. Lines before the first item and after the last are meta.
"""

from __future__ import annotations

import re

from analysis.project.metadata import EventMeta
from analysis.ingest.sources import Source
from analysis.ingest.parsers.base import Line, ParseResult, Sample, Unit, clean, line_span, split_lines

_ITEM = re.compile(r"^\s*(\d{1,3})\s*[、.．)）]\s*")
_SOURCE_LINE = re.compile(r"^\s*(from|来源|出处|source)\s*[:：]", re.I)


def sniff(sample: Sample) -> tuple[float, str] | None:
    """Eight or more numbered items making up at least half of the lines."""
    numbered = sum(1 for line in sample.filled if _ITEM.match(line.text))
    if numbered < 8 or numbered / sample.n < 0.5:
        return None
    return round(min(0.93, 0.43 + numbered / sample.n), 2), f"{numbered} numbered items"


def _speaker(text: str, names: list[tuple[str, str]]) -> str:
    found = [(text.find(name), -len(name), pid) for name, pid in names if name in text]
    return min(found)[2] if found else "editor"


def parse(source: Source, event: EventMeta) -> ParseResult:
    """One utterance per numbered item (continuation lines included)."""
    names = [(name, p.id) for p in event.participants for name in (p.name, *p.aliases)]
    content = [line for line in split_lines(source.text) if not line.blank]
    items: list[list[Line]] = []
    before: list[Line] = []
    after: list[Line] = []
    for line in content:
        if _ITEM.match(line.text):
            items.append([line])
        elif items and not _SOURCE_LINE.match(line.text) and not after:
            items[-1].append(line)
        elif items:
            after.append(line)
        else:
            before.append(line)
    units = []
    if before:
        start, end = line_span(before[0], before[-1])
        units.append(Unit(start, end, "meta", "editor", None,
                          clean(" ".join(line.text for line in before))))
    for item in items:
        start, end = line_span(item[0], item[-1])
        text = clean(" ".join([_ITEM.sub("", item[0].text, count=1)] +
                              [line.text for line in item[1:]]))
        units.append(Unit(start, end, "speech", _speaker(text, names), None, text))
    if after:
        start, end = line_span(after[0], after[-1])
        units.append(Unit(start, end, "meta", "editor", None,
                          clean(" ".join(line.text for line in after))))
    return ParseResult(units=units)
