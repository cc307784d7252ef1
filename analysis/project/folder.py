"""The project folder: the one place that knows where a project's files live.

A project is a folder an analyst owns (the repository's `seeds/` is the example project):

    events.yaml        one entry per transcript (analysis/project/metadata.py validates it)
    transcripts/       the source files, byte-identical to where they came from
    codebook/          topics.yaml, stances.yaml, roles.yaml (ids, display names, colours and
                       the words behind them); sentiment.yaml optionally
    overrides.yaml     optional: analyst fixes of topic and stance codes
    attribution/       optional: analyst speaker assignments for unlabelled transcripts

A codebook file missing from `codebook/` falls back to the package's default (the shipped
AI-industry codebook under analysis/data/codebook/), so an old project keeps working.
`python -m analysis init DIR` creates a project with that codebook (or an empty one).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from filelock import FileLock, Timeout

from analysis.errors import TranscriptError

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # analysis/
REPOSITORY = PACKAGE_DIR.parent  # the notebook collection next to the package
METADATA_FILE = "events.yaml"
LOCK_FILE = ".project.lock"  # held by commands that change the project (`add`)
TRANSCRIPTS_DIR = "transcripts"
CODEBOOK_DIR = "codebook"
OVERRIDES_FILE = "overrides.yaml"
ATTRIBUTION_DIR = "attribution"
OUTPUT_DIR = "output"  # a project's executed notebooks, figures, manifest and deck
CODEBOOK_FILES = ("topics.yaml", "stances.yaml", "roles.yaml", "sentiment.yaml")


def default_codebook_dir() -> Path:
    """The package's shipped codebook (the AI-industry one of the example project)."""
    return Path(str(resources.files("analysis") / "data" / CODEBOOK_DIR))


@dataclass(frozen=True)
class Project:
    """A project folder and the paths of its parts."""

    root: Path

    @property
    def events_file(self) -> Path:
        return self.root / METADATA_FILE

    @property
    def transcripts(self) -> Path:
        return self.root / TRANSCRIPTS_DIR

    @property
    def codebook_dir(self) -> Path:
        return self.root / CODEBOOK_DIR

    @property
    def overrides_file(self) -> Path:
        return self.root / OVERRIDES_FILE

    @property
    def attribution_dir(self) -> Path:
        return self.root / ATTRIBUTION_DIR

    @property
    def is_example(self) -> bool:
        """The example project: `seeds/` of the notebook collection."""
        return self.root.resolve() == (workspace_root() / "seeds").resolve()

    @property
    def output(self) -> Path:
        """Where this project's outputs go: `notebooks/` (executed), `figures/` (PNG, SVG,
        manifest, deck). For the example project that is the notebook collection itself (its
        outputs are the committed regression baselines); for every other project it is
        `<project>/output/`, so charting your own archive never touches the repository."""
        return workspace_root() if self.is_example else self.root / OUTPUT_DIR

    @property
    def figures_dir(self) -> Path:
        return self.output / "figures"

    @property
    def notebooks_dir(self) -> Path:
        return self.output / "notebooks"

    @contextmanager
    def editing(self, timeout: float = 120.0) -> Iterator[None]:
        """Hold the project's lock while reading and rewriting its files, so that commands
        changing it at once (two `add`s) run one after the other instead of losing entries."""
        lock = FileLock(str(self.root / LOCK_FILE))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise TranscriptError(self.root / LOCK_FILE, f"another command has been changing "
                                  f"this project for {timeout:g} s",
                                  fix="wait for it to finish, then run this again") from None
        try:
            yield
        finally:
            lock.release()

    def save_events(self, data: bytes) -> None:
        """Replace events.yaml whole (through a temporary file), keeping the version it
        replaces as events.yaml.bak."""
        if self.events_file.is_file():
            atomic_write(self.events_file.with_name(METADATA_FILE + ".bak"),
                         self.events_file.read_bytes())
        atomic_write(self.events_file, data)

    def codebook_file(self, name: str) -> Path:
        """The project's own codebook file, else the package default of that name."""
        own = self.codebook_dir / name
        return own if own.is_file() else default_codebook_dir() / name

    @classmethod
    def find(cls, start: str | Path | None = None) -> Project:
        """The project to work on: $ANALYSIS_PROJECT (or the older $ANALYSIS_SEEDS); else the
        working directory (or a parent) when it is a project folder itself; else the `seeds/`
        of the nearest parent that has one; else the example project next to the package."""
        if env := os.environ.get("ANALYSIS_PROJECT") or os.environ.get("ANALYSIS_SEEDS"):
            return cls(Path(env))
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / METADATA_FILE).is_file() and (folder / TRANSCRIPTS_DIR).is_dir():
                return cls(folder)
            if (folder / "seeds" / METADATA_FILE).is_file():
                return cls(folder / "seeds")
        return cls(REPOSITORY / "seeds")

    @classmethod
    def of(cls, where: Project | str | Path | None) -> Project:
        """A Project from a project, a folder path, or None (the one `find` gives)."""
        if isinstance(where, Project):
            return where
        return cls(Path(where)) if where is not None else cls.find()


_EVENTS_TEMPLATE = """\
# Event metadata: one entry per transcript under `events:` (the keys are listed in
# docs/formats.md, "Adding a transcript"). `python -m analysis add FILES...` appends entries.
events: []
"""

_EMPTY_CODEBOOK = {
    "topics.yaml": "# Topic codebook: one entry per topic id (see docs/codebook.md, \"Your "
                   "own codebook\").\n# Example:\n#   rates:\n#     zh: 利率\n#     en: Interest "
                   "rates\n#     keywords: [降息, 加息, 利率]\ntopics: {}\n",
    "stances.yaml": "# Stance targets and their cues (see docs/codebook.md, \"Your own codebook\").\n"
                    "negators: [不, 没有, 没, 并不, 不会, 不是]\nhedges: [可能, 也许, 或许]\n"
                    "contrast: [但是, 但, 不过]\nconditional: [如果, 假如, 一旦]\n"
                    "asking: [有没有, 是不是, 会不会]\ntargets: {}\n",
}


def init_project(folder: str | Path, *, empty: bool = False) -> Project:
    """Create a project folder: events.yaml (no events yet), transcripts/, and codebook/ with
    the shipped codebook (or, with `empty`, no topics and no stance targets; roles and
    general sentiment words are copied either way). Refuses a folder that is a project."""
    project = Project(Path(folder))
    if project.events_file.exists():
        raise TranscriptError(project.events_file, "a project already exists here",
                              fix="choose a new folder, or work in this one")
    project.transcripts.mkdir(parents=True, exist_ok=True)
    project.codebook_dir.mkdir(exist_ok=True)
    for name in CODEBOOK_FILES:
        target = project.codebook_dir / name
        if target.exists():
            continue
        if empty and name in _EMPTY_CODEBOOK:
            atomic_write(target, _EMPTY_CODEBOOK[name])
        else:
            atomic_write(target, (default_codebook_dir() / name).read_bytes())
    atomic_write(project.events_file, _EVENTS_TEMPLATE)
    return project


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write through a temporary file in the same folder, then rename: a fault leaves either
    the old file or the new one, never half of one."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def workspace_root(start: str | Path | None = None) -> Path:
    """The notebook collection's folder (holding notebooks/, figures/ and tests/baseline/):
    the nearest parent of the working directory with a pyproject.toml and notebooks/, else
    the folder next to the package. The project it charts is `Project.find()`'s."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir():
            return folder
    return REPOSITORY
