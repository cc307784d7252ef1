"""Meeting minutes: Q sections, `A:` answers, numbered sub-questions, glossary notes, page breaks.

The seed is 拾象's GPT-4 discussion minutes (parser `meeting_minutes`):

    Q1: GPT-4 之后，如何看模型能力演变和边界    <- section (a question of the editor)
    A:                                        <- answer marker (meta)
    1) GPT4 的市场预期                         <- numbered sub-question or point
    - **算法：** ...                           <- markdown, removed from `text`
    TFLOPS 是 ... 的英文缩写。                  <- glossary definition: an editor's note
    ...至少集 / (blank) / 群可以提高三五倍。       <- a sentence split by a PDF page break: rejoined

Speech is an anonymous participant's. Options (`parser_options` in seeds/events.yaml):
`editorial_notes` (paragraph prefixes that are editorial background) and `keep_apart`
(paragraph prefixes that end without punctuation but are not cut by a page break).
"""

from __future__ import annotations

import re

from analysis.errors import TranscriptError
from analysis.project.metadata import EventMeta
from analysis.ingest.sources import Source
from analysis.ingest.parsers.base import (Line, ParseResult, Sample, Unit, clean, join_broken, line_span,
                   preface_units, split_lines, strip_markdown)

_SECTION = re.compile(r"^\s*Q(\d{1,2})\s*[:：]")
_ANSWER = re.compile(r"^\s*A\s*[:：]\s*")
_NUMBERED = re.compile(r"^\s*(?:[-*]\s*)?\d{1,2}\)\s*")
_STRUCTURAL = re.compile(r"^\s*(?:Q\d{1,2}\s*[:：]|A\s*[:：]|\d{1,2}\)|[-*●•]|\*\*)")
_TERMINAL = re.compile(r"[。！？；：.!?;:」”）)】]\s*$")
_QUESTION = re.compile(r"[？?]")
_NOTE_PREFIX = re.compile(r"^\s*注\s*[:：]")
_URL = re.compile(r"https?://[^\s>）)]+")
# Glossary definitions the editor inserted: "CXL: 是...", "PRD: Product Requirement ...",
# "TFLOPS 是 ... 的英文缩写", "3D 堆叠是指 ...", "嵌入式 (Embedding) 是指 ...", "X 也称为 ...".
_GLOSSARY = (
    re.compile(r"^(?!Q\d|A\s*[:：])[A-Za-z][\w .\-]{0,30}[:：]\s*(?:[A-Z]|.{0,40}?(?:是指|是一种|是一个|是在|是用于|缩写))"),
    re.compile(r"^[^，。,：:！？]{1,20}?\s*(?:\([^)]{1,40}\)|（[^）]{1,40}）)?\s*[，,]?\s*这?"
               r"(?:是指|也称为|是一种|是\s?[^，。]{0,80}的(?:英文)?缩写)"),
)
_MIN_BROKEN_HEADING = 40


def sniff(sample: Sample) -> tuple[float, str] | None:
    """Three or more `Q1:` headings, best with `A:` answers."""
    questions = sum(1 for line in sample.filled if _SECTION.match(line.text))
    answers = sum(1 for line in sample.filled if _ANSWER.match(line.text))
    if questions < 3:
        return None
    return (0.96 if answers else 0.75), f"{questions} Q-headings, {answers} A: answers"


def parse(source: Source, event: EventMeta) -> ParseResult:
    """Parse minutes into preface, sections, questions, answers and editorial notes."""
    lines = split_lines(source.text)
    content = [line for line in lines if not line.blank]
    first = next((i for i, line in enumerate(content) if _SECTION.match(line.text)), len(content))
    units = preface_units(lines, content[:first])
    notes = _prefixes(event, "editorial_notes")
    keep_apart = _prefixes(event, "keep_apart")
    used: set[str] = set()

    section: str | None = None
    for group in _rejoin(content[first:], keep_apart, used):
        head = group[0].text
        text = join_broken([strip_markdown(line.text) for line in group])
        start, end = line_span(group[0], group[-1])
        if _SECTION.match(head):
            section = text
            units.append(Unit(start, end, "question", "editor", section, text))
            continue
        if _ANSWER.match(head):
            body = clean(_ANSWER.sub("", text, count=1))
            if not body:
                units.append(Unit(start, end, "meta", "editor", section, text))
                continue
            text = body
        hit = next((p for p in notes if _plain(text).startswith(p)), None)
        if hit:
            used.add(hit)
        if hit or _is_editorial(text):
            kind, speaker = "note", "editor"
        elif _NUMBERED.match(head):
            kind, speaker = ("question" if _QUESTION.search(text) else "speech"), "anonymous"
        else:
            kind, speaker = "speech", "anonymous"
        units.append(Unit(start, end, kind, speaker, section, text))
    for prefix in (notes | keep_apart) - used:
        option = "editorial_notes" if prefix in notes else "keep_apart"
        raise TranscriptError(source.path, f"`{option}` entry {prefix!r} of event "
                              f"{event.event_id!r} matches no paragraph",
                              fix="copy the start of the paragraph exactly into seeds/events.yaml, "
                                  "or remove the entry")
    return ParseResult(units=units)


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _prefixes(event: EventMeta, option: str) -> set[str]:
    values = event.parser_options.get(option) or []
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise TranscriptError(f"seeds/events.yaml (event {event.event_id})",
                              f"`parser_options.{option}` must be a list of text snippets",
                              line=event.line or None, fix="write one `- snippet` per line")
    return {_plain(v) for v in values}


def _is_editorial(text: str) -> bool:
    if _NOTE_PREFIX.match(text) or any(p.match(text) for p in _GLOSSARY):
        return True
    url = _URL.search(text)
    return bool(url) and len(_URL.sub("", text).strip()) < 30


def _rejoin(paragraphs: list[Line], keep_apart: set[str], used: set[str]) -> list[list[Line]]:
    """Group paragraphs, rejoining those that a page break split mid-sentence.

    A paragraph continues into the next when it ends without closing punctuation, the next
    does not open a new structure (Q, A:, 1), bullet), it is not a short heading, and it is
    not listed in `keep_apart`.
    """
    groups: list[list[Line]] = []
    for line in paragraphs:
        if groups and _continues(groups[-1], line, keep_apart, used):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _continues(group: list[Line], nxt: Line, keep_apart: set[str], used: set[str]) -> bool:
    last = strip_markdown(group[-1].text).rstrip()
    if not last or _TERMINAL.search(last) or _STRUCTURAL.match(nxt.text):
        return False
    whole = "".join(line.stripped for line in group)
    if _STRUCTURAL.match(group[0].text) and len(whole) < _MIN_BROKEN_HEADING:
        return False
    plain = _plain(strip_markdown(group[-1].text))
    hit = next((p for p in keep_apart if plain.startswith(p)), None)
    if hit:
        used.add(hit)
        return False
    return True
