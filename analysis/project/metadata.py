"""A project's event metadata file (events.yaml): read, validate, report every problem with its
line."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import yaml
from pypinyin import lazy_pinyin

from analysis.errors import MetadataError, TranscriptError
from analysis.project.yamlfile import LineDict, parse as parse_yaml

PRECISIONS = ("day", "month", "quarter", "year")
SLUG = re.compile(r"^[a-z][a-z0-9_]*$")

_REQUIRED = ("event_id", "title", "date", "organiser", "format", "file", "parser")
_OPTIONAL = ("label", "series", "date_precision", "original_file", "encoding", "errors",
             "participants", "speakers", "notes", "parser_options", "attribution")
_PARTICIPANT_KEYS = ("id", "name", "aliases", "affiliation", "title", "role", "self_refs")
_ATTRIBUTION_KEYS = ("asks", "answers", "speakers", "enabled")

ERRORS = ("strict", "replace")  # how undecodable bytes are met (`errors:`)


@dataclass(frozen=True)
class Participant:
    """A person listed for an event in the metadata."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    affiliation: str = ""
    title: str = ""
    role: str = "unknown"
    self_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventMeta:
    """One validated event entry of the metadata file."""

    event_id: str
    title: str
    date: pd.Timestamp
    date_precision: str
    organiser: str
    format: str
    file: str
    parser: str
    label: str = ""
    series: str = ""
    original_file: str = ""
    encoding: str | None = None
    errors: str = "strict"  # "replace": undecodable bytes become U+FFFD (counted)
    participants: tuple[Participant, ...] = ()
    notes: str = ""
    parser_options: dict = field(default_factory=dict)
    attribution: dict = field(default_factory=dict)
    line: int = 0


def name_slug(name: str) -> str:
    """A snake_case id for a person's name, Chinese names in pinyin (徐鹏 -> xu_peng)."""
    words = "_".join(lazy_pinyin(name, errors=lambda chars: [chars]))  # Latin runs stay words
    words = re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")
    return words if words and words[0].isalpha() else f"p_{words}"


def parse_date(value: object) -> tuple[pd.Timestamp, str]:
    """Turn a metadata date (YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY) into (period start, precision)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return pd.Timestamp(value), "day"
    text = str(value).strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        return pd.Timestamp(int(m[1]), int(m[2]), int(m[3])), "day"
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        return pd.Timestamp(int(m[1]), int(m[2]), 1), "month"
    if m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", text):
        return pd.Timestamp(int(m[1]), 3 * int(m[2]) - 2, 1), "quarter"
    if m := re.fullmatch(r"(\d{4})", text):
        return pd.Timestamp(int(m[1]), 1, 1), "year"
    raise ValueError(text)


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Checker:
    """Collects every problem instead of stopping at the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[TranscriptError] = []

    def add(self, line: int | None, problem: str, fix: str) -> None:
        self.problems.append(TranscriptError(self.path, problem, line=line, fix=fix))

    def text(self, entry: LineDict, key: str, *, required: bool = True) -> str:
        value = entry.get(key)
        line = entry.key_lines.get(key, entry.line)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(entry.line, f"`{key}` is missing or empty",
                         fix=f"add `{key}:` to this entry")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.add(line, f"`{key}` must be text, not {type(value).__name__}",
                     fix=f"write `{key}:` as a single line of text")
            return ""
        return str(value).strip()


