"""Unlabelled transcripts: one fragment per line (001), or a raw ASR phrase stream (002).

Neither names its speakers, so every utterance is `unattributed` here.
"""

from __future__ import annotations

import re

from ..lexicons import string_list
from ..metadata import EventMeta
from ..sources import Source
from .base import ParseResult, Unit, clean, line_span, split_lines

_PHRASE = re.compile(r"\S+")


def parse_lines(source: Source, event: EventMeta) -> ParseResult:
    """One utterance per non-blank line: speech recognition already cut the talk into fragments."""
    units = []
    for line in split_lines(source.text):
        if not line.blank:
            start, end = line_span(line, line)
            units.append(Unit(start, end, "speech", "unattributed", None, clean(line.text)))
    return ParseResult(units=units)


def parse_stream(source: Source, event: EventMeta) -> ParseResult:
    """Group a stream of space-separated ASR phrases into units of sensible length.

    A phrase opening with a turn cue (对, 嗯, 所以 ... from data/turn_cues.yaml) starts a new
    unit once the current one has `min_chars`; a unit never grows past `max_chars`, and a
    single phrase longer than that is cut at `max_chars`. Options come from the event's
    `parser_options` (min_chars, default 40; max_chars, default 160).
    """
    options = event.parser_options
    min_chars = int(options.get("min_chars", 40))
    max_chars = int(options.get("max_chars", 160))
    openers = tuple(sorted(string_list("turn_cues.yaml", "openers"), key=len, reverse=True))
    text = source.text
    pieces: list[tuple[int, int]] = []
    for match in _PHRASE.finditer(text):
        for start in range(match.start(), match.end(), max_chars):
            pieces.append((start, min(start + max_chars, match.end())))
    units: list[Unit] = []
    current: list[tuple[int, int]] = []

    def flush() -> None:
        if current:
            body = text[current[0][0]:current[-1][1]]
            units.append(Unit(current[0][0], current[-1][1], "speech", "unattributed", None,
                              clean(body)))
            current.clear()

    size = 0
    for start, end in pieces:
        phrase = text[start:end]
        if current and (size + len(phrase) > max_chars
                        or (size >= min_chars and phrase.startswith(openers))):
            flush()
            size = 0
        current.append((start, end))
        size += len(phrase)
    flush()
    return ParseResult(units=units)
