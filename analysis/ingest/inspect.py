"""Bringing transcripts: `inspect` (what the loader would make of a file) and `add` (copy
files into a project unchanged and append their metadata entries), both from the CLI."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import pandas as pd

from analysis.ingest.cache import decode
from analysis.ingest.pipeline import check_units, load_event, project_events
from analysis.errors import TranscriptError
from analysis.project.metadata import SLUG, EventMeta, parse_date
from analysis.project.facts import event_facts
from analysis.project.naming import short_label
from analysis.project.naming import event_id as make_event_id
from analysis.project.folder import Project, atomic_write
from analysis.ingest.parsers import PARSERS, REGISTRY
from analysis.ingest.parsers.detect import detect
from analysis.ingest.sources import read_source


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
    check_units(source, result)  # what `add` and the loader check: nothing lost
    return source, detection, chosen, result


def inspect_file(path: Path, *, encoding: str | None = None, parser: str = "auto",
                 show: int = 5) -> str:
    """A report of what the loader would make of a file: its format and why (with the
    runner-up and why it lost), the speakers found with their turns and characters, and the
    first utterances."""
    source, detection, chosen, result = _probe(path, encoding, parser)
    kinds = pd.Series([u.kind for u in result.units]).value_counts().to_dict()
    lines = [f"file:       {path}",
             f"encoding:   {source.encoding}",
             f"format:     {detection if detection else chosen + ' (as asked)'}"]
    if detection:
        lines.append(f"runner-up:  {detection.explain()}")
    lines.append(f"utterances: {len(result.units)} "
                 f"({', '.join(f'{k} {v}' for k, v in kinds.items())})")
    table = speaker_counts(result)
    lines.append(f"speakers:   {len(table)}" + (" (turns, characters of speech)" if len(table)
                                                 else ""))
    for name, turns, chars in table[:show * 3]:
        lines.append(f"  {turns:>5} turns {chars:>8} chars  {name}")
    if len(table) > show * 3:
        lines.append(f"  ... and {len(table) - show * 3} more")
    if any(u.start_s is not None for u in result.units):
        lines.append("timestamps: yes (start_s, end_s)")
    lines.append("first utterances:")
    for unit in result.units[:show]:
        when = f" [{unit.start_s:g}s]" if unit.start_s is not None else ""
        text = unit.text if len(unit.text) <= 70 else unit.text[:69] + "…"
        lines.append(f"  {unit.kind:<8} {unit.speaker.removeprefix('roster:')}{when}: {text}")
    return "\n".join(lines)


def speaker_counts(result) -> list[tuple[str, int, int]]:
    """(speaker, turns, characters) of a parse's speech and questions, most characters first.
    A turn is a run of one speaker's utterances."""
    turns: dict[str, int] = {}
    chars: dict[str, int] = {}
    previous = None
    for unit in result.units:
        if unit.kind not in ("speech", "question"):
            continue
        name = unit.speaker.removeprefix("roster:")
        if name != previous:
            turns[name] = turns.get(name, 0) + 1
        chars[name] = chars.get(name, 0) + len(re.sub(r"\s+", "", unit.text))
        previous = name
    return sorted(((n, turns[n], chars[n]) for n in turns), key=lambda r: (-r[2], r[0]))


def expand_files(patterns: list[str]) -> list[Path]:
    """Files named on the command line: paths, folders (their files) and glob patterns, in a
    stable order; a pattern that matches nothing is an error, not silence."""
    files: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_file():  # a real name with [ or * in it is a file, not a pattern
            found = [path]
        elif path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        elif any(ch in pattern for ch in "*?["):
            found = sorted(p for p in Path().glob(pattern) if p.is_file()) if not path.is_absolute() \
                else sorted(p for p in Path(path.anchor).glob(str(path.relative_to(path.anchor)))
                            if p.is_file())
        else:
            found = [path]
        if not found:
            raise TranscriptError(pattern, "matches no file", fix="check the path or pattern")
        files.extend(p for p in found if p not in files)
    return files


