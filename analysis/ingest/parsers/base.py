"""What every parser returns, and the text helpers they share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


_CJK_CHAR = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CJK_EDGE = re.compile(rf"[{_CJK_CHAR}]")
_SPACES = re.compile(r"\s+")
_MARKDOWN = [
    (re.compile(r"\[([^\]]*)\]\((?:[^)]*)\)"), r"\1"),      # [text](link) -> text
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),           # <url> -> url
    (re.compile(r"\*\*|__"), ""),                           # bold markers
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)\*(?![\w*])"), r"\1"),  # *italic*
    (re.compile(r"^\s*(?:[-*+●•]\s+|[-●•](?=\S))", re.M), ""),  # bullet markers
]


@dataclass
class Unit:
    """One utterance as a parser finds it: a span of the source and what it is.

    Attributes:
        start, end: character offsets into the decoded source (end exclusive); the span is the
            utterance's raw text, so spans of a parse must not overlap.
        kind: speech, question, note or meta.
        speaker: a participant id from the metadata, a roster key, or one of UNNAMED.
        section: the section heading the utterance falls under, or None.
        text: the cleaned text for analysis.
        start_s, end_s: time in the recording (seconds) where the format gives one.
    """

    start: int
    end: int
    kind: str
    speaker: str
    section: str | None
    text: str
    start_s: float | None = None
    end_s: float | None = None


@dataclass
class RosterEntry:
    """A person listed in the transcript itself (e.g. the roster of roundtable notes)."""

    name: str
    affiliation: str = ""
    title: str = ""


@dataclass
class ParseResult:
    """A parser's output: utterance units in source order, and any roster found in the text."""

    units: list[Unit]
    roster: list[RosterEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Line:
    """One line of the source: 1-based number, offsets (without the line break) and text."""

    number: int
    start: int
    end: int
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    @property
    def stripped(self) -> str:
        return self.text.strip()


def split_lines(text: str) -> list[Line]:
    """All lines of a text with their offsets; handles \\n, \\r\\n and lone \\r."""
    out, number = [], 1
    for match in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text):
        if match.start() == len(text) and match.group() == "":
            break
        body = match.group().rstrip("\r\n")
        out.append(Line(number, match.start(), match.start() + len(body), body))
        number += 1
    return out


def line_span(first: Line, last: Line) -> tuple[int, int]:
    """Offsets from the first non-blank character of `first` to the last of `last`."""
    lead = len(first.text) - len(first.text.lstrip())
    trail = len(last.text) - len(last.text.rstrip())
    return first.start + lead, last.end - trail


def clean(text: str) -> str:
    """Analysis text: whitespace runs collapsed to one space, ends trimmed."""
    return _SPACES.sub(" ", text).strip()


def join_broken(parts: list[str]) -> str:
    """Rejoin pieces of one sentence split by a page break: no space between two CJK characters."""
    out = ""
    for part in (clean(p) for p in parts):
        if out and part and not (_CJK_EDGE.match(out[-1]) and _CJK_EDGE.match(part[0])):
            out += " "
        out += part
    return out


def strip_markdown(text: str) -> str:
    """Remove markdown markup (bold, italics, links, bullets) but keep the words."""
    for pattern, repl in _MARKDOWN:
        text = pattern.sub(repl, text)
    return text


_URL = re.compile(r"https?://\S+")
_PROSE = re.compile(r"[，。]")


def preface_units(lines: list[Line], preface: list[Line], *, exclude: set[int] = frozenset(),
                  note_prefix: re.Pattern | None = None) -> list[Unit]:
    """Units for the lines before the first section, one per block of consecutive lines.

    A block with a line of editorial prose (40+ characters with Chinese punctuation, no link,
    not in `exclude`) is a `note` of the editor; anything else (titles, links, dates, rosters,
    follow buttons) is `meta`.
    """
    if not preface:
        return []
    wanted = {line.number for line in preface}
    blocks: list[list[Line]] = [[]]
    for line in lines:
        if line.number > preface[-1].number:
            break
        if line.number in wanted:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    units = []
    for block in filter(None, blocks):
        prose = any(len(line.stripped) >= 40 and _PROSE.search(line.text)
                    and not _URL.search(line.text) and line.number not in exclude
                    for line in block)
        start, end = line_span(block[0], block[-1])
        text = clean(strip_markdown("\n".join(line.text for line in block)))
        units.append(Unit(start, end, "note" if prose else "meta", "editor", None, text))
    return units


# --- what auto-detection looks at -------------------------------------------------------

SAMPLE_WINDOW_CHARS = 300_000
SAMPLE_WINDOW_LINES = 2_000


@dataclass(frozen=True)
class Sample:
    """The part of a transcript that format sniffing reads: the whole text when it is small,
    else three windows (beginning, middle, end), so a title block or a preface cannot decide
    alone. `lines` are whole lines only; `filled` the non-blank ones."""

    head: str  # the first characters of the text
    lines: list[Line]
    filled: list[Line]
    whole: bool

    @property
    def n(self) -> int:
        return len(self.filled)


def sample_of(text: str) -> Sample:
    """Lines from the beginning, middle and end of a text (all of them when it is small)."""
    text = text.lstrip("\ufeff")
    limit = 3 * SAMPLE_WINDOW_CHARS
    if len(text) <= limit:
        lines = split_lines(text)
        whole = len(lines) <= 3 * SAMPLE_WINDOW_LINES
        if not whole:
            third = len(lines) // 2 - SAMPLE_WINDOW_LINES // 2
            lines = (lines[:SAMPLE_WINDOW_LINES] + lines[third:third + SAMPLE_WINDOW_LINES]
                     + lines[-SAMPLE_WINDOW_LINES:])
    else:
        whole, lines = False, []
        for start in (0, len(text) // 2 - SAMPLE_WINDOW_CHARS // 2,
                      len(text) - SAMPLE_WINDOW_CHARS):
            window = split_lines(text[start:start + SAMPLE_WINDOW_CHARS])
            if start and len(window) > 1:
                window = window[1:]  # a cut line is not a line
            if start + SAMPLE_WINDOW_CHARS < len(text) and len(window) > 1:
                window = window[:-1]
            lines.extend(window[:SAMPLE_WINDOW_LINES] if start == 0 else
                         window[-SAMPLE_WINDOW_LINES:])
    return Sample(text[:SAMPLE_WINDOW_CHARS], lines, [line for line in lines if not line.blank],
                  whole)
