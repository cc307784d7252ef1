"""The package's shape: stages as folders, imports one way (checked by import-linter in
`make test` and here), no module importing another that imports it back."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

import analysis

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("project", "text", "speakers", "ingest", "coding", "estimates", "measures", "validation",
          "explorer", "charts", "publish", "scale")


def test_no_module_imports_one_that_imports_it_back():
    """grimp sees every import, lazy ones inside functions too."""
    graph = grimp.build_graph("analysis")
    edges = nx.DiGraph([(m, i) for m in graph.modules
                        for i in graph.find_modules_directly_imported_by(m)])
    cycles = list(nx.simple_cycles(edges))
    assert cycles == []


def test_import_contracts_hold():
    """The layers declared in pyproject.toml ([tool.importlinter]) are kept."""
    run = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "0 broken" in run.stdout


def test_every_stage_says_what_it_does_and_what_it_may_import():
    for stage in STAGES:
        package = importlib.import_module(f"analysis.{stage}")
        doc = package.__doc__ or ""
        assert len(doc.strip().splitlines()) >= 3, stage
        assert "import" in doc, f"analysis/{stage}/__init__.py: say what it may import"


def test_the_top_level_holds_the_model_and_the_stages_only():
    """A reader finds a stage by its path: the top of the package holds the corpus model, the
    command line and the stage folders, not loose modules."""
    top = sorted(m.name for m in pkgutil.iter_modules(analysis.__path__))
    assert top == sorted(["__main__", "_moved", "cli", "corpus", "errors", "kinds", "units", *STAGES]), top


def test_the_public_api_is_where_it_was():
    for name in ("load_corpus", "topic_table", "stance_table", "kwic", "explore", "Corpus",
                 "tokens_table", "code_text", "topic_frequencies", "stance_summary"):
        assert callable(getattr(analysis, name)), name


def test_the_flat_layouts_module_paths_still_import_with_a_warning():
    """An analyst's notebook written against the old layout keeps working and is told where
    the code went; the package's own functions keep their names."""
    import warnings

    from analysis._moved import MOVED

    for old, new in MOVED.items():
        sys.modules.pop(old, None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module = importlib.import_module(old)
        assert module is importlib.import_module(new), old
        assert any(new in str(w.message) for w in caught), old
    from analysis.compare import keyness_by  # noqa: F401  (the old README's example)
    from analysis.plots import save  # noqa: F401

    assert callable(analysis.normalise) and callable(analysis.explore)
