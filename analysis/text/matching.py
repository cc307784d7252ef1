"""Finding many word lists in a text in one pass (Aho-Corasick), with the same matches as
the regular expressions the codebooks compile.

A codebook word list compiles to one regex (`analysis.coding.words._word_pattern`): the words longest
first, case ignored, a word that starts or ends with a Latin letter or digit matched only
whole at that end. Running one such regex per topic over every unit costs a pass per
list; `Scanner` finds every occurrence of every list's words in one pass and then picks,
list by list, exactly the matches `finditer` would: at each position the first word in
the list's order that fits its boundaries, the next search after its end. A list with a
raw `/regex/` entry, or a text whose lower case changes its length, falls back to the
regex itself.
"""

from __future__ import annotations

import re
from collections import defaultdict

import ahocorasick

from analysis.text.normalise import normalise

_LATIN = re.compile(r"[A-Za-z0-9]")

Match = tuple[int, int, str]


class Scanner:
    """Several word lists (`lists[i]`, with `patterns[i]` the regex compiled from it)."""

    def __init__(self, lists: list[list[str]], patterns: list[re.Pattern | None]) -> None:
        self.patterns = patterns
        self.fallback = [any(len(w) > 2 and w.startswith("/") and w.endswith("/")
                             for w in words) for words in lists]
        entries: dict[str, list[tuple[int, int, int, bool, bool]]] = defaultdict(list)
        for slot, words in enumerate(lists):
            if self.fallback[slot]:
                continue
            for order, word in enumerate(sorted(set(words), key=lambda w: (-len(w), w))):
                body = normalise(word)
                key = body.lower()
                if len(key) != len(body):
                    self.fallback[slot] = True
                    break
                entries[key].append((slot, order, len(key), bool(_LATIN.match(word)),
                                     bool(re.search(r"[A-Za-z0-9]$", word))))
        self.automaton = ahocorasick.Automaton()
        for key, found in entries.items():
            found = [f for f in found if not self.fallback[f[0]]]
            if found:
                self.automaton.add_word(key, tuple(found))
        self._fallen = [slot for slot, fell in enumerate(self.fallback) if fell]
        self.empty = len(self.automaton) == 0
        if not self.empty:
            self.automaton.make_automaton()

    def scan(self, text: str) -> dict[int, list[Match]]:
        """List number -> its matches in `text` as (start, end, matched text), in order;
        lists without a match are left out."""
        out: dict[int, list[Match]] = {}
        lowered = text.lower()
        exact = len(lowered) == len(text)
        if exact and not self.empty:
            found = sorted((slot, end - length + 1, order, length, latin_start, latin_end)
                           for end, entries in self.automaton.iter(lowered)
                           for slot, order, length, latin_start, latin_end in entries)
            current, resume = -1, 0
            for slot, start, order, length, latin_start, latin_end in found:
                if slot != current:
                    current, resume = slot, 0
                if start < resume:  # inside the last match, or its start already matched
                    continue
                end = start + length
                if (latin_start and start > 0 and _LATIN.match(text[start - 1])) or (
                        latin_end and end < len(text) and _LATIN.match(text[end])):
                    continue  # a Latin word must be whole: the next word in order may fit
                out.setdefault(slot, []).append((start, end, text[start:end]))
                resume = end
        for slot in (range(len(self.patterns)) if not exact else self._fallen):
            pattern = self.patterns[slot]
            found = [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)] \
                if pattern is not None else []
            if found:
                out[slot] = found
            else:
                out.pop(slot, None)
        return out
