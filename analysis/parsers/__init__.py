"""Parsers, one per source format, chosen by name in seeds/events.yaml (`parser:`)."""

from __future__ import annotations

from collections.abc import Callable

from ..metadata import EventMeta
from ..sources import Source
from . import fragments, generic, minutes, roundtable, takeaways
from .base import KINDS, UNNAMED, ParseResult, RosterEntry, Unit

Parser = Callable[[Source, EventMeta], ParseResult]

PARSERS: dict[str, Parser] = {
    "roundtable_notes": roundtable.parse,
    "line_fragments": fragments.parse_lines,
    "asr_stream": fragments.parse_stream,
    "meeting_minutes": minutes.parse,
    "takeaway_list": takeaways.parse,
    "labelled_lines": generic.parse_labelled,
    "timestamped": generic.parse_timestamped,
    "subtitles": generic.parse_subtitles,
    "paragraphs": generic.parse_paragraphs,
}

__all__ = ["KINDS", "PARSERS", "UNNAMED", "ParseResult", "Parser", "RosterEntry", "Unit"]