def load_metadata(path: str | Path, *, transcripts_dir: str | Path | None = None,
                  parsers: tuple[str, ...] = (), roles: tuple[str, ...] = (),
                  pools: tuple[str, ...] = ()) -> list[EventMeta]:
    """Read and validate the metadata file.

    Args:
        path: the YAML file (a project's events.yaml).
        transcripts_dir: where `file:` entries live; checked for existence when given.
        parsers: the known parser names; checked when given.
        roles: the project's role ids (codebook/roles.yaml); checked when given.
        pools: ids of unnamed voices, reserved (no participant may take one as id).

    Returns:
        The events in file order.

    Raises:
        MetadataError: listing every problem found, each with its line and fix.
    """
    path = Path(path)
    if not path.is_file():
        raise MetadataError([TranscriptError(path, "metadata file not found",
                                             fix="create a project with `python -m analysis "
                                                 "init DIR` (see docs/projects.md)")])
    raw = path.read_bytes()
    try:
        doc = parse_yaml(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise MetadataError([TranscriptError(path, "is not UTF-8 text",
                                             line=raw.count(b"\n", 0, err.start) + 1,
                                             fix="save the metadata file as UTF-8")]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        raise MetadataError([TranscriptError(
            path, f"is not valid YAML: {problem}", line=mark.line + 1 if mark else None,
            fix="check indentation and quoting on that line (text with ': ' or '#' needs quotes)",
        )]) from None
    check = _Checker(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        check.add(1, "the file must hold a mapping with an `events:` list",
                  fix="start the file with `events:` followed by one `- event_id: ...` entry per "
                      "transcript")
        raise MetadataError(check.problems)
    events: list[EventMeta] = []
    seen_ids: dict[str, int] = {}
    seen_files: dict[str, int] = {}
    for entry in doc["events"]:
        if not isinstance(entry, LineDict):
            check.add(doc.line, "each item under `events:` must be a mapping of keys",
                      fix="write each event as `- event_id: ...` with its keys indented below")
            continue
        event = _check_event(entry, check, transcripts_dir, parsers, roles, pools)
        if event is None:
            continue
        if event.event_id in seen_ids:
            check.add(entry.line, f"duplicate event_id {event.event_id!r} (first on line "
                                  f"{seen_ids[event.event_id]})", fix="give each event its own event_id")
        seen_ids.setdefault(event.event_id, entry.line)
        same = _same_file_key(event.file, transcripts_dir)
        if same in seen_files:
            check.add(entry.key_lines.get("file", entry.line),
                      f"file {event.file!r} is already described on line {seen_files[same]}",
                      fix="describe each transcript once")
        seen_files.setdefault(same, entry.line)
        events.append(event)
    if transcripts_dir is not None:
        _check_same_content(events, Path(transcripts_dir), check)
    if not events and not check.problems:
        check.add(doc.line, "`events:` is empty", fix="add at least one event entry")
    if check.problems:
        raise MetadataError(check.problems)
    return events


def _same_file_key(file: str, transcripts_dir) -> str:
    """What makes two `file:` entries the same file: its resolved path (`./a.txt` is
    `a.txt`, a link is its target)."""
    return str((Path(transcripts_dir) / file).resolve()) if transcripts_dir is not None \
        else file


def _check_same_content(events: list[EventMeta], folder: Path, check: _Checker) -> None:
    """Two entries whose transcripts are byte-identical count the discussion twice (sizes
    compared first, so only files of equal size are hashed)."""
    by_size: dict[int, list[EventMeta]] = {}
    for event in events:
        by_size.setdefault((folder / event.file).stat().st_size, []).append(event)
    for group in by_size.values():
        if len(group) < 2:
            continue
        first: dict[str, EventMeta] = {}
        for event in group:
            digest = hashlib.sha256((folder / event.file).read_bytes()).hexdigest()
            if digest in first:
                check.add(event.line, f"transcript {event.file!r} has the same content as "
                          f"{first[digest].file!r} (line {first[digest].line})",
                          fix="describe each transcript once; remove the copy")
            first.setdefault(digest, event)


def _check_event(entry: LineDict, check: _Checker, transcripts_dir, parsers, roles,
                 pools) -> EventMeta | None:
    n_before = len(check.problems)
    for key in entry:
        if key not in _REQUIRED + _OPTIONAL:
            check.add(entry.key_lines.get(key, entry.line), f"unknown key `{key}`"
                      f"{_suggest(key, _REQUIRED + _OPTIONAL)}",
                      fix="remove it or correct its spelling; known keys are listed at the top "
                          "of the file")
    values = {key: check.text(entry, key) for key in ("event_id", "title", "organiser", "format",
                                                      "file", "parser")}
    event_id = values["event_id"]
    if event_id and not SLUG.match(event_id):
        check.add(entry.key_lines.get("event_id"), f"event_id {event_id!r} is not a snake_case slug",
                  fix="use lower-case letters, digits and underscores, starting with a letter")
    if values["parser"] and parsers and values["parser"] not in parsers:
        check.add(entry.key_lines.get("parser"), f"unknown parser {values['parser']!r}"
                  f"{_suggest(values['parser'], parsers)}",
                  fix=f"use one of: {', '.join(parsers)}")
    if values["file"] and transcripts_dir is not None:
        folder = Path(transcripts_dir)
        target = (folder / values["file"]).resolve()
        if not target.is_relative_to(folder.resolve().parent):
            check.add(entry.key_lines.get("file"), f"transcript {values['file']!r} is outside "
                      f"the project folder {folder.parent} (or links there)",
                      fix="copy the file into transcripts/ and give its name")
        elif not target.is_file():
            check.add(entry.key_lines.get("file"), f"transcript {values['file']!r} not found in "
                      f"{transcripts_dir}", fix="copy the file there, or correct `file:`")
    date, precision = pd.NaT, ""
    if "date" not in entry or entry["date"] is None:
        check.add(entry.line, "`date` is missing", fix="add `date:` as YYYY-MM-DD, YYYY-MM, "
                                                      "YYYY-Qn or YYYY")
    else:
        try:
            date, precision = parse_date(entry["date"])
        except ValueError:
            check.add(entry.key_lines.get("date"), f"date {entry['date']!r} is not understood",
                      fix="write YYYY-MM-DD, YYYY-MM, YYYY-Qn (quarter) or YYYY")
    declared = entry.get("date_precision")
    if declared is not None and precision:
        if declared not in PRECISIONS:
            check.add(entry.key_lines.get("date_precision"), f"date_precision {declared!r} is not "
                      f"one of {', '.join(PRECISIONS)}", fix="use day, month, quarter or year")
        elif declared != precision:
            check.add(entry.key_lines.get("date_precision"), f"date_precision {declared!r} does not "
                      f"match the date {entry['date']!s} ({precision})",
                      fix="write the date in the form of its precision (2023-03 for a month, "
                          "2023-Q1 for a quarter) or drop `date_precision`")
    encoding = entry.get("encoding")
    if encoding is not None and not isinstance(encoding, str):
        check.add(entry.key_lines.get("encoding"), "`encoding` must be text",
                  fix="write a codec name such as utf-8 or gb18030")
        encoding = None
    errors = entry.get("errors", "strict")
    if errors not in ERRORS:
        check.add(entry.key_lines.get("errors"), f"`errors` must be one of {', '.join(ERRORS)}, "
                  f"not {errors!r}", fix="write `errors: replace` to replace undecodable bytes, "
                                         "or drop the key")
        errors = "strict"
    options = entry.get("parser_options") or {}
    if not isinstance(options, dict):
        check.add(entry.key_lines.get("parser_options"), "`parser_options` must be a mapping",
                  fix="indent `key: value` lines under `parser_options:`")
        options = {}
    participants = _check_speaker_map(entry, check, _check_participants(entry, check, roles,
                                                                        pools), roles, pools)
    attribution = _check_attribution(entry, participants, check)
    if len(check.problems) > n_before:
        return None
    return EventMeta(
        event_id=event_id, title=values["title"], date=date, date_precision=precision,
        organiser=values["organiser"], format=values["format"], file=values["file"],
        parser=values["parser"], label=check.text(entry, "label", required=False) or event_id,
        series=check.text(entry, "series", required=False),
        original_file=check.text(entry, "original_file", required=False),
        encoding=encoding, errors=errors, participants=participants,
        notes=check.text(entry, "notes", required=False), parser_options=dict(options),
        attribution=attribution, line=entry.line,
    )


def _check_participants(entry: LineDict, check: _Checker, roles: tuple[str, ...],
                        pools: tuple[str, ...]) -> tuple[Participant, ...]:
    items = entry.get("participants") or []
    if not isinstance(items, list):
        check.add(entry.key_lines.get("participants"), "`participants` must be a list",
                  fix="write one `- {id: ..., name: ..., role: ...}` per person")
        return ()
    out, ids = [], set()
    for item in items:
        if not isinstance(item, LineDict):
            check.add(entry.key_lines.get("participants"), "each participant must be a mapping",
                      fix="write `- {id: ..., name: ..., role: ...}`")
            continue
        for key in item:
            if key not in _PARTICIPANT_KEYS:
                check.add(item.line, f"unknown participant key `{key}`"
                          f"{_suggest(key, _PARTICIPANT_KEYS)}",
                          fix=f"use only {', '.join(_PARTICIPANT_KEYS)}")
        pid, name = check.text(item, "id"), check.text(item, "name")
        if pid and not SLUG.match(pid):
            check.add(item.line, f"participant id {pid!r} is not a snake_case slug",
                      fix="use lower-case letters, digits and underscores (e.g. xu_peng)")
        if pid in ids:
            check.add(item.line, f"participant id {pid!r} appears twice in this event",
                      fix="give each person their own id")
        if pid in pools or pid == "unknown":
            check.add(item.line, f"participant id {pid!r} is reserved for unnamed speakers",
                      fix="choose another id")
        ids.add(pid)
        role = item.get("role", "unknown")
        _check_role(check, item.key_lines.get("role", item.line), role, roles)
        aliases = item.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            check.add(item.key_lines.get("aliases", item.line), "`aliases` must be a list of names",
                      fix="write `aliases: [name one, name two]`")
            aliases = []
        refs = item.get("self_refs") or []
        if not isinstance(refs, list) or not all(isinstance(r, str) and r.strip() for r in refs):
            check.add(item.key_lines.get("self_refs", item.line),
                      "`self_refs` must be a list of words", fix="write `self_refs: [课程, 温哥华]`")
            refs = []
        out.append(Participant(id=pid, name=name, aliases=tuple(a.strip() for a in aliases),
                               affiliation=check.text(item, "affiliation", required=False),
                               title=check.text(item, "title", required=False), role=str(role),
                               self_refs=tuple(r.strip() for r in refs)))
    return tuple(out)


def _check_role(check: _Checker, line: int, role: object, roles: tuple[str, ...]) -> None:
    if roles and role not in roles:
        check.add(line, f"unknown role {role!r}{_suggest(role, roles)}",
                  fix=f"use one of: {', '.join(roles)} (or add the role to codebook/roles.yaml)")


def _check_speaker_map(entry: LineDict, check: _Checker, participants: tuple[Participant, ...],
                       roles: tuple[str, ...], pools: tuple[str, ...]) -> tuple[Participant, ...]:
    """`speakers:` maps an export's speaker labels to people:
    `发言人1: {name: 张小珺, role: host}` (also `affiliation`, `title`, `id`). A label naming a
    listed participant becomes one of their aliases; any other, a participant of its own."""
    block = entry.get("speakers")
    if block is None:
        return participants
    line = entry.key_lines.get("speakers", entry.line)
    if not isinstance(block, dict):
        check.add(line, "`speakers` must map speaker labels to people",
                  fix="write `speakers:` then lines like `  发言人1: {name: 张小珺, role: host}`")
        return participants
    taken = {p.id for p in participants}
    out = list(participants)
    for label, person in block.items():
        where = block.key_lines.get(label, line)
        if isinstance(person, str):
            person = {"name": person}
        if not isinstance(person, dict) or not str(person.get("name") or "").strip():
            check.add(where, f"speaker label {label!r} needs a `name`",
                      fix=f"write `{label}: {{name: 姓名, role: host}}`")
            continue
        unknown_keys = sorted(set(person) - {"id", "name", "role", "affiliation", "title"})
        if unknown_keys:
            check.add(where, f"speaker {label!r}: unknown key `{unknown_keys[0]}`",
                      fix="use only id, name, role, affiliation, title")
        name = str(person["name"]).strip()
        known = next((i for i, p in enumerate(out) if p.name == name), None)
        if known is not None:  # the label is another spelling of a listed participant
            out[known] = replace(out[known], aliases=(*out[known].aliases, str(label)))
            continue
        pid = str(person.get("id") or name_slug(name))
        while (pid in taken or pid in pools or pid == "unknown") and not person.get("id"):
            pid += "_2"
        if not SLUG.match(pid) or pid in taken or pid in pools or pid == "unknown":
            check.add(where, f"speaker {label!r}: id {pid!r} is not a new snake_case id "
                      "(or is reserved for unnamed voices)",
                      fix="give `id:` a unique snake_case id")
        taken.add(pid)
        role = person.get("role", "unknown")
        _check_role(check, where, role, roles)
        out.append(Participant(id=pid, name=name, aliases=(str(label),), role=str(role),
                               affiliation=str(person.get("affiliation") or ""),
                               title=str(person.get("title") or "")))
    return tuple(out)


def _check_attribution(entry: LineDict, participants: tuple[Participant, ...],
                       check: _Checker) -> dict:
    """`attribution:` of an unlabelled transcript: who mostly asks, who mostly answers,
    which participants may speak (default: all)."""
    block = entry.get("attribution")
    if block is None:
        return {}
    line = entry.key_lines.get("attribution", entry.line)
    if not isinstance(block, dict):
        check.add(line, "`attribution` must be a mapping",
                  fix="write `attribution: {asks: <participant id>, answers: <participant id>}`")
        return {}
    ids = {p.id for p in participants}
    for key in block:
        if key not in _ATTRIBUTION_KEYS:
            check.add(line, f"unknown attribution key `{key}`{_suggest(key, _ATTRIBUTION_KEYS)}",
                      fix=f"use only {', '.join(_ATTRIBUTION_KEYS)}")
    choices = f"use one of: {', '.join(sorted(ids)) or '(add participants)'}"
    where = {key: block.key_lines.get(key, line) for key in block} \
        if isinstance(block, LineDict) else {}
    for key in ("asks", "answers"):
        value = block.get(key)
        if value is not None and not isinstance(value, str):
            check.add(where.get(key, line), f"attribution {key} must be one participant id, not "
                      f"{type(value).__name__}", fix=choices)
        elif value is not None and value not in ids:
            check.add(where.get(key, line), f"attribution {key}: {value!r} is not a participant "
                      "of this event", fix=choices)
    speakers = block.get("speakers")
    if speakers is None:
        speakers = sorted(ids)
    elif not isinstance(speakers, list) or not all(isinstance(p, str) for p in speakers):
        check.add(where.get("speakers", line), "attribution speakers must be a list of "
                  "participant ids", fix="write `speakers: [id_one, id_two]`")
        speakers = []
    for pid in speakers:
        if pid not in ids:
            check.add(where.get("speakers", line), f"attribution speaker {pid!r} is not a "
                      "participant of this event", fix=choices)
    enabled = block.get("enabled", True)
    if not isinstance(enabled, bool):
        check.add(where.get("enabled", line), f"attribution enabled must be true or false, not "
                  f"{enabled!r}", fix="write `enabled: false` (or true), without quotes")
    return {"asks": block.get("asks"), "answers": block.get("answers"),
            "speakers": tuple(speakers), "enabled": enabled is not False}
