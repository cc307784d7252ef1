"""The corpus: events, speakers and utterances as tidy pandas frames, built from seeds/.

Columns (one row per ...):

events (event, in date order: by the start of its date period, ties by metadata order)
    event_id, label (short display name for charts), title, date (period start), date_precision,
    metadata_order (position in events.yaml: stable, so it keys event colours), organiser, format, source_file,
    original_file, parser, encoding, bytes_replaced (undecodable bytes replaced by U+FFFD:
    0 unless the event's metadata says `errors: replace`), parser_detection (how `parser:
    auto` chose, else empty),
    n_utterances, n_chars, n_speakers
speakers (person or unnamed voice of an event; ids unique across the corpus)
    speaker_id (`<event_id>.<id>`), event_id, name, affiliation, title, role, n_utterances,
    n_chars
utterances (utterance, in source order)
    utterance_id (`<event_id>.<seq:04d>`), event_id, seq, speaker_id, speaker (display name),
    section, kind (speech, question, note, meta), text (cleaned, for analysis), raw_text
    (exactly as in the source), n_chars (non-whitespace characters of text), line_start,
    line_end, speaker_confidence (0-1; below the threshold an unlabelled utterance stays
    `unattributed`), speaker_method (label, roster, inferred, override), start_s, end_s
    (seconds into the recording, where the format has timestamps; empty otherwise)

`n_chars` of events and speakers counts speech and question utterances only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .attribution import attribute
from .corpus_cache import (CorpusCache, code_version, decode, encode, event_key,
                           utterance_frame, utterance_table)
from .errors import TranscriptError
from .metadata import EventMeta, Participant, load_metadata, name_slug
from .parsers import KINDS, PARSERS, UNNAMED, ParseResult
from .parsers.base import SPOKEN
from .parsers.detect import detect
from .project import Project
from .roles import Roles, roles
from .sources import Source, read_source
from .units import build_units, event_units, units_frame
from .workers import forked_pool, resolve_jobs

_WS = re.compile(r"\s+")


@dataclass
class Corpus:
    """Events, speakers and utterances of a set of transcripts.

    Attributes:
        events, speakers, utterances: the three tidy frames (columns in the module docstring).
        root: the project folder the corpus was read from (`project` gives its parts).
        sources: event_id -> decoded source text, for checks that need the original.
        memo: tables computed from this corpus (topics, stances), keyed by the data files'
            modification times, so a notebook that asks twice codes once.
    """

    events: pd.DataFrame
    speakers: pd.DataFrame
    utterances: pd.DataFrame
    root: Path
    sources: dict[str, str] = field(default_factory=dict, repr=False)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        return (f"Corpus({len(self.events)} events, {len(self.speakers)} speakers, "
                f"{len(self.utterances)} utterances)")

    @property
    def project(self) -> Project:
        return Project(self.root)

    @property
    def units(self) -> pd.DataFrame:
        """Analysis units: turns packed into pieces of comparable size (analysis.units)."""
        if "units" not in self.memo:
            self.memo["units"] = build_units(self.utterances)
        return self.memo["units"]

    def spoken(self) -> pd.DataFrame:
        """Utterances of kind speech or question (what the discussion said)."""
        return self.utterances[self.utterances["kind"].isin(SPOKEN)]


def load_corpus(path: str | Path | None = None, *, attribution: bool = True,
                assignments: bool = True, cache: bool | str | Path = True,
                jobs: int | None = None) -> Corpus:
    """Load every transcript described in `<path>/events.yaml`.

    Args:
        path: a project folder holding `events.yaml`, `transcripts/` and `codebook/`;
            default: the current project (`Project.find`: $ANALYSIS_PROJECT, else `seeds/`).
        attribution: infer speakers of unlabelled transcripts (events with `attribution:`
            in the metadata); False leaves them `unattributed`.
        assignments: apply the analyst's speaker assignments in `<path>/attribution/`.
        cache: keep each parsed event on disk (`analysis.corpus_cache`) and re-parse only
            events whose transcript, metadata, assignments or the package changed; False
            parses everything; a path chooses the cache folder.
        jobs: processes for the events that must be parsed (default: the number of cores;
            a pool starts only for POOL_MIN_EVENTS or more).

    Returns:
        The corpus with its three frames.

    Raises:
        TranscriptError: bad metadata or a transcript that cannot be read or parsed; the
            message names the file, the line and the fix.
    """
    project = Project.of(path)
    events = project_events(project)
    options = (attribution, assignments)
    store = CorpusCache(None if cache is True else cache) if cache else None
    code = code_version() if store else ""
    keys = [event_key(project, event, options, code) if store else "" for event in events]
    results = [store.get(key) if store else None for key in keys]
    cold = [i for i, r in enumerate(results) if r is None]
    jobs = resolve_jobs(jobs)

    def finish(i: int, data: bytes) -> None:
        if store:
            store.put(keys[i], data)
        results[i] = decode(data)

    if jobs > 1 and len(cold) >= POOL_MIN_EVENTS:
        # the largest transcripts first, one at a time: the workers finish together, and
        # each parsed event is decoded here while the workers parse the next ones
        sizes = {i: (project.transcripts / events[i].file).stat().st_size for i in cold}
        order = sorted(cold, key=lambda i: (-sizes[i], i))
        with forked_pool(min(jobs, len(cold))) as pool:
            for i, data in zip(order, pool.map(load_event, [project.root] * len(order),
                                               [events[i] for i in order],
                                               [options] * len(order))):
                finish(i, data)
    else:
        for i in cold:
            finish(i, load_event(project.root, events[i], options))
    event_rows, speaker_rows, sources = [], [], {}
    for result in results:
        event_rows.append(result["event"])
        speaker_rows.extend(result["speakers"])
        sources[result["event"]["event_id"]] = result["source"]
    utterances = utterance_frame([result["utterances"] for result in results])
    speakers = _speaker_frame(speaker_rows, utterances)
    events_frame = _event_frame(event_rows, utterances, speakers)
    return Corpus(events=events_frame, speakers=speakers, utterances=utterances,
                  root=project.root, sources=sources,
                  memo={"units": units_frame([result["units"] for result in results])})


def project_events(project: Project) -> list[EventMeta]:
    """The project's validated events.yaml entries (parsers, roles and pools checked)."""
    book = roles(project)
    return load_metadata(project.events_file, transcripts_dir=project.transcripts,
                         parsers=tuple(PARSERS) + ("auto",), roles=book.ids, pools=book.pools)


