"""Auto-detection of a transcript's format (`parser: auto` in seeds/events.yaml).

Each format gets a score from features of the text (its first 2,000 lines and 400,000
characters, so a huge file costs no more than a large one); the best one wins, with its
score as the confidence and the evidence in words.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from . import minutes, roundtable, takeaways
from .base import Line, split_lines
from .generic import _CUE_TIME, _header, _label_of, _label_key

SAMPLE_CHARS = 400_000
SAMPLE_LINES = 2_000


@dataclass(frozen=True)
class Detection:
    parser: str
    confidence: float
    reason: str
    scores: dict

    def __str__(self) -> str:
        return f"{self.parser} (confidence {self.confidence:.2f}: {self.reason})"


# the parsers' own patterns, so that what is detected is what the parser reads
_MINUTES_Q = minutes._SECTION
_ANSWER = minutes._ANSWER
_NUMBERED = takeaways._ITEM
_QUESTION_MARK = roundtable._AUDIENCE
_PUNCT = re.compile(r"[，。！？；,.!?;]")


def detect(text: str) -> Detection:
    """The most likely parser for a decoded transcript."""
    sample = text[:SAMPLE_CHARS].lstrip("\ufeff")
    lines = split_lines(sample)[:SAMPLE_LINES]
    filled = [line for line in lines if not line.blank]
    scores: dict[str, tuple[float, str]] = {}
    if not filled:
        return Detection("paragraphs", 0.0, "empty text", {})
    n = len(filled)

    if sample.startswith("WEBVTT"):
        scores["subtitles"] = (0.99, "starts with WEBVTT")
    timings = sum(1 for line in filled if _CUE_TIME.match(line.text))
    if timings >= 2:
        scores["subtitles"] = max(scores.get("subtitles", (0, "")),
                                  (min(0.98, 0.6 + timings / n), f"{timings} cue timing lines"))
    headers = sum(1 for line in filled if _header(line))
    if headers >= 2 and headers / n >= 0.1:
        scores["timestamped"] = (min(0.95, 0.5 + headers / n), f"{headers} speaker + time lines")
    labels = [_label_of(line) for line in filled]
    counts: dict[str, int] = {}
    for found in labels:
        if found:
            counts[_label_key(found[0])] = counts.get(_label_key(found[0]), 0) + 1
    labelled = sum(1 for f in labels if f and counts[_label_key(f[0])] >= 2)
    if labelled >= 2 and labelled / n >= 0.2:
        scores["labelled_lines"] = (min(0.95, 0.45 + labelled / n),
                                    f"{labelled} of {n} lines open with a recurring label")
    questions = sum(1 for line in filled if _MINUTES_Q.match(line.text))
    answers = sum(1 for line in filled if _ANSWER.match(line.text))
    if questions >= 3:
        scores["meeting_minutes"] = (0.9 if answers else 0.7,
                                     f"{questions} Q-headings, {answers} A: answers")
    numbered = sum(1 for line in filled if _NUMBERED.match(line.text))
    if numbered >= 8 and numbered / n >= 0.5:
        scores["takeaway_list"] = (min(0.9, 0.4 + numbered / n), f"{numbered} numbered items")
    asked = sum(1 for line in filled if _QUESTION_MARK.match(line.text))
    short_headers = sum(1 for a, b in zip(filled, filled[1:])
                        if len(a.stripped) <= 24 and len(a.stripped.split()) in (2, 3)
                        and not _PUNCT.search(a.stripped) and len(b.stripped) >= 60)
    if asked >= 1 and short_headers >= 5:
        scores["roundtable_notes"] = (0.8, f"{short_headers} 'Company Name' headers, "
                                           f"{asked} 提问：paragraphs")
    lengths = [len(line.stripped) for line in filled]
    longest = max(lengths)
    if n <= 3 and longest >= 500:
        body = max(filled, key=lambda line: len(line.stripped)).stripped
        punct = len(_PUNCT.findall(body)) / len(body)
        spaces = body.count(" ") / len(body)
        if punct < 0.01 and spaces > 0.03:
            scores["asr_stream"] = (0.9, "one long unpunctuated line of space-separated phrases")
    blank_share = 1 - n / max(len(lines), 1)
    if n >= 30 and statistics.median(lengths) <= 40 and blank_share < 0.1:
        scores["line_fragments"] = (0.7, f"{n} short lines (median "
                                         f"{statistics.median(lengths):.0f} characters), "
                                         "no labels")
    blocks = _blocks(lines)
    scores.setdefault("paragraphs", (0.5 if blocks >= 2 else 0.3,
                                     f"{blocks} blank-line separated blocks"))
    best = max(scores, key=lambda k: (scores[k][0], k))
    return Detection(best, round(scores[best][0], 2), scores[best][1],
                     {k: round(v[0], 2) for k, v in sorted(scores.items())})


def _blocks(lines: list[Line]) -> int:
    count, inside = 0, False
    for line in lines:
        if line.blank:
            inside = False
        elif not inside:
            count, inside = count + 1, True
    return count
