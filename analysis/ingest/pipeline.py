"""One event from its file to its frames: read -> detect -> parse -> speakers -> units ->
a cache entry (`analysis.ingest.cache.encode`).

`load_event` is the whole path for one event, the same work in a single process, a process
pool or a Dask worker; `analysis.corpus.load_corpus` only assembles its results. Nothing
here calls back into the corpus.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from analysis.errors import TranscriptError
from analysis.ingest.cache import encode, utterance_table
from analysis.ingest.parsers import KINDS, PARSERS, REGISTRY, UNNAMED, ParseResult
from analysis.ingest.parsers.detect import detect
from analysis.ingest.sources import Source, read_source
from analysis.kinds import SPOKEN
from analysis.project.folder import Project
from analysis.project.metadata import EventMeta, Participant, load_metadata, name_slug
from analysis.speakers.attribution import attribute
from analysis.speakers.roles import Roles, roles
from analysis.units import event_units

_WS = re.compile(r"\s+")


def project_events(project: Project) -> list[EventMeta]:
    """The project's validated events.yaml entries (parsers, roles and pools checked)."""
    book = roles(project)
    return load_metadata(project.events_file, transcripts_dir=project.transcripts,
                         parsers=tuple(PARSERS) + ("auto",), roles=book.ids, pools=book.pools)


def load_event(root: Path, event: EventMeta, options: tuple = (True, True)) -> bytes:
    """Read, parse and attribute one event: the same work in a single process, a process
    pool or a Dask worker. Returns the encoded result (`analysis.ingest.cache.encode`): utterance
    rows, their analysis units, the event row, speaker rows and the decoded source text."""
    attribution, assignments = options
    project = Project(root)
    book = roles(project)
    source = read_source(project.transcripts / event.file, event.encoding, event.errors)
    detection = ""
    if event.parser == "auto":
        found = detect(source.text)
        event = replace(event, parser=found.parser)
        detection = str(found)
    result = PARSERS[event.parser](source, event)
    check_units(source, result)
    speakers = _speakers(event, result, book)
    rows = _utterances(event, source, result, speakers)
    del result  # a long transcript's rows, units and tables are large: free each when done
    attribute(project.root, event, rows, speakers, method=REGISTRY[event.parser].speakers,
              enabled=attribution,
              assignments=assignments)
    row = _event_row(event, source) | {"parser_detection": detection}
    row["date"] = row["date"].isoformat()
    units = event_units(event.event_id, [r for r in rows if r["kind"] in SPOKEN])
    utterances = utterance_table(rows)
    del rows
    return encode(utterances, units, {"event": row, "speakers": list(speakers.values()),
                                      "source": source.text})


def check_units(source: Source, result: ParseResult) -> None:
    """A parser's units must be in order, not overlap, have a known kind and keep every
    non-whitespace character of the source; anything else is a bug worth stopping for."""
    position = 0
    for unit in result.units:
        if unit.kind not in KINDS:
            raise TranscriptError(source.path, f"parser produced unknown kind {unit.kind!r}",
                                  fix="report this as a bug in the parser")
        if unit.start < position or unit.end < unit.start:
            raise TranscriptError(source.path, "parser produced overlapping utterances",
                                  line=source.text.count("\n", 0, unit.start) + 1,
                                  fix="report this as a bug in the parser")
        gap = source.text[position:unit.start]
        if gap.strip():
            raise TranscriptError(source.path, f"parser dropped text {gap.strip()[:40]!r}",
                                  line=source.text.count("\n", 0, position) + 1,
                                  fix="report this as a bug in the parser")
        position = unit.end
    if source.text[position:].strip():
        raise TranscriptError(source.path, "parser dropped text at the end",
                              line=source.text.count("\n", 0, position) + 1,
                              fix="report this as a bug in the parser")


def _speakers(event: EventMeta, result: ParseResult, book: Roles) -> dict[str, dict]:
    """Speaker rows keyed by the parser's speaker keys: participants, people the transcript
    names (a roster, or speaker labels) with the role their title gives or `unknown`, and the
    unnamed pools. Every speaker the parser found gets a row: none is dropped."""
    rows: dict[str, dict] = {}

    def add(key: str, pid: str, name: str, affiliation: str, title: str, role: str) -> None:
        rows[key] = {"speaker_id": f"{event.event_id}.{pid}", "event_id": event.event_id,
                     "name": name, "affiliation": affiliation, "title": title, "role": role}

    by_name = {p.name: p for p in event.participants}
    for p in event.participants:
        add(p.id, p.id, p.name, p.affiliation, p.title, p.role)
    taken = {p.id for p in event.participants}
    for person in result.roster:
        participant: Participant | None = by_name.get(person.name)
        if participant:
            row = rows[participant.id]
            row["affiliation"] = row["affiliation"] or person.affiliation
            row["title"] = row["title"] or person.title
            continue
        pid = name_slug(person.name)
        while pid in taken or pid in UNNAMED:
            pid += "_2"
        taken.add(pid)
        add(f"roster:{person.name}", pid, person.name, person.affiliation, person.title,
            book.from_title(person.title))
    for key in dict.fromkeys(u.speaker for u in result.units if u.speaker not in rows):
        # in order of first appearance: a set's order changes from one process to the next
        if key not in UNNAMED:
            raise TranscriptError(event.file, f"parser produced unknown speaker {key!r}",
                                  fix="report this as a bug in the parser")
        add(key, key, book.get(key).voice, "", "", key)
    return rows


def _utterances(event: EventMeta, source: Source, result: ParseResult,
                speakers: dict[str, dict]) -> list[dict]:
    text = source.text
    rows = []
    line, at = 1, 0  # line numbers counted on from the last unit (units are in order)
    for seq, unit in enumerate(result.units, 1):
        speaker = speakers[unit.speaker]
        line += text.count("\n", at, unit.start)
        at = unit.start
        rows.append({
            "utterance_id": f"{event.event_id}.{seq:04d}", "event_id": event.event_id,
            "seq": seq, "speaker_id": speaker["speaker_id"], "speaker": speaker["name"],
            "section": unit.section, "kind": unit.kind, "text": unit.text,
            "raw_text": text[unit.start:unit.end], "n_chars": len(_WS.sub("", unit.text)),
            "line_start": line,
            "line_end": line + text.count("\n", unit.start, max(unit.start, unit.end - 1)),
            "start_s": unit.start_s, "end_s": unit.end_s,
        })
    return rows


def _event_row(event: EventMeta, source: Source) -> dict:
    return {"event_id": event.event_id, "label": event.label, "series": event.series,
            "title": event.title,
            "date": event.date,
            "date_precision": event.date_precision, "organiser": event.organiser,
            "format": event.format, "source_file": event.file,
            "original_file": event.original_file, "parser": event.parser,
            "encoding": source.encoding, "bytes_replaced": source.replaced}


