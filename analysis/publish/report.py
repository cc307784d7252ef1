"""The main job: check the project, execute every notebook, then export the manifest and the
deck, all into the project's output folder (`Project.output`).

For the example project the notebooks run in place (`notebooks/`, `figures/`: the committed
regression baselines). For any other project the package's notebooks are templates: each is
copied without its outputs to `<project>/output/notebooks/` and run there, and its figures,
manifest and deck go to `<project>/output/figures/`, so the repository stays untouched.

Notebooks are independent (each loads the corpus itself), so up to `jobs` of them run at
once, each in its own kernel; progress lines are still printed in notebook order.
Execution leaves no timing metadata in the notebooks (`record_timing=False`), so an
unchanged notebook is byte-identical after a re-run.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from analysis.project.folder import Project, atomic_write, workspace_root


def notebooks(folder: Path) -> list[Path]:
    """The project's notebooks in reading order (their numbered file names)."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, *, template: Path | None = None, timeout: int = 900) -> float:
    """Run one notebook in its own folder and write it there with its outputs; returns
    seconds. With `template`, the notebook is that file without its outputs (a project's
    copy of the package's notebook)."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    notebook = nbformat.read(template or path, as_version=4)
    if template is not None:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
    # IPC transport: no TCP ports, and no "running over TCP without encryption" warning
    manager = KernelManager(kernel_name="python3", transport="ipc",
                            ip=str(Path(os.environ.get("TMPDIR", "/tmp")) /
                                   f"analysis-kernel-{os.getpid()}"))
    client = NotebookClient(notebook, km=manager, timeout=timeout, record_timing=False,
                            store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    try:
        client.execute()
    finally:
        if manager.has_kernel:
            manager.shutdown_kernel(now=False)
    elapsed = time.perf_counter() - started
    _drop_widget_views(notebook)
    text = nbformat.writes(notebook)  # as nbformat.write, through a temporary file
    atomic_write(path, text if text.endswith("\n") else text + "\n")
    return elapsed


def _drop_widget_views(notebook) -> None:
    """Widget outputs name a model that exists only in the kernel that drew it (a new id each
    run): keep their text form, so a re-run leaves the notebook unchanged."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)


def to_html(paths: list[Path], out: Path) -> list[Path]:
    """An HTML rendering of each executed notebook under `out`."""
    from nbconvert import HTMLExporter

    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter()
    written = []
    for path in paths:
        body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4))
        target = out / f"{path.stem}.html"
        atomic_write(target, body)
        written.append(target)
    return written


def run(project: Project, *, jobs: int | None = None, html: bool = False,
        only: list[str] | None = None) -> int:
    """Check that `project` loads (a bad project stops here with its one-line error, before
    any notebook starts), execute the notebooks (all, or those whose names contain one of
    `only`) into `project.output`, print one progress line each, then write the figure
    manifest and deck there."""
    from analysis.corpus import load_corpus
    from analysis.publish.export import export_all

    load_corpus(project)  # raises TranscriptError naming the file and line; warms the cache
    os.environ["ANALYSIS_PROJECT"] = str(project.root.resolve())  # what the kernels chart
    templates = notebooks(workspace_root() / "notebooks")
    if only:
        templates = [p for p in templates if any(key in p.name for key in only)]
    root = project.output
    paths = [project.notebooks_dir / t.name for t in templates]
    copied = {path: (None if path == template else template)
              for path, template in zip(paths, templates)}
    if paths:
        project.notebooks_dir.mkdir(parents=True, exist_ok=True)
    if jobs is None:  # two at a time by default: the machines we run on have 2 cores
        jobs = min(os.cpu_count() or 1, 2)
    jobs = max(1, min(jobs, len(paths) or 1))
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(execute, path, template=copied[path]) for path in paths]
        for number, (path, future) in enumerate(zip(paths, futures), 1):
            print(f"[{number}/{len(paths)}] {path.name} ...", end=" ", flush=True)
            print(f"{future.result():.1f} s", flush=True)
    wall = time.perf_counter() - started
    result = export_all(project)
    print(f"{len(paths)} notebooks in {wall:.1f} s wall time ({jobs} at a time); "
          f"{result['figures']} figures, index.md and deck.pptx written to {_shown(root / 'figures')}")
    if result["orphans"]:
        print("figures no notebook saves any more (delete them): "
              + ", ".join(result["orphans"]))
    if html:
        written = to_html(paths, root / "build" / "html")
        print(f"HTML: {len(written)} notebooks under {root / 'build' / 'html'}")
    return 0


def _shown(folder: Path) -> str:
    """A folder as the user should read it: relative to the working directory when inside it."""
    try:
        return str(folder.resolve().relative_to(Path.cwd().resolve())) + "/"
    except ValueError:
        return str(folder) + "/"


if __name__ == "__main__":
    sys.exit(run(Project.find()))
