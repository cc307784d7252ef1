"""Unlabelled transcripts: one fragment per line (001), or a raw ASR phrase stream (002).

Neither names its speakers, so every utterance is `unattributed` here.
"""

from __future__ import annotations

import re

import statistics

from analysis.errors import TranscriptError
from analysis.text.lexicons import string_list
from analysis.project.metadata import EventMeta
from analysis.ingest.sources import Source
from analysis.ingest.parsers.base import ParseResult, Sample, Unit, clean, line_span, split_lines

_PHRASE = re.compile(r"\S+")
_PUNCT = re.compile(r"[，。！？；,.!?;]")


def sniff_lines(sample: Sample) -> tuple[float, str] | None:
    """Many short lines with almost no blank lines between them."""
    if sample.n < 30:
        return None
    median = statistics.median(len(line.stripped) for line in sample.filled)
    blank_share = 1 - sample.n / len(sample.lines)
    if median > 40 or blank_share >= 0.1:
        return None
    return 0.7, f"{sample.n} short lines (median {median:.0f} characters)"


def sniff_stream(sample: Sample) -> tuple[float, str] | None:
    """One (or a few) very long unpunctuated lines of space-separated phrases."""
    if sample.n > 3:
        return None
    body = max(sample.filled, key=lambda line: len(line.stripped)).stripped
    if len(body) < 500:
        return None
    punct = len(_PUNCT.findall(body)) / len(body)
    spaces = body.count(" ") / len(body)
    if punct < 0.01 and spaces > 0.03:
        return 0.9, "one long unpunctuated line of space-separated phrases"
    return None


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
    min_chars = _length_option(source, event, "min_chars", 40)
    max_chars = _length_option(source, event, "max_chars", 160)
    if min_chars > max_chars:
        raise TranscriptError(source.path, f"parser_options (events.yaml line {event.line}): "
                              f"min_chars {min_chars} is more than max_chars {max_chars}",
                              fix="make min_chars at most max_chars in events.yaml")
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


def _length_option(source: Source, event: EventMeta, name: str, default: int) -> int:
    """A unit length from the event's `parser_options`: a whole number of characters."""
    value = event.parser_options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise TranscriptError(source.path, f"parser_options (events.yaml line {event.line}): "
                              f"{name} must be a whole number of characters from 1 to "
                              f"100000, not {value!r}",
                              fix=f"write `{name}: {default}` (or another number) in events.yaml")
    return value
