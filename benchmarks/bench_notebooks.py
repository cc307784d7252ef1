"""Wall time of the main job (every notebook executed, figures, manifest and deck) with a
warm token cache, against the floor of the same number of empty notebooks run the same way
in the same process (kernel start-up and imports of nothing).

    python benchmarks/bench_notebooks.py          # target: under 60 s on 2 cores

The first pass warms the caches and is reported too; the example's notebooks are written back in place,
as `make run` does (their outputs are deterministic, so git sees no change).
"""

from __future__ import annotations

import sys
import tempfile
import time
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import nbformat

from analysis.project import Project

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed_report() -> float:
    from analysis.publish.report import run

    started = time.perf_counter()
    with redirect_stdout(StringIO()):
        run(Project(ROOT / "seeds"))
    return time.perf_counter() - started


def empty_floor(count: int) -> float:
    """The same parallel execution of `count` notebooks that only print a number."""
    from concurrent.futures import ProcessPoolExecutor

    from analysis.publish.report import execute

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i in range(count):
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
            nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                         "language": "python"}
            path = Path(folder) / f"{i:02d}_empty.ipynb"
            nbformat.write(nb, path)
            paths.append(path)
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=2) as pool:
            list(pool.map(execute, paths))
        return time.perf_counter() - started


def main() -> None:
    from analysis.publish.report import notebooks

    count = len(notebooks(ROOT / "notebooks"))
    first = timed_report()
    warm = timed_report()
    floor = empty_floor(count)
    print(f"{count} notebooks, 2 at a time")
    print(f"first pass (caches as found): {first:6.1f} s")
    print(f"warm cache:                   {warm:6.1f} s   (target < 60 s)")
    print(f"floor, {count} empty notebooks:     {floor:6.1f} s")
    print(f"warm / floor:                 {warm / floor:6.2f}x")


if __name__ == "__main__":
    main()