POOL_MIN_EVENTS = 8  # fewer cold events parse faster in one process than a pool starts


def load_event(root: Path, event: EventMeta, options: tuple = (True, True)) -> bytes:
    """Read, parse and attribute one event: the same work in a single process, a process
    pool or a Dask worker. Returns the encoded result (`corpus_cache.encode`): utterance
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
    attribute(project.root, event, rows, speakers, enabled=attribution,
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


def _speaker_frame(rows: list[dict], utterances: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["speaker_id", "event_id", "name", "affiliation", "title",
                                        "role"])
    spoken = utterances[utterances["kind"].isin(SPOKEN)]
    stats = spoken.groupby("speaker_id").agg(n_utterances=("utterance_id", "size"),
                                             n_chars=("n_chars", "sum"))
    frame = frame.join(stats, on="speaker_id")
    frame[["n_utterances", "n_chars"]] = frame[["n_utterances", "n_chars"]].fillna(0).astype("int64")
    return frame.reset_index(drop=True)


def _event_frame(rows: list[dict], utterances: pd.DataFrame, speakers: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.insert(frame.columns.get_loc("date_precision") + 1, "metadata_order", range(len(frame)))
    spoken = utterances[utterances["kind"].isin(SPOKEN)]
    frame["n_utterances"] = frame["event_id"].map(utterances.groupby("event_id").size()).fillna(0)
    frame["n_chars"] = frame["event_id"].map(spoken.groupby("event_id")["n_chars"].sum()).fillna(0)
    named = speakers[speakers["n_utterances"] > 0]
    frame["n_speakers"] = frame["event_id"].map(named.groupby("event_id").size()).fillna(0)
    for column in ("n_utterances", "n_chars", "n_speakers"):
        frame[column] = frame[column].astype("int64")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.sort_values(["date", "metadata_order"], kind="stable").reset_index(drop=True)
