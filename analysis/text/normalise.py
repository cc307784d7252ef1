"""Normalisation of utterance text and canonical entities (aliases and ASR misrecognitions).

`normalise(text)` is what every later stage reads: Unicode NFKC applied character by
character except to Chinese punctuation (full-width Latin letters, digits and spaces
become half-width; `，。：？！（）` stay as written), whitespace collapsed to one space.
Spoken fillers stay in the text; the stopword list marks them.

`Aliases` matches the spellings listed in `data/aliases.yaml` and maps them to canonical
entity names, respecting word boundaries for Latin spellings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Iterator
from itertools import product
from pathlib import Path

from analysis.errors import TranscriptError
from analysis.text.lexicons import FRESHNESS_S, data_path, files_stamp, line_of, load_yaml

ENTITY_TYPES = ("company", "model", "product", "person", "concept")
ALIASES_FILE = "aliases.yaml"

# Chinese (full-width) punctuation NFKC would turn into ASCII; kept as written.
_KEEP = set("，。、；：？！（）【】「」『』《》〈〉〔〕～…—・·“”‘’")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _nfkc_table() -> dict[int, str]:
    table = {}
    for code in range(0x80, 0x30000):
        char = chr(code)
        if char in _KEEP or unicodedata.category(char) == "Cs":
            continue
        folded = unicodedata.normalize("NFKC", char)
        if folded != char:
            table[code] = folded
    return table


@lru_cache(maxsize=1)
def _foldable() -> frozenset[str]:
    return frozenset(map(chr, _nfkc_table()))


def normalise(text: str) -> str:
    """Analysis form of a text: per-character NFKC sparing Chinese punctuation, collapsed
    whitespace, no leading or trailing blanks."""
    if text.isascii() or _foldable().isdisjoint(text):  # a set test is faster than translate
        return _SPACE.sub(" ", text).strip()
    return _SPACE.sub(" ", text.translate(_nfkc_table())).strip()


@dataclass(frozen=True)
class Entity:
    """A canonical entity: its name, type and every spelling that means it."""

    name: str
    type: str
    aliases: tuple[str, ...]
    merge: tuple[str, ...] = ()  # whole tokens counted as this entity (text not rewritten)


@dataclass(frozen=True)
class Mention:
    """One match of an entity in a text: character span, spelling found, canonical name."""

    start: int
    end: int
    surface: str
    entity: str
    type: str


_LATIN_PART = re.compile(r"[A-Za-z]+|[0-9]+(?:\.[0-9]+)*|[^A-Za-z0-9\s\-]+")


def _variants(spelling: str) -> set[str]:
    """Spacing variants of a Latin spelling: `GPT-4` -> GPT-4, GPT4, GPT 4; `Llama 2` ->
    Llama2, Llama-2. Two words are never glued (`AI native` does not match `AInative`)."""
    parts = [(m.start(), m.end()) for m in _LATIN_PART.finditer(spelling)]
    if not spelling.isascii() or not 1 < len(parts) <= 5:
        return {spelling}
    texts = [spelling[a:b] for a, b in parts]
    choices = []
    for (_, left_end), (right_start, _), left, right in zip(parts, parts[1:], texts, texts[1:]):
        written = spelling[left_end:right_start]
        if written.strip(" -"):
            return {spelling}
        glue_ok = not (left[-1].isalpha() and right[0].isalpha()) or written == ""
        choices.append(sorted({written, " ", "-"} | ({""} if glue_ok else set())))
    found = set()
    for seps in product(*choices):
        found.add(texts[0] + "".join(sep + part for sep, part in zip(seps, texts[1:])))
    return found


def _trie_pattern(words: list[str]) -> str:
    """A regex matching any of `words` (lower case), longest first, built as a trie so
    that it scans long texts fast. A word ending in a Latin letter or digit only matches
    when no letter or digit follows (`sd` never matches inside `sdk`)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = True

    def build(node: dict, last: str) -> str:
        branches = [re.escape(char) + build(child, char) for char, child in sorted(node.items())
                    if char != ""]
        if "" in node:
            branches.append("(?![a-z0-9])" if last.isascii() and last.isalnum() else "")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(trie, "")


class TermMatcher:
    """Longest-match finder for a fixed set of spellings (case-insensitive for Latin,
    whole words only for Latin): `finditer(text)` yields (start, end, canonical name)."""

    def __init__(self, spellings: dict[str, str]) -> None:
        self.canonical = {key.lower(): name for key, name in spellings.items()}
        self.pattern = re.compile(_trie_pattern(sorted(self.canonical)))

    def finditer(self, text: str) -> Iterator[tuple[int, int, str]]:
        lowered = text.lower()
        if len(lowered) != len(text):  # rare characters whose lower case is longer
            lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
        for match in self.pattern.finditer(lowered):
            start = match.start()
            if start and _is_word_char(lowered[start]) and _is_word_char(lowered[start - 1]):
                continue
            yield start, match.end(), self.canonical[match.group()]


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


