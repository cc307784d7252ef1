"""Loading the package's versioned data files (lexicons, cue lists) with validation."""

from __future__ import annotations

import time
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from analysis.errors import TranscriptError
from analysis.project.palette import HEX_COLOR, derived_color
from analysis.project.yamlfile import parse as parse_yaml


@lru_cache(maxsize=256)
def data_path(name: str) -> Path:
    """Path of a data file shipped in analysis/data/."""
    return Path(str(resources.files("analysis") / "data" / name))


def load_yaml(name: str | Path) -> dict:
    """A YAML data file (a name in analysis/data/ or a path) as a mapping; a clear error
    names the file and line when it is broken. Re-read whenever the file changes."""
    path = name if isinstance(name, Path) else data_path(name)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise TranscriptError(path, "data file not found", fix="reinstall the package") from None
    return _load_yaml(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_yaml(path: Path, mtime_ns: int, size: int) -> dict:
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TranscriptError(path, "data file not found", fix="reinstall the package") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise TranscriptError(path, f"is not valid YAML: {getattr(err, 'problem', err)}",
                              line=mark.line + 1 if mark else None,
                              fix="check indentation and quoting on that line") from None
    if not isinstance(doc, dict):
        raise TranscriptError(path, "must hold a YAML mapping", line=1,
                              fix="see the comment at the top of the file for its format")
    return doc


def string_list(name: str, key: str) -> tuple[str, ...]:
    """A list of non-empty strings under `key` of a data file."""
    doc = load_yaml(name)
    items = doc.get(key)
    path = data_path(name)
    if not isinstance(items, list) or not items:
        raise TranscriptError(path, f"`{key}` must be a non-empty list",
                              fix=f"add `{key}:` with one `- entry` per line")
    bad = [item for item in items if not isinstance(item, str) or not item.strip()]
    if bad:
        line = line_of(path, str(bad[0]))
        raise TranscriptError(path, f"`{key}` holds a non-text or empty entry {bad[0]!r}",
                              line=line, fix="quote the entry or remove it")
    return tuple(item.strip() for item in items)


def line_of(path: Path, needle: str) -> int | None:
    """First line (1-based) of a file containing `needle`, for error messages."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    return None


FRESHNESS_S = 1.0  # how often per-call entry points re-check the data files for edits
_STAMPS: dict[tuple, tuple[float, tuple]] = {}


def files_stamp(*names: str | Path, max_age: float = 0.0) -> tuple:
    """Modification times of data files (names in analysis/data/ or paths): a cache key
    that changes when an analyst edits one of them in a running session. With `max_age`
    (the per-call entry points: `tokenize`, `normalise`), a stamp younger than that many
    seconds is reused, so a call costs no file system look-up; `reload()` makes the next
    call look at once."""
    now = time.monotonic()
    seen = _STAMPS.get(names)
    if max_age and seen is not None and now - seen[0] < max_age:
        return seen[1]
    stamps = []
    for name in names:
        path = name if isinstance(name, Path) else data_path(name)
        try:
            stamps.append(path.stat().st_mtime_ns)
        except (FileNotFoundError, NotADirectoryError):
            stamps.append(0)
    _STAMPS[names] = (now, tuple(stamps))
    return _STAMPS[names][1]


def reload() -> None:
    """Re-read edited lexicons (user dictionary, aliases, stopwords) on the next call of
    `tokenize` or `normalise`, without waiting for their one-second check."""
    _STAMPS.clear()


def names_and_color(path: Path, item_id: str, entry, what: str) -> tuple[str, str, str]:
    """The `zh` and `en` names and the colour of a codebook entry (its `color:`, else one
    derived from its id), or a clear error naming the file and line."""
    where = line_of(path, f"{item_id}:")
    if not isinstance(entry, dict) or not entry.get("zh") or not entry.get("en"):
        raise TranscriptError(path, f"{what} {item_id!r} needs `zh` and `en` names",
                              line=where, fix="add zh: and en: display names")
    color = str(entry.get("color") or derived_color(item_id))
    if not HEX_COLOR.match(color):
        raise TranscriptError(path, f"{what} {item_id!r}: colour {color!r} is not #rrggbb",
                              line=where, fix='write color: "#1f77b4" (quoted), or drop it')
    return str(entry["zh"]), str(entry["en"]), color
