"""Parsers, one per source format, chosen by name in events.yaml (`parser:`) or by
auto-detection; each parser module owns its sniffing (what makes a text look like its
format), which `detect` runs over the whole file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analysis.project.metadata import EventMeta
from analysis.ingest.sources import Source
from analysis.ingest.parsers import fragments, generic, minutes, roundtable, subtitles, takeaways, whisper
from analysis.kinds import KINDS, UNNAMED
from analysis.ingest.parsers.base import ParseResult, RosterEntry, Sample, Unit

Parser = Callable[[Source, EventMeta], ParseResult]
Sniffer = Callable[[Sample], "tuple[float, str] | None"]


@dataclass(frozen=True)
class ParserInfo:
    """A parser with what the rest of the package needs to know about it."""

    parse: Parser
    description: str  # the format in words (the `format:` an `add` writes)
    speakers: str     # how speakers are known: label, roster or inferred
    sniff: Sniffer    # (confidence 0-1, evidence in words), or None when it does not fit


REGISTRY: dict[str, ParserInfo] = {
    "roundtable_notes": ParserInfo(roundtable.parse, "roundtable notes", "label",
                                   roundtable.sniff),
    "line_fragments": ParserInfo(fragments.parse_lines,
                                 "podcast transcript, one fragment per line", "inferred",
                                 fragments.sniff_lines),
    "asr_stream": ParserInfo(fragments.parse_stream, "raw ASR stream", "inferred",
                             fragments.sniff_stream),
    "meeting_minutes": ParserInfo(minutes.parse, "meeting minutes", "label", minutes.sniff),
    "takeaway_list": ParserInfo(takeaways.parse, "takeaway list", "roster", takeaways.sniff),
    "labelled_lines": ParserInfo(generic.parse_labelled, "speaker-labelled lines", "label",
                                 generic.sniff_labelled),
    "timestamped": ParserInfo(generic.parse_timestamped, "speaker + timestamp export",
                              "label", generic.sniff_timestamped),
    "subtitles": ParserInfo(subtitles.parse, "subtitles (SRT/WebVTT)", "label",
                            subtitles.sniff),
    "whisper_json": ParserInfo(whisper.parse, "Whisper / WhisperX JSON", "label",
                               whisper.sniff),
    "paragraphs": ParserInfo(generic.parse_paragraphs, "plain paragraphs", "inferred",
                             generic.sniff_paragraphs),
}
PARSERS: dict[str, Parser] = {name: info.parse for name, info in REGISTRY.items()}

__all__ = ["KINDS", "PARSERS", "REGISTRY", "UNNAMED", "ParseResult", "Parser", "ParserInfo",
           "RosterEntry", "Unit"]
