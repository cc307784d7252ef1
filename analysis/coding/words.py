"""The words every coder shares, at the bottom of the coding package: the data files' word
lists and id sections read and validated (`_words`, `_id_section`), each list compiled into
one pattern (`_word_pattern`), and text prepared for matching (`analysis_text`,
`split_clauses`, `_is_question`).

The codebook, the stance cues and the learned salience layer (analysis.coding.learned) all
build on these, so they live below all three and import nothing else of the package.
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis.errors import TranscriptError
from analysis.text.lexicons import line_of
from analysis.text.normalise import aliases, normalise

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _word_pattern(words: list[str], path: Path, what: str) -> re.Pattern | None:
    """One regex for a word list: literals longest first, Latin words whole, `/re/` raw."""
    parts = []
    for word in sorted(set(words), key=lambda w: (-len(w), w)):
        if len(word) > 2 and word.startswith("/") and word.endswith("/"):
            try:
                re.compile(word[1:-1])
            except re.error as err:
                raise TranscriptError(path, f"{what}: bad pattern {word!r} ({err})",
                                      line=line_of(path, word),
                                      fix="fix the regular expression or write a plain word")
            parts.append(f"(?:{word[1:-1]})")
            continue
        body = re.escape(normalise(word))
        if re.match(r"[A-Za-z0-9]", word):
            body = r"(?<![A-Za-z0-9])" + body
        if re.search(r"[A-Za-z0-9]$", word):
            body += r"(?![A-Za-z0-9])"
        parts.append(body)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _words(value, path: Path, what: str, *, required: bool = True) -> list[str]:
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value) or \
            not all(isinstance(w, str) and w.strip() for w in value):
        raise TranscriptError(path, f"{what} must be a non-empty list of words",
                              line=line_of(path, what.split(".")[0].split()[-1]),
                              fix="write it as [word, word, ...]")
    return [w.strip() for w in value]


def analysis_text(text: str) -> str:
    """The text codes are matched on: normalised, entity spellings made canonical."""
    return aliases().canonicalise(normalise(text))


def _id_section(path: Path, section, key: str, what: str) -> dict:
    """The mapping of ids under `key` (snake_case ids, possibly none), or a clear error."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise TranscriptError(path, f"`{key}` must map {what}s to their entries",
                              line=line_of(path, f"{key}:"),
                              fix="see the comment at the top of the shipped file")
    bad = [k for k in section if not isinstance(k, str) or not _ID.match(k)]
    if bad:
        raise TranscriptError(path, f"{what} {bad[0]!r} is not a snake_case id",
                              line=line_of(path, f"{bad[0]}:"),
                              fix="use lower-case letters, digits and underscores, starting "
                                  "with a letter")
    return section


_CLAUSE_END = re.compile(r"(?<=[。！？；!?;\n])")


def _is_question(clause: str) -> bool:
    return clause.rstrip().endswith(("？", "?")) or bool(re.search(r"吗[？?，。]?$", clause))


_SENTENCE = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+|\n|$)")
_COMMA = re.compile(r"(?<=[，,、：:])")
_PHRASE = re.compile(r"(?<=[，,、：:\s])")


def whole_quote(text: str, clause: str, limit: int = 120, anchor: str = "") -> str:
    """The whole sentence of `text` that holds `clause` (a clause of `split_clauses`), to
    quote a stance without cutting it mid-sentence. A sentence longer than `limit` gives the
    comma-separated part holding `anchor` (the cue; else the clause's start) with as many of
    its neighbours as fit, `…` marking what was left out; unpunctuated text gives the clause
    itself."""
    at = text.find(clause)
    if at < 0 or not clause or not re.search(r"[，。！？；,.!?;]", text):
        return clause
    for match in _SENTENCE.finditer(text):
        if match.start() <= at < match.end() or (match.start() <= at and match.end() == len(text)):
            sentence = match.group().strip()
            break
    else:
        return clause
    if len(sentence) <= limit or clause not in sentence:
        return sentence
    parts = [p for p in _COMMA.split(sentence) if p]
    offset, first = 0, 0
    inner = sentence.find(clause)
    if anchor and anchor in sentence[inner:inner + len(clause)]:
        inner = sentence.find(anchor, inner)
    for i, part in enumerate(parts):
        if offset <= inner < offset + len(part):
            first = i
            break
        offset += len(part)
    low = high = first
    while True:
        grown = False
        for lo, hi in ((low, high + 1), (low - 1, high)):
            if 0 <= lo and hi < len(parts) and len("".join(parts[lo:hi + 1])) <= limit:
                low, high, grown = lo, hi, True
                break
        if not grown:
            break
    body = "".join(parts[low:high + 1]).rstrip("，,、：: ")
    return ("…" if low > 0 else "") + body + ("…" if high < len(parts) - 1 else "")


def verbatim_quote(original: str, quote: str) -> str:
    """The words of `original` (a unit's text as transcribed) that `quote` (cut from its
    analysis text, where spellings are made canonical) stands for: the shortest run of its
    comma-separated parts whose analysis text holds the quote, `…` where it does not start or
    end a sentence. A quote is what was said, not what the coder reads; `quote` itself when
    no run matches."""
    body = re.sub(r"\s+", "", quote.strip("…"))
    if not body:
        return quote
    for splitter in (_PHRASE, _COMMA):  # at pauses first; an alias may span a space
        parts = [p for p in splitter.split(original) for p in _split_sentences(p) if p]
        found = _shortest_run(parts, body)
        if found is not None:
            break
    else:
        return quote
    start, end = found
    run = "".join(parts[start:end + 1]).strip()
    opens = start == 0 or parts[start - 1].rstrip().endswith(tuple("。！？!?；;\n"))
    closes = run.endswith(tuple("。！？!?；;")) or end == len(parts) - 1
    return ("" if opens else "…") + run.rstrip("，,、：: ") + ("" if closes else "…")


def _shortest_run(parts: list[str], body: str) -> tuple[int, int] | None:
    """(first, last) index of the shortest run of `parts` whose analysis text (spaces
    compared away: normalising moves them) holds `body`."""
    read = [re.sub(r"\s+", "", analysis_text(p)) for p in parts]
    found = None
    for start in range(len(parts)):
        text = ""
        for end in range(start, len(parts)):
            text += read[end]
            if body in text:
                if found is None or end - start < found[1] - found[0]:
                    found = (start, end)
                break
            if len(text) > len(body) + 200:
                break
    return found


def _split_sentences(text: str) -> list[str]:
    return [m.group() for m in _SENTENCE.finditer(text) if m.group()]


def split_clauses(text: str) -> list[str]:
    """Clauses at sentence punctuation; unpunctuated ASR text at spaces, merged back into
    pieces of at least 20 characters."""
    if re.search(r"[，。！？；,.!?;]", text):
        pieces = [p.strip() for p in _CLAUSE_END.split(text)]
        return [p for p in pieces if p]
    clauses, current = [], ""
    for phrase in text.split():
        current = f"{current} {phrase}".strip()
        if len(current) >= 20:
            clauses.append(current)
            current = ""
    if current:
        clauses.append(current)
    return clauses