def add_transcripts(files: list[Path], *, title: str | None = None, date: str | None = None,
                    label: str | None = None, series: str | None = None,
                    organiser: str | None = None, event_id: str | None = None,
                    parser: str = "auto", encoding: str | None = None,
                    format_: str | None = None,
                    project: Project | str | Path | None = None) -> list[str]:
    """Add transcripts to a project in one go: each file is read, its format detected and its
    title and date taken from the options, else from the file's header or name; then every
    file is copied unchanged into transcripts/, every entry appended to events.yaml, and the
    whole corpus loaded to check it. All or nothing: if any file fails, nothing is added.

    Returns one line per file saying what was added."""
    project = Project.of(project)
    files = [Path(f) for f in files]
    single = {"--title": title, "--date": date, "--label": label, "--event-id": event_id}
    if len(files) > 1 and any(single.values()):
        given = ", ".join(k for k, v in single.items() if v)
        raise TranscriptError(files[0], f"{given} can only be given for a single file",
                              fix="add the files one by one, or drop the option and let titles "
                                  "and dates be read from each file")
    if not project.events_file.is_file():
        raise TranscriptError(project.events_file, "no project here",
                              fix=f"create one with `python -m analysis init {project.root}`")
    if not os.access(project.events_file, os.W_OK) or not os.access(project.transcripts, os.W_OK):
        raise TranscriptError(project.events_file, "the project is read-only here",
                              fix="make events.yaml and transcripts/ writable, then add again")
    with project.editing():
        metadata_bytes = project.events_file.read_bytes()  # restored byte for byte on failure
        metadata_text = metadata_bytes.decode("utf-8-sig")
        newline = "\r\n" if b"\r\n" in metadata_bytes else "\n"
        taken = set(re.findall(r"^\s*-\s*event_id:\s*(\S+)\s*$", metadata_text, re.M))
        hashes = {hashlib.sha256(p.read_bytes()).hexdigest(): p.name
                  for p in sorted(project.transcripts.glob("*")) if p.is_file()}
        planned = []
        for path in _progress(files, "reading"):
            if not path.is_file():
                raise TranscriptError(path, "file not found", fix="give the path of a transcript file")
            source, detection, chosen, result = _probe(path, encoding, parser)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in hashes:
                raise TranscriptError(path, f"the same content is already in the project as "
                                      f"{hashes[digest]}", fix="nothing to add; leave this file out")
            facts = event_facts(path.name, source.text)
            event_title = title or facts["title"] or path.stem
            event_date = date or facts["date"]
            if not event_date:
                raise TranscriptError(path, "no date in the file's header or name",
                                      fix="pass --date YYYY-MM-DD (or rename the file to start with "
                                          "its date, e.g. 2023-08-13_name.txt)")
            try:
                parse_date(event_date)
            except ValueError:
                raise TranscriptError(path, f"date {event_date!r} is not understood",
                                      fix="write YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY") from None
            event_label = label or (facts["label"] if not title else None) or short_label(event_title)
            eid = event_id or make_event_id(event_label, taken=taken)  # readable: the label's words
            if not SLUG.match(eid):
                raise TranscriptError(path, f"event_id {eid!r} is not a snake_case slug",
                                      fix="use lower-case letters, digits and underscores, starting "
                                          "with a letter")
            if eid in taken:
                raise TranscriptError(project.events_file, f"event_id {eid!r} is already used",
                                      fix="pass --event-id with another snake_case id")
            taken.add(eid)
            hashes[digest] = path.name
            name = f"{event_date}_{eid}{path.suffix.lower() or '.txt'}"
            entry = [f"  - event_id: {eid}",
                     f"    label: {_yaml_text(event_label)}",
                     f"    title: {_yaml_text(event_title)}"]
            if series:
                entry.append(f"    series: {_yaml_text(series)}")
            entry += [f"    date: {event_date}",
                      f"    organiser: {_yaml_text(organiser or series or 'unknown')}",
                      f"    format: {_yaml_text(format_ or REGISTRY[chosen].description)}",
                      f"    file: {name}",
                      f"    original_file: {_yaml_text(path.name)}",
                      f"    parser: {parser}"]
            if encoding:
                entry.append(f"    encoding: {encoding}")
            entry.append("    notes: >\n      Added with `python -m analysis add`"
                         + (f"; detected as {detection}." if detection else "."))
            planned.append((path, project.transcripts / name, eid, "\n".join(entry),
                            f"{source.encoding}, {detection if detection else chosen}"))
        copied: list[Path] = []
        try:
            for path, target, *_ in _progress(planned, "copying"):
                if target.exists():
                    raise TranscriptError(target, "a transcript with this name exists",
                                          fix="pass another --event-id")
                atomic_write(target, path.read_bytes())
                copied.append(target)
            entries = "\n\n".join(p[3] for p in planned)
            body = re.sub(r"^events:\s*\[\]\s*$", "events:", metadata_text.rstrip("\r\n"), flags=re.M)
            text = (body.replace("\r\n", "\n") + "\n\n" + entries + "\n").replace("\n", newline)
            bom = b"\xef\xbb\xbf" if metadata_bytes.startswith(b"\xef\xbb\xbf") else b""
            project.save_events(bom + text.encode("utf-8"))
            # the whole events.yaml must still validate, and every new event load
            events = {event.event_id: event for event in project_events(project)}
            counts = {eid: decode(load_event(project.root, events[eid]))["utterances"].num_rows
                      for _, _, eid, _, _ in planned}
        except BaseException as err:
            for target in copied:
                target.unlink(missing_ok=True)
            if project.events_file.read_bytes() != metadata_bytes:
                atomic_write(project.events_file, metadata_bytes)
            if isinstance(err, OSError):
                raise TranscriptError(getattr(err, "filename", None) or project.root,
                                      f"could not write: {err.strerror or err}",
                                      fix="free disk space or fix the folder's permissions; nothing "
                                          "was added") from None
            raise
        lines = [f"added {eid}: {target.name} ({how}), {counts.get(eid, 0)} utterances"
                 for _, target, eid, _, how in planned]
        lines.append(f"{len(planned)} transcript(s) added to {project.root}; edit "
                     f"{project.events_file} to name speakers (`speakers:`) and add notes")
        return lines


def _progress(items: list, what: str):
    """A progress bar on stderr for batches big enough to wait for."""
    if len(items) < 5:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=what, unit="file", file=sys.stderr)


def _yaml_text(value: str) -> str:
    """A YAML scalar for free text (quoted, so colons and # survive)."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
