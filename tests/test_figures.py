"""Exports and regression checks: manifest, deck, figure baselines, and a proof that both
nbval and the figure check catch a lexicon change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from PIL import Image

from analysis.export import build_deck, figure_manifest
from analysis.figcheck import compare_figures

ROOT = Path(__file__).resolve().parents[1]


def test_every_figure_matches_its_baseline():
    """The charts as last exported (by `make run`, or by nbval executing the notebooks
    before this test) look like the committed baselines."""
    problems = compare_figures(ROOT)
    assert not problems, "\n".join(problems)


def test_manifest_lists_every_saved_figure_in_notebook_order():
    entries = figure_manifest(ROOT)
    assert len(entries) >= 15
    notebooks = [e["notebook"] for e in entries]
    assert notebooks == sorted(notebooks)
    assert all(e["title"] and e["caption"] for e in entries)
    assert {e["png"] for e in entries} == {p.name for p in (ROOT / "figures").glob("*.png")}
    assert (ROOT / "figures" / "index.md").read_text(encoding="utf-8").count("| ") > len(entries)


def test_deck_has_a_slide_per_figure_and_is_byte_stable(tmp_path):
    entries = figure_manifest(ROOT)
    first = build_deck(ROOT, entries, tmp_path / "a.pptx")
    second = build_deck(ROOT, entries, tmp_path / "b.pptx")
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    slides = [n for n in names if n.startswith("ppt/slides/slide") and n.endswith(".xml")]
    assert len(slides) == len(entries) + 1  # a cover, then one per figure


def test_deck_slides_show_each_chart_once_under_the_slide_title(tmp_path):
    """The slide carries the title and caption; the picture is cropped below the chart's own
    title band (recorded by plots.save), so no slide shows its title twice."""
    from pptx import Presentation

    entries = figure_manifest(ROOT)
    deck = Presentation(str(build_deck(ROOT, entries, tmp_path / "deck.pptx")))
    for entry, slide in zip(entries, list(deck.slides)[1:]):
        texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        assert texts[0] == entry["title"] and entry["caption"] in texts[1]
        (picture,) = [shape for shape in slide.shapes if shape.shape_type == 13]  # picture
        assert 0.05 < entry["title_band"] < 0.25, entry["name"]
        assert picture.crop_top == pytest.approx(entry["title_band"], abs=1e-4)
        with Image.open(ROOT / "figures" / entry["png"]) as image:
            shown = image.width / (image.height * (1 - entry["title_band"]))
        assert picture.width / picture.height == pytest.approx(shown, rel=0.01)


def _project_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns(".venv", ".git", ".cache", "build", "__pycache__",
                                    "*.egg-info", ".pytest_cache")
    shutil.copytree(ROOT, copy, ignore=ignore)
    return copy


@pytest.mark.slow
def test_a_lexicon_change_is_caught_by_nbval_and_by_the_figure_check(tmp_path):
    """Change the codebook in a copy of the project: nbval must report the changed numbers
    of the topics notebook, and the figure check the changed chart."""
    copy = _project_copy(tmp_path)
    codebook = copy / "seeds" / "codebook" / "topics.yaml"
    text = codebook.read_text(encoding="utf-8")
    assert "keywords: [应用, " in text
    codebook.write_text(text.replace("keywords: [应用, ", "keywords: [", 1), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(copy), ANALYSIS_CACHE=str(tmp_path / "cache"))
    nbval = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-sanitize-with", "notebooks/nbval_sanitize.cfg", "notebooks/03_topics.ipynb"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert nbval.returncode != 0, nbval.stdout[-2000:]
    assert "03_topics.ipynb" in nbval.stdout and "mismatch" in nbval.stdout.lower()
    figures = subprocess.run(
        [sys.executable, "-c", "from pathlib import Path; from analysis.figcheck import "
         "compare_figures; print('\\n'.join(compare_figures(Path('.'))))"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert figures.returncode == 0, figures.stderr[-2000:]
    assert "03_topics_overall" in figures.stdout and "chart changed" in figures.stdout
    # the untouched notebooks' charts still pass
    assert "01_speakers_by_role" not in figures.stdout


@pytest.mark.slow
def test_every_notebook_runs_on_another_domains_project(tmp_path):
    """The finance fixture (its own codebook: 5 topics, 2 stance targets, its own roles)
    through every notebook: no Python edit, finance names in the tables, the speaker without
    metadata in the speaker and stance tables, a chart for every figure."""
    copy = _project_copy(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(copy), ANALYSIS_CACHE=str(tmp_path / "cache"),
               ANALYSIS_PROJECT=str(copy / "tests" / "fixtures" / "finance"))
    run = subprocess.run([sys.executable, "-m", "analysis", "report"], cwd=copy, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    notebooks = {p.name: p.read_text(encoding="utf-8") for p in (copy / "notebooks").glob("*.ipynb")}
    assert "利率与货币政策" in notebooks["03_topics.ipynb"]
    assert "算力与芯片" not in notebooks["03_topics.ipynb"]
    assert "还会降息吗" in notebooks["04_stances.ipynb"]
    for name in ("01_corpus_overview.ipynb", "04_stances.ipynb"):
        assert "李娜" in notebooks[name], name
    assert len(figure_manifest(copy)) == len(figure_manifest(ROOT))
