"""The parsed-corpus cache: each event's parsed rows on disk, so a warm `load_corpus()`
re-parses only what changed.

An entry is one Arrow IPC file per event, `<cache>/corpus/<key>.<digest>.arrow`:
- `key` hashes everything the event's rows depend on: the transcript's bytes, its
  metadata entry, the analyst's speaker assignments, the project's roles, the package's
  code and data files, and the load options;
- `digest` is the SHA-256 of the file's own bytes, checked on every read: a truncated or
  damaged entry is deleted and rebuilt, never trusted.

Entries are written to a temporary file and renamed, so a killed process leaves either no
entry or a whole one, and two processes writing the same entry write the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from analysis.project.metadata import EventMeta
from analysis.project.folder import PACKAGE_DIR, Project
from analysis.project.store import cache_root, read_entry, write_entry

_SCHEMA = pa.schema([
    ("utterance_id", pa.string()), ("event_id", pa.string()), ("seq", pa.int64()),
    ("speaker_id", pa.string()), ("speaker", pa.string()), ("section", pa.string()),
    ("kind", pa.string()), ("text", pa.string()), ("raw_text", pa.string()),
    ("n_chars", pa.int64()), ("line_start", pa.int64()), ("line_end", pa.int64()),
    ("speaker_confidence", pa.float64()), ("speaker_method", pa.string()),
    ("start_s", pa.float64()), ("end_s", pa.float64()),
])


def code_version() -> str:
    """A hash of the package's code and data files: any change to a parser, the loader or a
    word list starts new entries."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix in (".py", ".yaml", ".txt") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def event_key(project: Project, event: EventMeta, options: tuple, code: str) -> str:
    digest = hashlib.sha256(code.encode())
    digest.update(repr(replace(event, line=0)).encode())  # not where it sits in events.yaml
    digest.update(repr(options).encode())
    for path in (project.transcripts / event.file, project.codebook_file("roles.yaml"),
                 project.attribution_dir / f"{event.event_id}.yaml"):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()[:32]


class CorpusCache:
    """Parsed events on disk (see the module docstring)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.folder = Path(root or cache_root()) / "corpus"

    def get(self, key: str) -> dict | None:
        """The cached (decoded) result of an event, or None (missing, or damaged: then
        removed)."""
        for path in sorted(self.folder.glob(f"{key}.*.arrow")):
            try:
                return decode(read_entry(path))
            except Exception:  # anything wrong with an entry means: rebuild it
                path.unlink(missing_ok=True)
        return None

    def put(self, key: str, data: bytes) -> None:
        """Store an encoded event; a failure to write (full disk, read-only cache) only
        costs the next load its speed."""
        with contextlib.suppress(OSError):
            write_entry(self.folder, key, data)


_MAGIC = b"EVT2"  # an entry: magic, the utterances file's length, the utterances, the units


def utterance_table(rows: list[dict]) -> pa.Table:
    """An event's utterance rows as an Arrow table of the cache's schema."""
    return pa.Table.from_pylist(rows, schema=_SCHEMA)


def encode(utterances: pa.Table, units: pa.Table, extra: dict) -> bytes:
    """An event's result (its utterances and units as Arrow tables; event row, speakers and
    source text in `extra`) as two Arrow IPC files in one entry."""
    first = _ipc(utterances.replace_schema_metadata(
        {b"event": json.dumps(extra, ensure_ascii=False).encode()}))
    second = _ipc(units)
    return b"".join([_MAGIC, first.size.to_bytes(8, "little"), first, second])  # one copy


def _ipc(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def decode(data: bytes) -> dict:
    """The result `encode` wrote; `utterances` and `units` stay Arrow tables (the corpus
    concatenates the events' tables and converts once)."""
    if not data.startswith(_MAGIC):
        raise ValueError("not an event entry of this version")
    buffer = pa.py_buffer(data)
    size = int.from_bytes(data[len(_MAGIC):len(_MAGIC) + 8], "little")
    start = len(_MAGIC) + 8
    tables = []
    for part in (buffer[start:start + size], buffer[start + size:]):
        with pa.ipc.open_file(pa.BufferReader(part)) as reader:
            tables.append(reader.read_all())
    utterances, units = tables
    return {"utterances": utterances, "units": units,
            **json.loads(utterances.schema.metadata[b"event"])}


def utterance_frame(tables: list[pa.Table]):
    """The utterances frame of the events' tables, in order."""
    table = pa.concat_tables(tables) if tables else _SCHEMA.empty_table()
    return table.replace_schema_metadata(None).to_pandas()
