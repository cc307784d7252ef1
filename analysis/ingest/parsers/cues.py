"""Timed fragments (subtitle cues, Whisper segments) merged into utterances.

With speakers (a label in the cue text, a `<v Name>` voice tag, a `speaker` field), an
utterance is a turn: the run of cues from one speaker's label to the next speaker's. Labels
may come only on a change; the cues in between belong to the turn. Without speakers, cues
merge into segments of about a labelled turn's size: a new segment starts after a pause of
more than MERGE_GAP_S seconds, at a sentence end once the segment has SEGMENT_MIN_CHARS
characters, and before it would pass SEGMENT_MAX_CHARS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analysis.ingest.parsers.base import Unit, join_broken
from analysis.ingest.parsers.labels import Label, LabelVote, Speakers, find_label

MERGE_GAP_S = 2.0
SEGMENT_MIN_CHARS = 80
SEGMENT_MAX_CHARS = 300
_SENTENCE_END = re.compile(r"[。！？!?.…][”」』\"']?\s*$")


@dataclass
class Cue:
    """One timed fragment.

    Attributes:
        start, end: its span in the source (the whole block: number, timing, text).
        start_s, end_s: its time in the recording.
        text: its text for analysis (markup and repeated rolling lines removed).
        speaker: a speaker the format itself names (voice tag, JSON field), else None.
    """

    start: int
    end: int
    start_s: float | None
    end_s: float | None
    text: str
    speaker: str | None = None


def cue_units(items: list[Cue | Unit], speakers: Speakers) -> list[Unit]:
    """Utterances from cues in source order; `Unit`s among them (headers, notes) stay as
    they are and end the utterance before them."""
    cues = [item for item in items if isinstance(item, Cue)]
    found: list[Label | None] = []
    before = ""
    for cue in cues:
        found.append(find_label(cue.text, before=before) if not cue.speaker else None)
        before = cue.text or before
    vote = LabelVote(found, set(speakers.by_name))
    labelled = any(cue.speaker for cue in cues) or any(map(vote.accepts, found))
    labels = dict(zip(map(id, cues), found))
    who = "unattributed"
    units: list[Unit] = []
    group: list[tuple[Cue, str, str]] = []  # (cue, speaker key, text)

    def flush() -> None:
        if group:
            text = join_broken([text for _, _, text in group])
            units.append(Unit(group[0][0].start, group[-1][0].end,
                              "speech" if text else "meta", group[0][1], None, text,
                              start_s=group[0][0].start_s, end_s=group[-1][0].end_s))
            group.clear()

    for item in items:
        if isinstance(item, Unit):
            flush()
            units.append(item)
            continue
        label = labels[id(item)]
        text = item.text
        if item.speaker:
            who = speakers.key(item.speaker)
        elif vote.accepts(label):
            who, text = speakers.key(label.name), text[label.end:]
        if group and _breaks(group, item, who, text, labelled):
            flush()
        group.append((item, who, text))
    flush()
    return units


def _breaks(group: list[tuple[Cue, str, str]], cue: Cue, who: str, text: str,
            labelled: bool) -> bool:
    if who != group[0][1]:
        return True
    if labelled or not text:
        return False
    size = sum(len(t) for _, _, t in group)
    last = next((t for _, _, t in reversed(group) if t), "")
    gap = (cue.start_s - group[-1][0].end_s
           if cue.start_s is not None and group[-1][0].end_s is not None else 0.0)
    return (gap > MERGE_GAP_S
            or (size >= SEGMENT_MIN_CHARS and bool(_SENTENCE_END.search(last)))
            or size + len(text) > SEGMENT_MAX_CHARS)
