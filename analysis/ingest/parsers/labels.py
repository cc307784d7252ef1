"""Speaker labels at the start of a line or a subtitle cue, shared by every line-based and
subtitle parser: what a label looks like, what only looks like one (quoted speech, `我说：`,
`比如：`, `[音乐]`), and turning labels into speaker keys.

A label opens a turn that lasts until the next label ("labels on change"): the lines or cues
in between belong to it. Label forms: `【说话人1】`, `[SPEAKER_00]:`, `**姓名**：`, `姓名：`,
`Name:`, `A:`, and a generic label alone on its line (`说话人 1`, `Speaker 2`). The word lists
live in data/speaker_labels.yaml.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from analysis.text.lexicons import string_list
from analysis.project.metadata import EventMeta
from analysis.ingest.parsers.base import RosterEntry, clean

_DATA = "speaker_labels.yaml"
OPEN_QUOTES = "“「『‘\"《"
QUOTES = "“”「」『』‘’\"'"
_PAIRS = {"“": "”", "「": "」", "『": "』", "‘": "’"}
_QUOTE_MARK = re.compile("[" + "".join(_PAIRS) + "".join(_PAIRS.values()) + "]")

_LABEL = re.compile(
    r"^[ \t\u3000]*(?:-[ \t]*)?"
    r"(?:\*\*(?P<bold>[^*\n]{1,24}?)[ \t]*[：:]?[ \t]*\*\*[ \t]*[：:]?"      # **姓名**： / **姓名：**
    r"|【(?P<bracket>[^】\n]{1,24})】[ \t]*[：:]?"                          # 【姓名】
    r"|\[(?P<square>[^\]\n]{1,24})\][ \t]*[：:]?"                           # [SPEAKER_00]:
    r"|(?P<plain>[^\s：:，。！？,!?【】\[\]*<>][^：:，。！？,!?\n<>]{0,23}?)[ \t]*[：:](?!//)"  # 姓名：
    r"|(?P<alone>[^\s：:，。！？,!?]{1,12}(?:[ _]?\d{1,3}|[ _][A-Za-z]))[ \t]*$"   # 说话人 1
    r")[ \t\u3000]*")
_TIME_LIKE = re.compile(r"^[\d\s:.,]+$")
_SCORE = re.compile(r"\s*[|｜]\s*(?:[a-z]+\s*)?[\d.]+\s*$", re.I)  # a diariser's confidence
_CLOCK_AFTER = re.compile(r"^\d{1,2}(?:[:.]\d{2})")


@dataclass(frozen=True)
class Label:
    """A speaker label found at the start of a text.

    Attributes:
        name: the label as written, cleaned (`说话人1`, `Kevin Wang`).
        start, end: offsets in the text: where the label begins and where the speech after
            it starts (so `text[end:]` is the speech, `text[start:end]` the label).
        generic: a generic speaker label (`说话人1`, `SPEAKER_00`), a speaker even if it
            occurs once.
    """

    name: str
    start: int
    end: int
    generic: bool


# invisible format characters (zero-width space and joiners, direction marks, BOM, soft
# hyphen) that exports leave inside names: `嘉\u200b宾` is `嘉宾`
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def visible(label: str) -> str:
    """A label without invisible format characters, whitespace collapsed."""
    return clean(_INVISIBLE.sub("", label))


def label_key(label: str) -> str:
    """The form labels are compared in: NFKC (full-width letters and digits as ASCII),
    invisible characters and spaces removed, case folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _INVISIBLE.sub("", label))).casefold()


@lru_cache(maxsize=1)
def _words() -> tuple[tuple[str, ...], frozenset, tuple[str, ...], frozenset]:
    prefixes = tuple(label_key(w) for w in string_list(_DATA, "generic_prefixes"))
    pronouns = frozenset(label_key(w) for w in string_list(_DATA, "pronouns"))
    verbs = tuple(sorted((label_key(w) for w in string_list(_DATA, "reporting_verbs")),
                         key=len, reverse=True))
    never = frozenset(label_key(w) for w in string_list(_DATA, "not_speakers"))
    return prefixes, pronouns, verbs, never


