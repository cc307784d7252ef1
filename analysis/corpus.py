"""The corpus: events, speakers and utterances as tidy pandas frames, built from a
project folder (the example: seeds/).

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

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.ingest.cache import CorpusCache, code_version, decode, event_key, utterance_frame
from analysis.ingest.pipeline import load_event, project_events
from analysis.kinds import SPOKEN
from analysis.project.folder import Project
from analysis.scale.pool import forked_pool, resolve_jobs
from analysis.units import build_units, units_frame

POOL_MIN_EVENTS = 8  # fewer cold events parse faster in one process than a pool starts


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
        cache: keep each parsed event on disk (`analysis.ingest.cache`) and re-parse only
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
