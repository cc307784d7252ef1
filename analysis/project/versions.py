"""The versions behind the outputs: the packages that shape a chart or a table, the lock
file that pins them, and the conda environment made from that lock.

The notebooks' outputs and the chart baselines are compared byte for byte and pixel by
pixel, which holds only while every machine renders with the same versions.
`requirements.lock` pins them (`make lock` refreshes it with uv); `environment.yml` is
written from it (`python -m analysis environment`), so pip and conda users get the same
wheels; every PNG records the versions it was made with, so a failed comparison can say
what moved.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from analysis.project.palette import CJK_FONT_FAMILY

SHAPING = ("matplotlib", "numpy", "pandas", "pillow", "jieba", "rjieba", "wordcloud",
           "networkx", "adjustText", "mplfonts")
"""Distributions whose version changes what a chart or a table looks like (the font comes
from mplfonts)."""

LOCK = "requirements.lock"
ENVIRONMENT = "environment.yml"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def output_versions() -> dict[str, str]:
    """{"python": "3.11", "matplotlib": "3.11.2", ..., "font": "Noto Sans CJK SC"}: the
    Python minor version (patch releases do not change outputs, so they do not change the
    files either) and each shaping distribution's installed version."""
    found = {"python": f"{sys.version_info.major}.{sys.version_info.minor}"}
    for name in SHAPING:
        try:
            found[name.lower()] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name.lower()] = "missing"
    found["font"] = CJK_FONT_FAMILY
    return found


def versions_line(versions: dict[str, str] | None = None) -> str:
    """`python 3.11, matplotlib 3.11.2, ...`: how the versions are written into outputs."""
    versions = output_versions() if versions is None else versions
    return ", ".join(f"{name} {version}" for name, version in versions.items())


def parse_versions_line(line: str) -> dict[str, str]:
    """The inverse of :func:`versions_line` (empty for a file made before versions were
    recorded)."""
    found = {}
    for part in filter(None, (p.strip() for p in (line or "").split(","))):
        name, _, version = part.partition(" ")
        if name:
            found[name] = version
    return found


def version_changes(recorded: dict[str, str], now: dict[str, str] | None = None) -> list[str]:
    """`made with matplotlib 3.8.4, now 3.11.2` for each shaping version that moved."""
    now = output_versions() if now is None else now
    return [f"made with {name} {recorded[name]}, now {now.get(name, 'missing')}"
            for name in recorded if recorded[name] != now.get(name, "missing")]


def read_lock(path: Path) -> list[tuple[str, str, str]]:
    """(name, version, environment marker) of every pin in a lock file written by
    `uv pip compile --generate-hashes`, in file order. Raises ValueError naming the line
    of a requirement that is not an exact pin with hashes."""
    pins = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line or line[0] in "# " or line.startswith("--"):
            continue
        match = _PIN.match(line)
        if not match or number == len(lines) or "--hash=sha256:" not in lines[number]:
            raise ValueError(f"{path}:{number}: {line.strip()!r} is not an exact pin with "
                             "hashes -> regenerate the lock with `make lock`")
        pins.append((match.group(1), match.group(2), (match.group(3) or "").strip()))
    if not pins:
        raise ValueError(f"{path}: no pinned requirement -> regenerate it with `make lock`")
    return pins


def environment_yml(pins: list[tuple[str, str, str]], python: str = "3.11") -> str:
    """The conda environment file for a lock: Python and pip from conda-forge, every
    locked package at its locked version through pip, then the project itself.

    The packages come as the same wheels pip installs, not as conda-forge builds of the
    same versions: those link other builds of FreeType and BLAS and draw different pixels."""
    lines = ["# Written from requirements.lock by `make lock` (python -m analysis environment);",
             "# do not edit: the versions are the lock's, tests/test_versions.py checks that.",
             "# Conda users: `conda env create -f environment.yml && conda activate transcripts`.",
             "name: transcripts",
             "channels:",
             "  - conda-forge",
             "dependencies:",
             f"  - python={python}",
             "  - pip",
             "  - pip:"]
    for name, version, marker in pins:
        lines.append(f"      - \"{name}=={version}" + (f" ; {marker}" if marker else "") + "\"")
    lines.append("      - -e .")
    return "\n".join(lines) + "\n"


def check_environment(root: Path) -> list[str]:
    """Where environment.yml and the lock disagree (empty when they agree)."""
    expected = environment_yml(read_lock(root / LOCK)).splitlines()
    path = root / ENVIRONMENT
    found = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    problems = [f"{ENVIRONMENT}: missing {line.strip()}" for line in expected
                if line not in found]
    problems += [f"{ENVIRONMENT}: not in the lock {line.strip()}" for line in found
                 if line not in expected]
    if not problems and found != expected:
        problems.append(f"{ENVIRONMENT}: lines out of the lock's order")
    return problems


def installed_against_lock(root: Path) -> list[str]:
    """Locked packages installed at another version in this environment (markers for this
    platform honoured): `matplotlib: locked 3.11.2, installed 3.12.0`."""
    from packaging.markers import Marker

    problems = []
    for name, version, marker in read_lock(root / LOCK):
        if marker and not Marker(marker).evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            problems.append(f"{name}: locked {version}, installed {installed}")
    return problems
