"""The main job: execute every notebook in order, in place; the notebooks export the figures."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def notebooks(folder: Path) -> list[Path]:
    """The project's notebooks in reading order (their numbered file names)."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, *, timeout: int = 900) -> float:
    """Run one notebook in its own folder and write it back with its outputs; returns seconds."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            record_timing=False, resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - started
    nbformat.write(notebook, path)
    return elapsed


def run(root: Path) -> int:
    """Execute all notebooks under `root/notebooks`, printing one progress line each."""
    paths = notebooks(root / "notebooks")
    total = 0.0
    for number, path in enumerate(paths, 1):
        print(f"[{number}/{len(paths)}] {path.name} ...", end=" ", flush=True)
        seconds = execute(path)
        total += seconds
        print(f"{seconds:.1f} s", flush=True)
    print(f"{len(paths)} notebooks in {total:.1f} s; figures in figures/")
    return 0


if __name__ == "__main__":
    sys.exit(run(Path.cwd()))
