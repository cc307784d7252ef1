"""The explorer's views (analysis.explorer.views), without a browser: they must agree with the
tables they show, and an override must go through the same checks as a hand edit."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis import load_corpus, topic_table
from analysis.errors import TranscriptError
from analysis.explorer import Explorer
from analysis.explorer.views import Filters
from analysis.measures.terms import kwic
from conftest import SEEDS


@pytest.fixture(scope="module")
def explorer(corpus):
    return Explorer(corpus)


@pytest.mark.parametrize("query", ["OpenAI", "算力", "GPT-4", "GPT", "no such words"])
def test_search_finds_what_kwic_finds(explorer, corpus, query):
    found, counts = explorer.search(query)
    expected = kwic(corpus, query)
    assert sorted(zip(found["utterance_id"], found["keyword"])) == \
        sorted(zip(expected["utterance_id"], expected["keyword"]))
    assert counts.sum() == len(found)


def test_search_finds_the_asr_spelling_and_follows_the_filters(explorer):
    found, _ = explorer.search("OpenAI", Filters(events=("monica_podcast",)))
    assert set(found["event_id"]) == {"monica_podcast"} and "open eye" in set(found["keyword"])
    hosts, _ = explorer.search("OpenAI", Filters(roles=("host",)))
    roles = explorer.units.loc[hosts["unit_id"], "role"]
    assert len(hosts) and set(roles) == {"host"}
    for sort in ("event", "speaker", "left", "right"):
        assert len(explorer.search("OpenAI", sort=sort)[0]) == len(explorer.search("OpenAI")[0])


def test_matrix_and_cells_count_the_topic_table(explorer, corpus):
    topics = topic_table(corpus)
    matrix = explorer.matrix(top=1000)
    expected = pd.crosstab(topics["topic"], topics["speaker_id"])
    for topic in matrix.index:
        for speaker in matrix.columns:
            assert matrix.at[topic, speaker] == expected.at[topic, speaker]
    topic, speaker = matrix.stack().idxmax()
    cell = explorer.cell(topic, speaker)
    assert len(cell) == matrix.at[topic, speaker]
    lexicon = set(topics.loc[(topics["topic"] == topic) & (topics["source"] == "lexicon"),
                             "unit_id"])
    assert all("<mark>" in html for unit, html in zip(cell["unit_id"], cell["html"])
               if unit in lexicon)
    by_event = explorer.matrix(by="event", top=1000)
    assert by_event.to_numpy().sum() == len(topics)
    narrowed = explorer.matrix(Filters(topics=(topic,)), top=1000)
    assert list(narrowed.index) == [topic]


def test_filters_combine(explorer):
    kept = explorer.units_in(Filters(events=("indigo_talk",), targets=("open_source",)))
    stances = explorer.stances
    expected = set(stances.loc[(stances["event_id"] == "indigo_talk")
                               & (stances["target"] == "open_source"), "unit_id"])
    assert set(kept) == expected
    dates = explorer.units["date"]
    late = explorer.units_in(Filters(start=dates.max()))
    assert set(explorer.units.loc[late, "date"]) == {dates.max()}


def test_unit_view_shows_context_topics_and_evidence(explorer):
    unit = explorer.stances["unit_id"].iloc[0]
    view = explorer.unit(unit)
    assert view["context"]["current"].sum() == 1 and 1 < len(view["context"]) <= 5
    assert len(view["stances"]) >= 1 and view["stances"]["evidence"].notna().all()
    assert "<u>" in explorer.marked(unit)


def test_override_round_trip_goes_through_the_checks(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(SEEDS, project)
    explorer = Explorer(load_corpus(project, cache=False))
    unit = explorer.units.index[3]
    missing = next(t for t in explorer.book.ids if t not in
                   set(explorer.topics.loc[explorer.topics["unit_id"] == unit, "topic"]))
    before = (project / "overrides.yaml").read_text(encoding="utf-8")
    entry = explorer.override(unit, topic=missing, note="测试")
    after = (project / "overrides.yaml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")) and entry["topic"] == missing
    row = explorer.topics[(explorer.topics["unit_id"] == unit)
                          & (explorer.topics["topic"] == missing)]
    assert row["source"].tolist() == ["override"]
    fresh = topic_table(load_corpus(project, cache=False))  # a new session reads the same
    assert ((fresh["unit_id"] == unit) & (fresh["topic"] == missing)).sum() == 1
    with pytest.raises(TranscriptError, match="unknown topic"):
        explorer.override(unit, topic="no_such_topic")
    assert (project / "overrides.yaml").read_text(encoding="utf-8") == after
    explorer.override(unit, target=explorer.cues.ids[0], stance=-1)
    stance = explorer.stances[(explorer.stances["unit_id"] == unit)
                              & (explorer.stances["target"] == explorer.cues.ids[0])]
    assert stance["stance"].tolist() == [-1] and stance["source"].tolist() == ["override"]


def test_the_widget_works_without_a_browser(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(SEEDS, project)
    widget = Explorer(load_corpus(project, cache=False)).widget()
    widget.query.value = "OpenAI"
    assert "open eye" not in widget.results.value or "OpenAI" in widget.results.value
    widget.f_events.value = ("monica_podcast",)
    assert "open eye" in widget.results.value
    widget.f_events.value = ()
    cell = next(b for row in widget.cells for b in row if b._key)
    cell.click()
    assert widget.cell_list.children and "<mark>" in widget.cell_list.children[0].children[1].value
    widget.cell_list.children[0].children[0].click()
    assert "话题" in widget.unit_html.value
    widget.o_stance_go.click()
    assert "overrides.yaml" in widget.status.value
    assert {name for name, _ in widget.timings} >= {"search", "filters", "cell", "unit",
                                                    "override"}


def test_the_labelling_view_answers_skips_and_undoes_into_labels_yaml(tmp_path):
    """The drawn units one at a time; each answer is in evaluation/labels.yaml at once, with
    who labelled it; undo takes it back; skipped units wait; the widget builds."""
    import yaml

    from analysis.cli import main
    from analysis.explorer import label_units

    project = tmp_path / "project"
    shutil.copytree(SEEDS, project)
    assert main(["--project", str(project), "validate", "draw", "3"]) == 0
    view = label_units(load_corpus(project, cache=False), labeller="tester")
    assert view.progress == "0 / 3"
    first = view.current()
    assert first["text"] and (first["before"] or first["after"])
    view.save(["models"], {"open_source": 1})
    labels = yaml.safe_load((project / "evaluation" / "labels.yaml").read_text(encoding="utf-8"))
    assert labels["items"][0] | {"text": None} == {"unit_id": first["unit_id"], "labeller": "tester",
                                                   "topics": ["models"],
                                                   "stances": {"open_source": 1}, "text": None}
    assert view.progress == "1 / 3" and view.current()["unit_id"] != first["unit_id"]
    second = view.skip()
    assert view.current()["unit_id"] not in {first["unit_id"], second["unit_id"]}
    assert view.undo() == second["unit_id"] and view.current()["unit_id"] == second["unit_id"]
    assert view.undo() == first["unit_id"] and view.progress == "0 / 3"
    assert "items: []" in (project / "evaluation" / "labels.yaml").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="unknown topics"):
        view.save(["chips"], {})
    widget = view.widget()
    assert "label-view" in widget.box._dom_classes
    # keyboard: "2" ticks the second topic, again unticks it, Enter saves, → skips,
    # Backspace undoes; a key with Ctrl does nothing
    unit = view.current()["unit_id"]
    for key in ("2", "1", "1", "q"):
        widget.key({"key": key})
    widget.key({"key": "Enter", "ctrlKey": True})
    assert view.progress == "0 / 3"
    widget.key({"key": "Enter"})
    labels = yaml.safe_load((project / "evaluation" / "labels.yaml").read_text(encoding="utf-8"))
    assert [(i["unit_id"], i["topics"]) for i in labels["items"]] == [
        (unit, [view.book.ids[1], view.book.ids[10]])]
    widget.key({"key": "ArrowRight"})
    assert "已跳过" in widget.progress.value
    widget.key({"key": "Backspace"})
    widget.key({"key": "Backspace"})
    assert view.progress == "0 / 3" and not any(b.value for b in widget.topics.values())
