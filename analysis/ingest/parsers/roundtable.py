"""Roundtable notes: a roster, numbered questions as sections, speaker header lines, `提问：` paragraphs.

The seed is 出海同学会's closed-door notes (see seeds/events.yaml, parser `roundtable_notes`):

    AIRudder, CEO, 任腾          <- roster line "Company, Title, Name"
    1                            <- section number
    AI 在Infra层面的发展现状...？  <- the section's question
    蚂蚁集团 徐鹏                  <- speaker header "Company Name" (matched against the roster)
    paragraph ...                <- speech, one utterance per paragraph
    提问：...                     <- audience question
    本期笔记整理员：KK，盼盼        <- credits
"""

from __future__ import annotations

import re

from analysis.errors import TranscriptError
from analysis.project.metadata import EventMeta
from analysis.ingest.sources import Source
from analysis.ingest.parsers.base import (Line, ParseResult, RosterEntry, Sample, Unit, clean, line_span,
                   preface_units, split_lines)

_ROSTER_LINE = re.compile(
    r"^\s*([^,，。？！；]{1,40}?)\s*[,，]\s*([^,，。？！；]{1,40}?)\s*[,，]\s*([^,，。？！；]{1,30}?)\s*$")
_SECTION_NUMBER = re.compile(r"^\s*(\d{1,2})\s*$")
_AUDIENCE = re.compile(r"^\s*(提问|问题|Q)\s*[:：]\s*")
_CREDITS = re.compile(r"^\s*(本期)?(笔记|文字)?(整理|编辑|排版|校对|记录|撰稿)(员|人|者)?\s*[:：]")
_URL = re.compile(r"https?://\S+")
_SENTENCE_PUNCT = re.compile(r"[，。？！；：,.?!;:、（）()“”\"「」]")
_MIN_ROSTER = 3


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def _find_roster(lines: list[Line]) -> tuple[list[RosterEntry], set[int]]:
    """The longest run of consecutive "Company, Title, Name" lines."""
    best: list[Line] = []
    run: list[Line] = []
    for line in lines + [Line(0, 0, 0, "")]:
        if _ROSTER_LINE.match(line.text) and not _URL.search(line.text):
            run.append(line)
            continue
        if len(run) > len(best):
            best = run
        run = []
    if len(best) < _MIN_ROSTER:
        return [], set()
    roster = []
    for line in best:
        company, title, name = (p.strip() for p in _ROSTER_LINE.match(line.text).groups())
        roster.append(RosterEntry(name=name, affiliation=company, title=title))
    return roster, {line.number for line in best}


def _header_keys(event: EventMeta, roster: list[RosterEntry]) -> dict[str, str]:
    """Normalised header forms ("Company Name", "Name", aliases) -> speaker key."""
    keys: dict[str, str] = {}
    by_name = {p.name: p for p in event.participants}
    for person in roster:
        participant = by_name.get(person.name)
        key = participant.id if participant else f"roster:{person.name}"
        for name in dict.fromkeys((person.name, *(participant.aliases if participant else ()))):
            keys[_norm(person.affiliation + name)] = key
            keys[_norm(name)] = key
    for participant in event.participants:
        for name in (participant.name, *participant.aliases):
            keys.setdefault(_norm(participant.affiliation + name), participant.id)
            keys.setdefault(_norm(name), participant.id)
    return keys


def _looks_like_header(line: Line, following: Line | None) -> bool:
    """A short label line ("Company Name") that introduces a longer paragraph."""
    text = line.stripped
    return (len(_norm(text)) <= 30 and " " in text and not _SENTENCE_PUNCT.search(text)
            and not _URL.search(text) and following is not None
            and len(following.stripped) > len(text) + 10)


def sniff(sample: Sample) -> tuple[float, str] | None:
    """A roster of "Company, Title, Name" lines whose people head paragraphs as "Company
    Name" lines; without a roster, short two-word headers before long paragraphs and
    `提问：` paragraphs."""
    roster, _ = _find_roster(sample.filled)
    names = {_norm(p.affiliation + p.name) for p in roster} | {_norm(p.name) for p in roster}
    headed = sum(1 for line in sample.filled if _norm(line.text) in names)
    if roster and headed >= 2:
        return (0.95, f"a roster of {len(roster)} people, {headed} paragraphs headed by "
                      "their names")
    asked = sum(1 for line in sample.filled if _AUDIENCE.match(line.text))
    short = sum(1 for a, b in zip(sample.filled, sample.filled[1:]) if _looks_like_header(a, b)
                and len(a.stripped.split()) in (2, 3) and len(b.stripped) >= 60)
    if asked and short >= 5:
        return 0.8, f"{short} 'Company Name' headers, {asked} 提问：paragraphs"
    return None


def parse(source: Source, event: EventMeta) -> ParseResult:
    """Parse roundtable notes into preface blocks, section questions, speech and credits."""
    lines = split_lines(source.text)
    content = [line for line in lines if not line.blank]
    roster, roster_lines = _find_roster(content)
    headers = _header_keys(event, roster)
    units: list[Unit] = []

    first_section = next((i for i, line in enumerate(content[:-1])
                          if _SECTION_NUMBER.match(line.text)
                          and not _SECTION_NUMBER.match(content[i + 1].text)), len(content))
    units.extend(preface_units(lines, content[:first_section], exclude=roster_lines))

    section: str | None = None
    speaker: str | None = None
    pending_header: Line | None = None
    i = first_section
    while i < len(content):
        line = content[i]
        following = content[i + 1] if i + 1 < len(content) else None
        if _SECTION_NUMBER.match(line.text) and following is not None:
            if pending_header:
                units.append(_unit(pending_header, pending_header, "meta", speaker, section,
                                   pending_header.stripped))
                pending_header = None
            section = f"{_SECTION_NUMBER.match(line.text)[1]}. {clean(following.text)}"
            units.append(_unit(line, following, "question", "editor", section,
                               clean(following.text)))
            speaker = None
            i += 2
            continue
        key = headers.get(_norm(line.text))
        if key is not None and len(_norm(line.text)) <= 40:
            if pending_header:
                units.append(_unit(pending_header, pending_header, "meta", speaker, section,
                                   pending_header.stripped))
            speaker, pending_header = key, line
            i += 1
            continue
        if _looks_like_header(line, following):
            raise TranscriptError(
                source.path, f"speaker header {line.stripped!r} matches no one in the roster",
                line=line.number,
                fix=f"add the person to `participants:` of event {event.event_id!r} in "
                    "seeds/events.yaml (with `aliases:` for other spellings)")
        first = pending_header or line
        pending_header = None
        if _CREDITS.match(line.text):
            units.append(_unit(first, line, "meta", "editor", section, clean(line.text)))
        elif _AUDIENCE.match(line.text):
            units.append(_unit(first, line, "question", "audience", section,
                               clean(_AUDIENCE.sub("", line.text, count=1))))
            speaker = None
        else:
            units.append(_unit(first, line, "speech", speaker or "unattributed", section,
                               clean(line.text)))
        i += 1
    if pending_header:
        units.append(_unit(pending_header, pending_header, "meta", speaker, section,
                           pending_header.stripped))
    return ParseResult(units=units, roster=roster)


def _unit(first: Line, last: Line, kind: str, speaker: str | None, section: str | None,
          text: str) -> Unit:
    start, end = line_span(first, last)
    return Unit(start, end, kind, speaker or "editor", section, text)
