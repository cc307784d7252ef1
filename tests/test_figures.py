"""Exports and regression checks: manifest, deck, figure baselines, and a proof that both
nbval and the figure check catch a lexicon change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from PIL import Image

from analysis.publish.export import build_deck, figure_manifest
from analysis.publish.figcheck import compare_figures

ROOT = Path(__file__).resolve().parents[1]


def test_every_figure_matches_its_baseline():
    """The charts as last exported (by `make run`, or by nbval executing the notebooks
    before this test) look like the committed baselines."""
    problems = compare_figures(ROOT)
    assert not problems, "\n".join(problems)


def test_manifest_lists_every_registered_figure_in_registry_order():
    from analysis.charts.registry import REGISTRY

    entries = figure_manifest(ROOT)
    assert len(entries) >= 13
    assert [e["name"] for e in entries] == [n for n in REGISTRY if (ROOT / "figures" /
                                                                    f"{n}.png").is_file()]
    notebooks = [e["notebook"] for e in entries]
    assert notebooks == sorted(notebooks)
    assert all(e["title"] and e["caption"] for e in entries)
    assert {e["png"] for e in entries} == {p.name for p in (ROOT / "figures").glob("*.png")}
    assert (ROOT / "figures" / "index.md").read_text(encoding="utf-8").count("| ") > len(entries)


def test_notebooks_draw_only_registered_figures_and_save_nothing_themselves():
    import json
    import re

    from analysis.charts.registry import REGISTRY

    drawn = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        source = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                           if c["cell_type"] == "code")
        assert "charts.save(" not in source and "charts.heatmap(" not in source, path.name
        for name in re.findall(r'charts\.(?:draw|show|REGISTRY)\[?\(?"([a-z0-9_]+)"', source):
            assert REGISTRY[name].notebook == path.name, name
            drawn.append(name)
    assert set(drawn) == set(REGISTRY)  # every registered figure has its notebook cell


def _slides(deck_path):
    from pptx import Presentation

    return Presentation(str(deck_path))


def test_deck_is_byte_stable_with_cover_takeaways_sections_and_a_slide_per_figure(tmp_path):
    from analysis.publish.export import TAKEAWAYS, corpus_facts, takeaways

    entries = figure_manifest(ROOT)
    facts = corpus_facts()
    first = build_deck(ROOT, entries, tmp_path / "a.pptx", facts=facts)
    second = build_deck(ROOT, entries, tmp_path / "b.pptx", facts=facts)
    assert first.read_bytes() == second.read_bytes()
    deck = _slides(first)
    sections = len({e["section"] for e in entries})
    chosen = takeaways(entries)
    assert 2 <= len(chosen) <= TAKEAWAYS  # the example has findings about what was said
    assert all(e["evidence"]["n"] >= 10 for e in chosen)
    assert len(deck.slides) == 1 + len(chosen) + sections + len(entries)
    cover = " ".join(s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame)
    assert facts["dates"] in cover and "场活动" in cover and "位发言者" in cover
    assert "2023" in facts["dates"]


def test_deck_text_stays_inside_the_slide_in_an_east_asian_sans_font(tmp_path):
    from pptx.oxml.ns import qn

    from analysis.publish.export import EA_FONT, corpus_facts

    deck = _slides(build_deck(ROOT, figure_manifest(ROOT), tmp_path / "deck.pptx",
                              facts=corpus_facts()))
    width, height = deck.slide_width, deck.slide_height
    for number, slide in enumerate(deck.slides, 1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= width and shape.top + shape.height <= height, \
                (number, shape.name)
            if shape.has_text_frame:
                assert shape.text_frame.word_wrap, (number, shape.name)
                for paragraph in shape.text_frame.paragraphs:
                    for run in paragraph.runs:
                        # one face for every script, never bold: no half-bold titles
                        properties = run._r.find(qn("a:rPr"))
                        for tag in ("a:latin", "a:ea", "a:cs"):
                            face = properties.find(qn(tag))
                            assert face is not None and face.get("typeface") == EA_FONT, number
                            assert face.get("charset") == "-122", number
                        assert not run.font.bold, (number, run.text)


def test_slide_titles_fit_their_lines_and_takeaways_carry_a_quote_and_its_speaker(tmp_path):
    """A figure slide's title is one line at 24 pt or two at 20 pt (it never runs into the
    chart); a takeaway slide shows the finding, its measure with an interval, a quote with its
    speaker and the chart, and its notes hold the measure."""
    import re

    from analysis.publish.export import SLIDE_W, MARGIN, TITLE_STEPS, fit_title, takeaways

    entries = figure_manifest(ROOT)
    for entry in entries:
        size, lines = fit_title(entry["title"], SLIDE_W - 2 * MARGIN)
        assert (size, len(lines)) in {(s, n) for s, most in TITLE_STEPS for n in range(1, most + 1)}
        assert len(lines) <= 2, entry["title"]
    deck = _slides(build_deck(ROOT, entries, tmp_path / "deck.pptx"))
    chosen = takeaways(entries)
    scores = [e["evidence"]["effect"] for e in chosen]
    assert all(e["finding"] for e in chosen)
    for number, entry in enumerate(chosen, 1):
        slide = deck.slides[number]
        shown = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        assert f"要点 {number}" in shown and "90%" in shown, shown[:200]
        assert entry["evidence"]["quote"] and "——" in shown, shown[:300]
        page = int(re.search(r"图见第 (\d+) 页", shown).group(1))  # its chart's slide
        chart_slide = deck.slides[page - 1]
        heading = chart_slide.shapes[0].text_frame.text.replace("\u2060", "")
        assert heading == entry["title"], (heading, entry["title"])
        assert any(shape.shape_type == 13 for shape in chart_slide.shapes)
        assert entry["evidence"]["measure"] in slide.notes_slide.notes_text_frame.text
    assert scores and max(scores) > 0


def test_no_slide_shows_a_unit_id_or_a_file_path(tmp_path):
    """Raw ids and paths are for whoever checks a figure: the speaker notes keep them, the
    slides (takeaways included) never show them."""
    import re

    deck = _slides(build_deck(ROOT, figure_manifest(ROOT), tmp_path / "deck.pptx"))
    for number, slide in enumerate(deck.slides, 1):
        shown = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        assert not re.search(r"\.u\d{4}\b", shown), (number, shown[:200])
        assert not re.search(r"\w+/\w+\.(yaml|csv|ipynb|py)\b", shown), (number, shown[:200])


def test_deck_slides_show_each_chart_once_under_its_finding_with_notes(tmp_path):
    """The slide carries the finding and the caption; the picture is cropped below the chart's
    own title band (recorded by charts.save), so no slide shows its title twice; the speaker
    notes hold the caption and the evidence."""
    from analysis.publish.export import takeaways

    entries = figure_manifest(ROOT)
    deck = _slides(build_deck(ROOT, entries, tmp_path / "deck.pptx"))
    figure_slides = [s for s in list(deck.slides)[1 + len(takeaways(entries)):]
                     if any(shape.shape_type == 13 for shape in s.shapes)]
    assert len(figure_slides) == len(entries)
    for entry, slide in zip(entries, figure_slides):
        texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        # word joiners keep quoted terms whole on one line; they are not text
        assert texts[0].replace("\u2060", "") == entry["title"] and entry["caption"] in texts[1]
        assert "figures/" not in texts[1] and ".ipynb" not in texts[1]  # no file paths
        assert entry["caption"] in slide.notes_slide.notes_text_frame.text
        (picture,) = [shape for shape in slide.shapes if shape.shape_type == 13]  # picture
        assert 0.05 < entry["title_band"] < 0.25, entry["name"]
        assert picture.crop_top == pytest.approx(entry["title_band"], abs=1e-4)
        with Image.open(ROOT / "figures" / entry["png"]) as image:
            shown = image.width / (image.height * (1 - entry["title_band"]))
        assert picture.width / picture.height == pytest.approx(shown, rel=0.01)


@pytest.mark.slow
def test_figures_render_byte_identically_in_two_processes(tmp_path):
    """Same corpus, same bytes, whatever the machine's thread settings: every figure drawn
    in two fresh processes at once, one with one BLAS/OpenMP thread and numpy's AVX-512
    loops switched off, one with two threads, and both equal to the committed files (fixed
    seeds and iteration counts, a layout without BLAS, no timestamps)."""
    script = ("import sys; from analysis import load_corpus; from analysis.charts import registry as figures, style as plots; "
              "plots.use_house_style(); ctx = figures.Context(load_corpus('seeds')); "
              "[figures.draw(n, ctx, folder=sys.argv[1]) for n, spec in "
              "figures.REGISTRY.items() if spec.available(ctx)]")
    settings = {"a": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                      "MKL_NUM_THREADS": "1", "NPY_DISABLE_CPU_FEATURES": "X86_V4,AVX512_ICL,AVX512_SPR"},
                "b": {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2",
                      "MKL_NUM_THREADS": "2"}}
    runs = {run: subprocess.Popen([sys.executable, "-c", script, str(tmp_path / run)],
                                  cwd=ROOT, env={**os.environ, **extra},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for run, extra in settings.items()}
    for run, process in runs.items():
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err.decode()[-2000:]
    drawn = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert drawn == sorted(p.name for p in (tmp_path / "b").iterdir())
    committed = {e["png"] for e in figure_manifest(ROOT)} | {e["svg"] for e in
                                                             figure_manifest(ROOT)}
    assert set(drawn) == committed
    for name in drawn:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), \
            f"{name} differs between thread settings"
        assert (tmp_path / "a" / name).read_bytes() == (ROOT / "figures" / name).read_bytes(), \
            f"{name} differs from the committed figure"


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
        [sys.executable, "-c", "from pathlib import Path; from analysis.publish.figcheck import "
         "compare_figures; print('\\n'.join(compare_figures(Path('.'))))"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert figures.returncode == 0, figures.stderr[-2000:]
    assert "03_coding_coverage" in figures.stdout and "chart changed" in figures.stdout
    # the untouched notebooks' charts still pass, and so do the estimated topic charts: the
    # example's estimates rest on its readers' labels, which a keyword edit does not move
    assert "01_speakers_by_role" not in figures.stdout
    for name in ("03_topics_overall", "03_topics_by_event", "03_topics_by_role"):
        assert name not in figures.stdout


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          cwd=folder, check=True, capture_output=True, text=True).stdout


@pytest.mark.slow
def test_every_notebook_runs_on_another_domains_project(tmp_path):
    """The finance fixture (its own codebook: 5 topics, 2 stance targets, its own roles)
    through every notebook: no Python edit, finance names in the tables, the speaker without
    metadata in the speaker and stance tables, a chart for every figure. Its notebooks,
    figures, manifest and deck go to its own output folder: the repository's notebooks and
    figures (the example's baselines) stay as they were, and `git status` stays clean."""
    copy = _project_copy(tmp_path)
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    _git(copy, "commit", "-q", "-m", "as cloned")
    project = tmp_path / "finance"  # the user's archive, outside the repository
    shutil.copytree(ROOT / "tests" / "fixtures" / "finance", project)
    env = dict(os.environ, PYTHONPATH=str(copy), ANALYSIS_CACHE=str(tmp_path / "cache"),
               ANALYSIS_PROJECT=str(project))
    run = subprocess.run([sys.executable, "-m", "analysis", "report"], cwd=copy, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert _git(copy, "status", "--porcelain", "--untracked-files=all") == ""
    assert "output/figures/" in run.stdout
    output = project / "output"
    assert (output / "figures" / "deck.pptx").is_file()
    assert (output / "figures" / "index.md").is_file()
    notebooks = {p.name: p.read_text(encoding="utf-8")
                 for p in (output / "notebooks").glob("*.ipynb")}
    assert sorted(notebooks) == sorted(p.name for p in (copy / "notebooks").glob("[0-9]*.ipynb"))
    assert "利率与货币政策" in notebooks["03_topics.ipynb"]
    assert "算力与芯片" not in notebooks["03_topics.ipynb"]
    assert "还会降息吗" in notebooks["04_stances.ipynb"]
    for name in ("01_corpus_overview.ipynb", "04_stances.ipynb"):
        assert "李娜" in notebooks[name], name
    from analysis.charts.registry import REGISTRY

    drawn = {e["name"] for e in figure_manifest(output)}
    assert {n for n, spec in REGISTRY.items() if not spec.conditional} <= drawn


def test_a_bad_project_stops_the_main_job_with_one_line_before_any_notebook(tmp_path, capsys,
                                                                           monkeypatch):
    """A wrong ANALYSIS_PROJECT (here: events.yaml names a transcript that is not there)
    gives the loader's one-line error, and no notebook is started or written."""
    from analysis.cli import main

    project = tmp_path / "broken"
    shutil.copytree(ROOT / "tests" / "fixtures" / "finance", project)
    (project / "events.yaml").write_text((project / "events.yaml").read_text(encoding="utf-8")
                                         .replace(".txt", ".missing.txt", 1), encoding="utf-8")
    monkeypatch.setenv("ANALYSIS_PROJECT", str(project))  # restored after the test
    assert main(["report"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "events.yaml" in err and len(err.splitlines()) == 1
    assert not (project / "output").exists()


def test_turn_taking_charts_are_drawn_only_where_turns_repeat():
    """Who-follows-whom and questions-vs-statements need people who take turns back and
    forth: the finance dialogues have them; the example's roundtable and takeaways do not,
    and its podcast has them only through inferred speakers, which the chart marks."""
    from analysis import load_corpus
    from analysis.charts.registry import REGISTRY, Context, render

    example = ROOT / "tests" / "fixtures" / "example"
    named_only = Context(load_corpus(example, attribution=False))
    inferred = Context(load_corpus(example))
    finance = Context(load_corpus(ROOT / "tests" / "fixtures" / "finance"))
    # ASR without punctuation shows no question: the podcast's turns cannot be told apart
    assert not REGISTRY["01_questions_by_speaker"].available(inferred)
    for name in ("01_questions_by_speaker",):
        assert REGISTRY[name].conditional
        assert not REGISTRY[name].available(named_only), name
        assert REGISTRY[name].available(finance), name
        chart = render(name, finance)
        assert chart.title and chart.notes, name  # a finding only where its interval holds


def test_a_figure_the_corpus_cannot_support_is_withdrawn_not_left_stale(tmp_path, capsys):
    """`figures.show` draws where the corpus has what it needs; elsewhere it says why and
    removes the files an earlier run wrote, so the manifest and deck never show them."""
    from analysis import load_corpus
    from analysis.charts.registry import Context, show

    example = Context(load_corpus(ROOT / "tests" / "fixtures" / "example"))
    (tmp_path / "01_questions_by_speaker.png").write_bytes(b"stale")
    (tmp_path / "01_questions_by_speaker.svg").write_bytes(b"stale")
    assert show("01_questions_by_speaker", example, folder=tmp_path) is None
    assert "mark questions" in capsys.readouterr().out
    assert not list(tmp_path.glob("01_questions_by_speaker.*"))
    assert show("01_talk_time", example, folder=tmp_path) is not None
    assert (tmp_path / "01_talk_time.png").is_file()


def test_entities_named_together_need_repeated_co_mentions(make_seeds):
    """A short episode on another subject names no pair of entities often enough: the
    notebook's table of entities named together is empty, the example's is not."""
    from analysis import load_corpus
    from analysis.charts.registry import Context

    root = make_seeds("events:\n  - event_id: talk\n    title: t\n    date: 2024-01\n"
                      "    organiser: o\n    format: f\n    file: talk.txt\n    parser: auto\n",
                      {"talk.txt": "主持人：今天聊聊新能源车的下半场。\n嘉宾：价格战还会继续。\n"
                                   "主持人：OpenAI 呢？\n嘉宾：那是另一个行业了。\n"})
    assert Context(load_corpus(root)).entity_graph.number_of_edges() == 0
    example = Context(load_corpus(ROOT / "tests" / "fixtures" / "example"))
    assert example.entity_graph.number_of_edges() > 0


def test_a_chart_drawn_for_another_project_goes_to_that_projects_output(tmp_path):
    """`charts.draw` from Python, with the repository as the working folder, saves into the
    figures folder of the corpus's own project, never over the example's baselines."""
    from analysis import load_corpus
    from analysis.charts import Context, draw

    project = tmp_path / "finance"
    shutil.copytree(ROOT / "tests" / "fixtures" / "finance", project)
    baseline = (ROOT / "figures" / "01_characters_per_event.png").read_bytes()
    draw("01_characters_per_event", Context(load_corpus(project, cache=False)))
    assert (project / "output" / "figures" / "01_characters_per_event.png").is_file()
    assert (ROOT / "figures" / "01_characters_per_event.png").read_bytes() == baseline