class Aliases:
    """The entity table of `data/aliases.yaml` (or another file) with its matcher."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else data_path(ALIASES_FILE)
        self.entities = _read_entities(self.path)
        self._by_key: dict[str, Entity] = {}
        for entity in self.entities:
            for spelling in (entity.name, *entity.aliases):
                for variant in _variants(spelling):
                    self._by_key.setdefault(_key(variant), entity)
        self._types = {entity.name: entity.type for entity in self.entities}
        self.token_merges = {word: entity.name for entity in self.entities
                             for word in entity.merge}
        self.matcher = TermMatcher({key: entity.name for key, entity in self._by_key.items()})

    def __len__(self) -> int:
        return len(self.entities)

    def spellings(self, name: str) -> list[str]:
        """Every spelling (in its matching form, spacing variants included) of an entity."""
        return sorted(key for key, entity in self._by_key.items() if entity.name == name)

    def lookup(self, spelling: str) -> Entity | None:
        """The entity a spelling means (any listed variant, any case), or None."""
        return self._by_key.get(_key(normalise(spelling)))

    def mentions(self, text: str) -> list[Mention]:
        """Every entity mention in a normalised text, left to right, longest match first."""
        types = self.names
        return [Mention(start, end, text[start:end], name, types[name])
                for start, end, name in self.matcher.finditer(text)]

    def canonicalise(self, text: str) -> str:
        """The text with every alias replaced by its canonical name."""
        pieces, position = [], 0
        for start, end, name in self.matcher.finditer(text):
            pieces += [text[position:start], name]
            position = end
        return "".join(pieces) + text[position:]

    @property
    def names(self) -> dict[str, str]:
        """Canonical name -> type."""
        return self._types


def _key(spelling: str) -> str:
    return spelling.lower()


def _read_entities(path: Path) -> tuple[Entity, ...]:
    doc = load_yaml(path)
    items = doc.get("entities")
    if not isinstance(items, list) or not items:
        raise TranscriptError(path, "`entities` must be a non-empty list",
                              fix="add `entities:` with one `- {name: ..., type: ...}` per line")
    entities, seen = [], {}
    for item in items:
        where = line_of(path, str(item.get("name")) if isinstance(item, dict) else str(item))
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) \
                or not item["name"].strip():
            raise TranscriptError(path, f"entity {item!r} has no `name`", line=where,
                                  fix="write each entity as {name: ..., type: ..., aliases: [...]}")
        name = item["name"].strip()
        if item.get("type") not in ENTITY_TYPES:
            raise TranscriptError(path, f"entity {name!r} has type {item.get('type')!r}",
                                  line=where, fix=f"use one of {', '.join(ENTITY_TYPES)}")
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip()
                                                    for a in aliases):
            raise TranscriptError(path, f"entity {name!r}: `aliases` must be a list of spellings",
                                  line=where, fix="write aliases: [spelling, spelling]")
        for spelling in (name, *aliases):
            key = _key(normalise(spelling))
            if key in seen and seen[key] != name:
                raise TranscriptError(path, f"spelling {spelling!r} means both {seen[key]!r} "
                                      f"and {name!r}", line=line_of(path, spelling) or where,
                                      fix="keep the spelling under one entity only")
            seen[key] = name
        merge = item.get("merge") or []
        if not isinstance(merge, list) or not all(isinstance(w, str) and w.strip()
                                                  for w in merge):
            raise TranscriptError(path, f"entity {name!r}: `merge` must be a list of words",
                                  line=where, fix="write merge: [word, word]")
        entities.append(Entity(name, item["type"], tuple(normalise(a) for a in aliases),
                               tuple(normalise(w) for w in merge)))
    for entity in entities:  # checked once every spelling is known
        for word in entity.merge:
            if _key(word) in seen:
                raise TranscriptError(path, f"entity {entity.name!r}: merge word {word!r} is "
                                      f"already a spelling of {seen[_key(word)]!r}",
                                      line=line_of(path, word), fix="list it under one entity only")
    return tuple(entities)


def aliases(path: str | None = None) -> Aliases:
    """The alias table (cached per file, rebuilt when the file changes)."""
    return _aliases(path, files_stamp(Path(path) if path else ALIASES_FILE,
                                      max_age=FRESHNESS_S))


@lru_cache(maxsize=4)
def _aliases(path: str | None, stamp: tuple) -> Aliases:
    return Aliases(path)


def one_match(texts: list[str], snippet: str, *, path, line: int | None, event_id: str,
              normalised: bool = False) -> int:
    """Index of the one text (of an event) containing `snippet`, compared in normalised
    form (`normalised=True`: the texts already are); anything else is an error naming the
    file and line of the quoting entry."""
    needle = normalise(snippet)
    hits = [i for i, text in enumerate(texts)
            if needle in (text if normalised else normalise(text))]
    if len(hits) != 1:
        raise TranscriptError(path, f"snippet {snippet!r} matches {len(hits)} utterances of "
                              f"{event_id}", line=line,
                              fix="quote more (or other) words so exactly one utterance matches")
    return hits[0]