def is_generic(name: str) -> bool:
    """`说话人1`, `发言人 2`, `Speaker 3`, `SPEAKER_00`, `嘉宾A`: a prefix from the data file
    followed by a number or a letter."""
    key = label_key(name)
    prefixes = _words()[0]
    return any(key.startswith(p) and re.fullmatch(r"_?(?:\d{1,3}|[a-z]{1,2})", key[len(p):])
               for p in prefixes)


def plausible_name(name: str) -> bool:
    """A name that could be a speaker: not quoted, not reported speech, not prose."""
    _, pronouns, verbs, never = _words()
    key = label_key(name)
    if not key or any(q in name for q in QUOTES) or _TIME_LIKE.match(name):
        return False
    if len(name.split()) > 4 or key in never or key in pronouns:
        return False
    for verb in verbs:
        if key.endswith(verb) and len(key) > len(verb):
            return False
    # `他问` / `我们答`: a pronoun that asks or answers reports speech too
    if key[-1:] in "问答" and key[:-1] in pronouns:
        return False
    if re.search(r"\d{1,2}:\d{2}", name):  # a timestamp header, read by `timestamped`
        return False
    return True


def find_label(text: str, *, before: str = "") -> Label | None:
    """The speaker label that `text` (a line, or a cue's text) opens with, if any.

    `before` is the text just before (the previous line or cue): a name inside a quotation
    opened there is quoted speech. A name followed by an opening quote (`他说：“`) is too.
    A generic label (`【说话人1】`) is never quoted speech.
    """
    match = _LABEL.match(text)
    if not match:
        return None
    kind = next(k for k in ("bold", "bracket", "square", "plain", "alone") if match.group(k))
    name, scored = _SCORE.subn("", clean(match.group(kind)))  # `[SPEAKER_00 | 0.72]`
    rest = text[match.end():]
    generic = is_generic(name)
    if not plausible_name(name):
        return None
    colon = bool(re.search(r"[：:][ \t\u3000]*$", text[:match.end()]))
    if kind == "alone" and not generic:
        return None  # a short line of prose is not a label
    if kind == "square" and not (generic or scored or colon):
        return None  # `[笑]` is a sound
    if kind == "alone" and rest.strip():
        return None
    if rest[:1] and rest[:1] in OPEN_QUOTES and not generic:
        return None
    if kind == "plain" and _CLOCK_AFTER.match(rest) and re.search(r"\d$", name):
        return None  # `说话人 1 00:01:23` is a timestamp header
    if quote_open(before) and not generic:
        return None
    lead = len(text) - len(text.lstrip(" \t\u3000"))
    return Label(name, lead, match.end(), generic)


def quote_open(text: str) -> bool:
    """Whether `text` ends inside a quotation it opened (an unclosed “, 「, 『 or ‘)."""
    depth: list[str] = []
    for char in _QUOTE_MARK.findall(text):  # other characters change nothing
        if char in _PAIRS:
            depth.append(_PAIRS[char])
        elif depth and char == depth[-1]:
            depth.pop()
        elif char in _PAIRS.values() and char in depth:
            while depth and depth.pop() != char:
                pass
    return bool(depth)


class LabelVote:
    """Which labels of a file count: a generic label or a participant's name always; any
    other name only if it opens at least two lines or cues (so `我的结论是：` in prose does not)."""

    def __init__(self, found: list[Label | None], known: set[str] = frozenset()) -> None:
        self.counts: dict[str, int] = {}
        for label in found:
            if label:
                key = label_key(label.name)
                self.counts[key] = self.counts.get(key, 0) + 1
        self.known = known

    def accepts(self, label: Label | None) -> bool:
        if not label:
            return False
        key = label_key(label.name)
        return label.generic or key in self.known or self.counts.get(key, 0) >= 2


class Speakers:
    """Labels -> speaker keys: participants by name or alias, else roster entries."""

    def __init__(self, event: EventMeta) -> None:
        self.by_name = {}
        for p in event.participants:
            for name in (p.name, p.id, *p.aliases):
                self.by_name[label_key(name)] = p.id
        self.roster: dict[str, RosterEntry] = {}
        self._first: dict[str, str] = {}

    def key(self, label: str) -> str:
        label = visible(label)
        key = label_key(label)
        found = self.by_name.get(key)
        if found:
            return found
        label = self._first.setdefault(key, label)  # one speaker however the label is written
        self.roster.setdefault(label, RosterEntry(name=label))
        return f"roster:{label}"
