"""Topic shares as estimates: labels laid onto re-cut units, the calibration file, shares
with intervals, and the cross-fitted check against the readers (analysis.estimates,
analysis.validation.shares)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import load_corpus
from analysis.coding import codebook
from analysis.errors import TranscriptError
from analysis.estimates import CALIBRATION_FILE, fit_calibration, load_calibration, topic_shares
from analysis.coding import topic_table
from analysis.estimates.calibration import read_calibration, write_calibration
from analysis.estimates.features import FEATURES, unit_topic_frame
from analysis.estimates.labels import read_labelled_units, unit_labels
from analysis.estimates.shares import EXAMPLE_LABELS, LABEL_FILES, project_labels

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"  # the example project itself (its labels and calibration)
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def example():
    return load_corpus(FIXTURES / "example")


@pytest.fixture(scope="module")
def example_labels(example):
    labelled = read_labelled_units(*(EXAMPLE_LABELS / n for n in LABEL_FILES), corpus="example")
    return unit_labels(example, labelled)


def test_labels_follow_their_text_onto_recut_units(example, example_labels):
    """The podcast's units were re-cut after its labels were made (inferred speakers moved
    turn boundaries): labels still reach nearly every unit, through the utterances their
    text covers, and a unit whose id and text are unchanged keeps exactly its label."""
    labelled = read_labelled_units(EXAMPLE_LABELS / "gold.yaml", corpus="example")
    assert len(example_labels) >= len(example.units) - 5
    units = example.units.set_index("unit_id")["text"]
    same = labelled[labelled["unit_id"].map(units) == labelled["text"]]
    assert len(same) > 100
    for row in same.itertuples():
        assert example_labels[row.unit_id] == frozenset(row.topics), row.unit_id


def test_a_label_whose_text_is_gone_reaches_no_unit(example):
    labelled = pd.DataFrame([{"unit_id": "indigo_talk.u0001", "event_id": "indigo_talk",
                              "text": "这段话不在任何转写里", "topics": {"models"},
                              "corpus": "example"}])
    assert unit_labels(example, labelled) == {}


def test_features_describe_every_unit_and_topic_from_the_coding_alone(example):
    frame = unit_topic_frame(example)
    ids = list(codebook(example.root).ids)
    assert len(frame) == len(example.units) * len(ids)
    assert frame[list(FEATURES)].notna().all().all()
    assert frame["neighbours"].between(0, 1).all() and frame["salience"].ge(0).all()
    assert list(frame["unit_id"]) == sorted(frame["unit_id"])


def test_the_calibration_file_round_trips_and_refuses_what_it_cannot_use(example, example_labels,
                                                                         tmp_path):
    ids = list(codebook(example.root).ids)
    found = fit_calibration(unit_topic_frame(example), example_labels, ids, draws=4)
    path = write_calibration(found, tmp_path / CALIBRATION_FILE)
    again = read_calibration(path)
    assert np.allclose(again.coef, found.coef, atol=1e-6) and again.draws.shape == (4, found.coef.size)
    assert again.spread == found.spread > 0
    assert write_calibration(again, tmp_path / "again.yaml").read_bytes() == path.read_bytes()
    path.write_text(path.read_text(encoding="utf-8").replace("log_hits", "hits"), encoding="utf-8")
    with pytest.raises(TranscriptError, match="other features"):
        read_calibration(path)


def test_each_project_says_what_its_numbers_are_calibrated_on(tmp_path):
    assert "of this project" in load_calibration(SEEDS).validated_on
    assert "example's labels, not validated" in load_calibration(FIXTURES / "example").validated_on
    copied = tmp_path / "copied"  # a codebook copied with its calibration, no labels
    shutil.copytree(FIXTURES / "example", copied)
    shutil.copy(SEEDS / "codebook" / CALIBRATION_FILE, copied / "codebook" / CALIBRATION_FILE)
    assert load_calibration(copied).validated_on.startswith("calibrated elsewhere")
    assert load_calibration(FIXTURES / "finance") is None  # other topic ids: uncalibrated
    project = tmp_path / "finance"
    shutil.copytree(FIXTURES / "finance", project)
    shutil.copy(SEEDS / "codebook" / CALIBRATION_FILE, project / "codebook" / CALIBRATION_FILE)
    with pytest.raises(TranscriptError, match="not the codebook's"):
        load_calibration(project)


def test_shares_carry_intervals_that_hold_the_estimate_and_repeat_exactly(example):
    shares = topic_shares(example, labels={})
    assert list(shares.columns) == ["event_id", "topic", "estimate", "low", "high", "p_top",
                                    "raw", "expected_units", "n_units", "n_labelled",
                                    "validated_on"]
    assert np.allclose(shares.groupby("event_id")["p_top"].sum(), 1.0)
    assert (shares["low"] <= shares["estimate"] + 1e-12).all()
    assert (shares["estimate"] <= shares["high"] + 1e-12).all()
    assert (shares["high"] - shares["low"]).max() > 0.05  # unlabelled: real uncertainty
    assert shares["n_labelled"].eq(0).all()
    pd.testing.assert_frame_equal(shares, topic_shares(example, labels={}))
    by_speaker = topic_shares(example, by="speaker_id", labels={})
    assert set(by_speaker["speaker_id"]) <= set(example.speakers["speaker_id"])


def test_labelled_units_keep_the_readers_answer(example, example_labels):
    """Where every unit of an event is labelled, its share is the readers' share; its
    interval is the units' sampling alone (a Bayesian bootstrap over them: one unit's topic
    spreads it, as few units do); the keyword share stays beside it as `raw`."""
    shares = topic_shares(example, labels=example_labels)
    units = example.units.set_index("unit_id")
    full = [e for e, part in units.groupby("event_id") if set(part.index) <= set(example_labels)]
    assert full
    for row in shares[shares["event_id"].isin(full)].itertuples():
        part = units[units["event_id"] == row.event_id]
        truth = sum(c for u, c in part["n_chars"].items() if row.topic in example_labels[u])
        assert row.estimate == pytest.approx(truth / part["n_chars"].sum())
        assert row.low <= row.estimate <= row.high
        assert (row.high > row.low) == (0 < row.estimate < 1)
    whole = topic_shares(example, "corpus", labels=example_labels)
    by_event = shares.groupby("topic")["high"].mean() - shares.groupby("topic")["low"].mean()
    assert ((whole.set_index("topic")["high"] - whole.set_index("topic")["low"])
            < by_event.reindex(whole["topic"]).to_numpy()).all()  # more units, narrower


def test_without_a_calibration_the_shares_are_the_keyword_shares_and_say_so():
    shares = topic_shares(load_corpus(FIXTURES / "finance"))
    assert shares["low"].isna().all() and (shares["estimate"] == shares["raw"]).all()
    assert shares["validated_on"].str.startswith("uncalibrated").all()


def test_the_example_project_labels_are_found_and_others_have_none(example):
    assert len(project_labels(load_corpus(SEEDS))) >= 590
    assert project_labels(example) == {}  # a copy of the example is not the example


def test_cross_fitted_shares_beat_the_keyword_shares(example, example_labels):
    """The check `make evaluate` prints: on the example, cross-fitted, the calibrated cells are
    closer to the readers' than the keyword shares, nearly unbiased, and their intervals
    cover most cells. (Guards against a regression; the targets are in the report.)"""
    from analysis.validation.shares import crossfit_cells, summary

    result = summary(crossfit_cells(example, example_labels, draws=20))
    assert result["mae"] < result["raw_mae"] - 2
    assert abs(result["bias"]) < 1.5 < result["raw_bias"]
    assert result["coverage"] >= 0.75
    assert result["top_right"] == result["clear_events"] > 0
    assert result["named_wrong"] == 0 and result["unclear_named"] == 0


def test_inferred_speakers_are_counted_by_their_probabilities():
    """The podcast without speaker labels: the guest the model is unsure about keeps his
    expected share (the chart's thresholded count gives him 5 %), every event's shares sum to
    one, and labelled events have no width."""
    from analysis.estimates.talk_time import speaker_time

    corpus = load_corpus(SEEDS)
    time = speaker_time(corpus, draws=100)
    assert np.allclose(time.groupby("event_id")["estimate"].sum(), 1.0)
    guest = time.set_index("speaker_id").loc["indigo_talk.li_houming"]
    assert guest["inferred"] and guest["low"] < guest["estimate"] < guest["high"]
    spoken = corpus.spoken()
    podcast = spoken[spoken["event_id"] == "indigo_talk"]
    counted = podcast.loc[podcast["speaker_id"] == "indigo_talk.li_houming", "n_chars"].sum()
    assert guest["estimate"] > 3 * counted / podcast["n_chars"].sum()
    labelled = time[~time["inferred"]]
    assert (labelled["low"] == labelled["high"]).all()
    pd.testing.assert_frame_equal(time, speaker_time(corpus, draws=100))


def test_a_leader_is_named_only_when_it_leads_in_nearly_every_simulation():
    from analysis.charts.topics import _leaders_title
    from analysis.estimates import leader

    names = {"a": "甲", "b": "乙", "c": "丙"}
    rows = pd.DataFrame({"topic": ["a", "b", "c"], "estimate": [0.40, 0.35, 0.10],
                         "low": [0.30, 0.28, 0.05], "high": [0.50, 0.42, 0.15],
                         "p_top": [0.80, 0.20, 0.0]})
    assert leader(rows)[0]["topic"] == "a" and not leader(rows)[1]
    title, found = _leaders_title(rows, names, "占的发言")
    assert not found and "「甲」、「乙」" in title and "丙" not in title and "不确定" in title
    sure = rows.assign(p_top=[0.97, 0.03, 0.0])
    title, found = _leaders_title(sure, names, "占的发言")
    assert found and title.startswith("「甲」")
    assert not leader(rows.assign(low=np.nan, high=np.nan, p_top=np.nan))[1]  # uncalibrated


def test_a_refit_on_the_same_labels_gives_the_same_calibration(example, example_labels):
    ids = list(codebook(example.root).ids)
    frame = unit_topic_frame(example)
    one = fit_calibration(frame, example_labels, ids, draws=3)
    two = fit_calibration(frame, example_labels, ids, draws=3)
    assert np.array_equal(one.coef, two.coef) and np.array_equal(one.draws, two.draws)
    assert one.spread == two.spread


def test_shares_by_role_and_by_pooled_group():
    corpus = load_corpus(FIXTURES / "example")
    roles = topic_shares(corpus, by="role", labels={})
    assert set(roles["role"]) <= set(corpus.speakers["role"])
    pooled = topic_shares(corpus, by="event_group", labels={},
                          groups={e: "all" for e in corpus.events["event_id"]})
    whole = topic_shares(corpus, by="corpus", labels={})
    assert np.allclose(pooled["estimate"], whole["estimate"])
    assert np.allclose(pooled.groupby("event_group")["p_top"].sum(), 1.0)


def test_validation_draws_never_repeat_and_see_every_coded_topic(tmp_path):
    from analysis.cli import main

    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "example", project)
    assert main(["--project", str(project), "validate", "draw", "40"]) == 0
    assert main(["--project", str(project), "validate", "draw", "40"]) == 0
    import yaml

    items = yaml.safe_load((project / "evaluation" / "sample.yaml").read_text(encoding="utf-8"))["items"]
    units = [i["unit_id"] for i in items]
    assert len(units) == 80 == len(set(units)) and {i["draw"] for i in items} == {1, 2}
    corpus = load_corpus(project)
    coded = set(topic_table(corpus).query("unit_id in @units")["topic"])
    assert coded == set(topic_table(corpus)["topic"])  # every coded topic is seen
    again = tmp_path / "again"
    shutil.copytree(FIXTURES / "example", again)
    main(["--project", str(again), "validate", "draw", "40"])
    first = yaml.safe_load((again / "evaluation" / "sample.yaml").read_text(encoding="utf-8"))["items"]
    assert [i["unit_id"] for i in first] == units[:40]  # reproducible


def test_labels_import_from_csv_with_clear_errors(tmp_path, capsys):
    from analysis.cli import main

    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "example", project)
    corpus = load_corpus(project)
    first, second = corpus.units["unit_id"].iloc[:2]
    sheet = tmp_path / "labels.csv"
    sheet.write_text("unit_id,topics,stances,labeller\n"
                     f"{first},models; compute,,alice\n{second},,open_source:+1,alice\n",
                     encoding="utf-8")
    assert main(["--project", str(project), "validate", "import", str(sheet)]) == 0
    labels = project_labels(load_corpus(project))
    assert labels[first] == frozenset({"models", "compute"}) and labels[second] == frozenset()
    sheet.write_text(f"unit_id,topics,labeller\n{first},chips,bob\n", encoding="utf-8")
    assert main(["--project", str(project), "validate", "import", str(sheet)]) == 2
    err = capsys.readouterr().err
    assert "labels.csv:2" in err and "unknown topic id(s) chips" in err


def test_a_projects_own_labels_are_scored_and_two_labellers_compared(tmp_path):
    from analysis.cli import main
    from analysis.validation.sample import labels_report

    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "example", project)
    corpus = load_corpus(project)
    units = list(corpus.units["unit_id"].iloc[:6])
    rows = ["unit_id,topics,labeller"]
    rows += [f"{u},models,alice" for u in units]
    rows += [f"{u},{'models' if i < 4 else 'compute'},bob" for i, u in enumerate(units)]
    sheet = tmp_path / "labels.csv"
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["--project", str(project), "validate", "import", str(sheet)]) == 0
    lines = "\n".join(labels_report(load_corpus(project)))
    assert "6 units, 2 labeller(s)" in lines and "micro-F1" in lines
    assert "alice and bob both labelled 6 units" in lines and "they disagree on 2 units" in lines
    assert "models 1.00" not in lines and "compute 0.00" in lines  # kappa per topic
    # the estimates use the topics both gave: models on the first four units, none after
    labels = project_labels(load_corpus(project))
    assert [labels[u] for u in units] == [frozenset({"models"})] * 4 + [frozenset()] * 2


def test_a_small_draw_still_sees_every_coded_topic_and_the_project_can_run_out(tmp_path, capsys):
    from analysis.cli import main
    from analysis.validation.sample import choose_units

    corpus = load_corpus(FIXTURES / "example")
    coded = topic_table(corpus)
    chosen = choose_units(corpus, 15, seed=3)
    assert set(coded.query("unit_id in @chosen")["topic"]) == set(coded["topic"])
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "example", project)
    assert main(["--project", str(project), "validate", "draw", "0"]) == 2
    assert "cannot draw 0 units" in capsys.readouterr().err
    total = len(corpus.units)
    assert main(["--project", str(project), "validate", "draw", str(total - 2)]) == 0
    assert main(["--project", str(project), "validate", "draw", "50"]) == 0  # 2 left: both
    assert main(["--project", str(project), "validate", "draw", "5"]) == 2
    assert "every unit has been drawn already" in capsys.readouterr().err


def test_csv_errors_name_the_real_line_and_the_last_row_of_a_unit_wins(tmp_path, capsys):
    from analysis.cli import main

    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "example", project)
    unit = load_corpus(project).units["unit_id"].iloc[0]
    sheet = tmp_path / "labels.csv"
    sheet.write_text(f"unit_id,topics,labeller\n{unit},models,ann\n\n{unit},compute,ann\n"
                     f"{unit},chips,ann\n", encoding="utf-8")
    assert main(["--project", str(project), "validate", "import", str(sheet)]) == 2
    assert "labels.csv:5" in capsys.readouterr().err  # the blank line counted
    sheet.write_text(f"unit_id,topics,labeller\n{unit},models,ann\n{unit},compute,ann\n",
                     encoding="utf-8")
    assert main(["--project", str(project), "validate", "import", str(sheet)]) == 0
    assert project_labels(load_corpus(project))[unit] == frozenset({"compute"})
    (project / "evaluation" / "labels.yaml").write_text("items: [\n", encoding="utf-8")
    assert main(["--project", str(project), "validate", "import", str(sheet)]) == 2
    assert "labels.yaml" in capsys.readouterr().err


def test_labelled_units_shift_the_rest_of_their_event(example, example_labels):
    """Cell effects: where the readers tagged a topic in every labelled unit of an event, the
    event's unlabelled units get a higher chance of it than the features alone give, with a
    posterior sd under the prior's; a cell without labelled units has no shift; no labels,
    no effects."""
    ids = list(codebook(example.root).ids)
    frame = unit_topic_frame(example)
    cal = fit_calibration(frame, example_labels, ids, draws=3)
    event = frame["event_id"].iloc[0]
    units = sorted(frame.loc[frame["event_id"] == event, "unit_id"].unique())
    taught = frame[frame["unit_id"].isin(units[:20])]
    truth = (taught["topic"] == "safety").to_numpy(float)  # readers: all about safety
    effects = cal.cell_effects(taught, truth)
    assert effects.loc[(event, "safety"), "shift"] > 1.0
    assert effects.loc[(event, "safety"), "sd"] < cal.spread
    assert (effects.xs("models", level="topic")["shift"] < 0).all()
    rest = frame[frame["unit_id"].isin(units[20:])]
    plain, shifted = cal.probability(rest), cal.probability(rest, effects)
    safety = (rest["topic"] == "safety").to_numpy()
    assert (shifted[safety] > plain[safety]).all()
    other = frame[frame["event_id"] != event]
    assert np.array_equal(cal.probability(other, effects), cal.probability(other))
    assert cal.cell_effects(frame.iloc[:0], np.zeros(0)).empty


def test_topic_pairs_are_estimated_with_their_interval(example):
    """Lift from expected counts: units a reader labelled count their answer, so a corpus
    labelled whole gives the plain count ratio, its interval the units' sampling alone;
    uncalibrated, no interval."""
    from analysis.estimates.cooccurrence import topic_lift
    from analysis.estimates.shares import unit_probabilities

    ids = list(codebook(example.root).ids)
    units = example.units["unit_id"].tolist()
    tags = {u: frozenset(ids[i % 3: i % 3 + 2]) for i, u in enumerate(units)}
    pairs = topic_lift(unit_probabilities(example, labels=tags), ids).set_index(["left", "right"])
    n = len(units)
    both = sum(1 for t in tags.values() if {ids[0], ids[1]} <= t)
    alone = [sum(1 for t in tags.values() if ids[k] in t) for k in (0, 1)]
    row = pairs.loc[(ids[1], ids[0])]
    assert row["both"] == both and row["lift"] == pytest.approx(both * n / (alone[0] * alone[1]))
    assert row["low"] < row["lift"] < row["high"]
    open_ = topic_lift(unit_probabilities(example, labels={}), ids)
    assert (open_["low"] <= open_["lift"]).all() and (open_["lift"] <= open_["high"]).all()
    assert (open_["high"] - open_["low"]).max() > 0
    plain = topic_lift(unit_probabilities(example, labels={}, calibration=False), ids)
    assert plain["low"].isna().all()


def test_the_report_says_how_many_labels_halve_the_widest_interval(example):
    from analysis.validation.shares import labels_to_halve

    found = labels_to_halve(example)
    assert found["high"] - found["low"] > 0.05
    assert found["needed"] is not None and 0 < found["needed"] <= found["unlabelled"]
    assert labels_to_halve(example) == found
