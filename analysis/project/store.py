"""The on-disk cache's folder and its checksummed entries, shared by the parsed-corpus cache
(analysis.ingest.cache) and the token cache (analysis.text.tokenise).

An entry is `<folder>/<name>.<digest>.arrow`, where `digest` is the SHA-256 of the file's own
bytes: a truncated or damaged entry is refused on read (and rebuilt by its cache), never
trusted. Entries are written through a temporary file and a rename.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from analysis.project.folder import REPOSITORY, atomic_write


def cache_root() -> Path:
    """$ANALYSIS_CACHE, else `.cache/` next to the package (shared with the token cache)."""
    if env := os.environ.get("ANALYSIS_CACHE"):
        return Path(env)
    return REPOSITORY / ".cache"


def write_entry(folder: Path, name: str, data: bytes) -> Path:
    """Store `<folder>/<name>.<digest>.arrow` through a temporary file and a rename (the
    corpus and token caches' entries). Raises OSError (a full disk, a read-only cache)."""
    path = folder / f"{name}.{hashlib.sha256(data).hexdigest()[:32]}.arrow"
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)
    return path


def read_entry(path: Path) -> bytes:
    """An entry's bytes; ValueError when they do not match the digest in its name."""
    digest = path.name[:-len(".arrow")].rsplit(".", 1)[-1]
    data = path.read_bytes()
    if len(digest) != 32 or hashlib.sha256(data).hexdigest()[:32] != digest:
        raise ValueError("checksum does not match")
    return data
