"""Bringing a new transcript: `inspect` (what the loader would make of a file) and `add`
(copy it into seeds/ unchanged and append its metadata entry), both from the CLI."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd

from .corpus import METADATA_FILE, TRANSCRIPTS_DIR, find_seeds, load_corpus, slug
from .errors import TranscriptError
from .metadata import EventMeta
from .parsers import PARSERS, REGISTRY
from .parsers.detect import detect
from .sources import read_source

def _probe(path: Path, encoding: str | None, parser: str):
    source = read_source(path, encoding)
    detection = detect(source.text) if parser == "auto" else None
    chosen = detection.parser if detection else parser
    if chosen not in PARSERS:
        raise TranscriptError(path, f"unknown parser {parser!r}",
                              fix=f"use auto or one of: {', '.join(PARSERS)}")
    event = EventMeta(event_id="inspected", title=path.name, date=pd.Timestamp("2000-01-01"),
                      date_precision="year", organiser="", format="", file=path.name,
                      parser=chosen)
    result = PARSERS[chosen](source, event)
    return source, detection, chosen, result


def inspect_file(path: Path, *, encoding: str | None = None, parser: str = "auto",
                 show: int = 5) -> str:
    """A report of what the loader would make of a file."""
    source, detection, chosen, result = _probe(path, encoding, parser)
    speakers = sorted({u.speaker.removeprefix("roster:") for u in result.units})
    kinds = pd.Series([u.kind for u in result.units]).value_counts().to_dict()
    lines = [f"file:       {path}",
             f"encoding:   {source.encoding}",
             f"format:     {detection if detection else chosen + ' (as asked)'}",
             f"utterances: {len(result.units)} ({', '.join(f'{k} {v}' for k, v in kinds.items())})",
             f"speakers:   {len(speakers)} ({', '.join(speakers[:12])}"
             f"{' ...' if len(speakers) > 12 else ''})"]
    if any(u.start_s is not None for u in result.units):
        lines.append("timestamps: yes (start_s, end_s)")
    lines.append("first utterances:")
    for unit in result.units[:show]:
        when = f" [{unit.start_s:g}s]" if unit.start_s is not None else ""
        text = unit.text if len(unit.text) <= 70 else unit.text[:69] + "…"
        lines.append(f"  {unit.kind:<8} {unit.speaker.removeprefix('roster:')}{when}: {text}")
    return "\n".join(lines)


def add_transcript(path: Path, *, title: str, date: str, organiser: str = "unknown",
                   event_id: str | None = None, parser: str = "auto",
                   encoding: str | None = None, format_: str | None = None,
                   seeds: Path | None = None) -> str:
    """Validate `path`, copy it unchanged into seeds/transcripts/, append an entry to
    seeds/events.yaml and check that the whole corpus still loads (undone if not)."""
    root = Path(seeds) if seeds else find_seeds()
    if not path.is_file():
        raise TranscriptError(path, "file not found", fix="give the path of a transcript file")
    source, detection, chosen, result = _probe(path, encoding, parser)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    transcripts = root / TRANSCRIPTS_DIR
    for existing in sorted(transcripts.glob("*")):
        if existing.is_file() and hashlib.sha256(existing.read_bytes()).hexdigest() == digest:
            raise TranscriptError(path, f"the same content is already in the corpus as "
                                  f"{existing.name}", fix="nothing to add; edit its entry in "
                                  "seeds/events.yaml instead")
    metadata = root / METADATA_FILE
    text = metadata.read_text(encoding="utf-8")
    event_id = event_id or slug(title)[:40].rstrip("_")
    if re.search(rf"^\s*-\s*event_id:\s*{re.escape(event_id)}\s*$", text, re.M):
        raise TranscriptError(metadata, f"event_id {event_id!r} is already used",
                              fix="pass --event-id with another snake_case id")
    name = f"{date}_{event_id}{path.suffix.lower() or '.txt'}"
    target = transcripts / name
    if target.exists():
        raise TranscriptError(target, "a transcript with this name exists",
                              fix="pass another --event-id")
    entry = [f"  - event_id: {event_id}",
             f"    title: {_yaml_text(title)}",
             f"    date: {date}",
             f"    organiser: {_yaml_text(organiser)}",
             f"    format: {_yaml_text(format_ or REGISTRY[chosen].description)}",
             f"    file: {name}",
             f"    original_file: {_yaml_text(path.name)}",
             f"    parser: {parser}"]
    if encoding:
        entry.append(f"    encoding: {encoding}")
    entry.append("    notes: >\n      Added with `python -m analysis add`"
                 + (f"; detected as {detection}." if detection else "."))
    shutil.copyfile(path, target)
    metadata.write_text(text.rstrip("\n") + "\n\n" + "\n".join(entry) + "\n", encoding="utf-8")
    try:
        corpus = load_corpus(root)
    except TranscriptError:
        target.unlink()
        metadata.write_text(text, encoding="utf-8")
        raise
    rows = corpus.utterances[corpus.utterances["event_id"] == event_id]
    return (f"added {event_id}: {target} ({source.encoding}, "
            f"{detection if detection else chosen}), {len(rows)} utterances; "
            f"edit {metadata} to add participants and notes")


def _yaml_text(value: str) -> str:
    """A YAML scalar for free text (quoted, so colons and # survive)."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
