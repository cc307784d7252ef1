"""Parsers, one per source format, chosen by name in seeds/events.yaml (`parser:`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..metadata import EventMeta
from ..sources import Source
from . import fragments, generic, minutes, roundtable, takeaways
from .base import KINDS, UNNAMED, ParseResult, RosterEntry, Unit

Parser = Callable[[Source, EventMeta], ParseResult]

@dataclass(frozen=True)
class ParserInfo:
    """A parser with what the rest of the package needs to know about it."""

    parse: Parser
    description: str  # the format in words (the `format:` an `add` writes)
    speakers: str     # how speakers are known: label, roster or inferred


REGISTRY: dict[str, ParserInfo] = {
    "roundtable_notes": ParserInfo(roundtable.parse, "roundtable notes", "label"),
    "line_fragments": ParserInfo(fragments.parse_lines,
                                 "podcast transcript, one fragment per line", "inferred"),
    "asr_stream": ParserInfo(fragments.parse_stream, "raw ASR stream", "inferred"),
    "meeting_minutes": ParserInfo(minutes.parse, "meeting minutes", "label"),
    "takeaway_list": ParserInfo(takeaways.parse, "takeaway list", "roster"),
    "labelled_lines": ParserInfo(generic.parse_labelled, "speaker-labelled lines", "label"),
    "timestamped": ParserInfo(generic.parse_timestamped, "speaker + timestamp export",
                              "label"),
    "subtitles": ParserInfo(generic.parse_subtitles, "subtitles (SRT/WebVTT)", "label"),
    "paragraphs": ParserInfo(generic.parse_paragraphs, "plain paragraphs", "inferred"),
}
PARSERS: dict[str, Parser] = {name: info.parse for name, info in REGISTRY.items()}

__all__ = ["KINDS", "PARSERS", "REGISTRY", "UNNAMED", "ParseResult", "Parser", "ParserInfo",
           "RosterEntry", "Unit"]
