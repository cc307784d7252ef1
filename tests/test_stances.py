"""Stance rows a reader would sign: the stance model and its threshold, the status of every
row, the review queue and its answers as overrides, and the stance charts built on them."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import charts, load_corpus
from analysis.charts.stances import stance_counts, stance_minor_rows
from analysis.estimates.intervals import wilson_low
from analysis.coding import stance_table
from analysis.coding.stances import STANCE_FEATURES
from analysis.errors import TranscriptError
from analysis.estimates.stances import (FEATURES, choose_threshold, fit_stance_model,
                                        load_stance_model, read_stance_model, review_queue,
                                        simulate_review, stance_rows, write_stance_model)
from analysis.explorer import review_stances
from analysis.project.folder import default_codebook_dir

from conftest import SEEDS


def synthetic_rows(n: int, signal: float, seed: int = 0) -> pd.DataFrame:
    """Stance rows whose `right` depends on the cue strength by `signal`."""
    rng = np.random.default_rng(seed)
    strength = rng.uniform(0, 4, n)
    right = rng.random(n) < 1 / (1 + np.exp(-(signal * (strength - 3))))
    frame = pd.DataFrame({name: 0.0 for name in STANCE_FEATURES}, index=range(n))
    return frame.assign(unit_id=[f"e.u{i:04d}" for i in range(n)], target="t", stance=1,
                        score=strength, n_chars=100.0, right=right,
                        truth=np.where(right, 1, None))


def test_threshold_is_the_lowest_cut_reaching_the_precision():
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    right = np.array([1, 1, 1, 1, 0, 0], bool)
    assert choose_threshold(p, right, 0.8, min_kept=2) == 0.5  # 4 of 5 at 0.5
    assert choose_threshold(p, right, 0.95, min_kept=2) == 0.6
    assert choose_threshold(p, right, 0.95, min_kept=5) == 1.0  # nothing reaches it: none shown
    tied = np.array([0.9, 0.9, 0.5])
    assert choose_threshold(tied, np.array([1, 0, 1], bool), 0.9, min_kept=1) == 1.0


def test_fitted_threshold_follows_the_signal():
    strong = fit_stance_model(synthetic_rows(400, 4.0), precision=0.8, source="synthetic")
    assert strong.threshold < 1.0 and strong.tuning["precision"] >= 0.8
    assert strong.probability(synthetic_rows(50, 4.0, seed=1)).shape == (50,)
    noise = fit_stance_model(synthetic_rows(400, 0.0), precision=0.8, source="synthetic")
    assert noise.threshold == 1.0 and noise.tuning["kept"] == 0


def test_the_model_file_round_trips_and_bad_files_say_what_to_do(tmp_path):
    shipped = read_stance_model(default_codebook_dir() / "stance_model.yaml")
    assert shipped.coef.shape == (len(FEATURES) + 1,) and 0 < shipped.precision <= 1
    path = write_stance_model(shipped, tmp_path / "stance_model.yaml")
    again = read_stance_model(path)
    assert np.allclose(again.coef, shipped.coef) and again.threshold == shipped.threshold
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:-1]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(TranscriptError, match="other features"):
        read_stance_model(path)
    path.write_text("precision: lots\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match="refit"):
        read_stance_model(path)


def test_every_row_has_a_probability_and_a_status(corpus):
    rows = stance_rows(corpus)
    assert set(rows["status"]) <= {"confirmed", "automatic", "suggested"}
    assert rows["probability"].between(0, 1).all()
    assert (rows.loc[rows["source"] == "override", "status"] == "confirmed").all()
    assert (rows.loc[rows["status"] == "confirmed", "probability"] == 1).all()
    model = rows.attrs["stance_model"]
    lexicon = rows[rows["source"] == "lexicon"]
    assert ((lexicon["probability"] >= model.threshold) == (lexicon["status"] == "automatic")).all()
    # a lower threshold makes automatic rows of the likeliest suggestions, nothing else
    lower = replace(model, threshold=float(lexicon["probability"].quantile(0.8)))
    moved = stance_rows(corpus, model=lower)
    assert (moved["status"] == "automatic").sum() == (lexicon["probability"] >= lower.threshold).sum()
    assert model.validated_on


def test_the_queue_puts_decisions_that_change_charts_first(corpus):
    rows = stance_rows(corpus)
    model = rows.attrs["stance_model"]
    queue = review_queue(rows, model.threshold)
    assert set(queue["status"]) == {"suggested"}
    assert len(queue) == (rows["status"] == "suggested").sum()
    assert queue["priority"].is_monotonic_decreasing
    # a speaker without shown rows on the target weighs twice its probability
    assert np.allclose(queue["priority"], queue["probability"] / model.threshold * 2, atol=1e-3)


def test_simulated_review_confirms_flips_and_rejects():
    rows = pd.DataFrame({"unit_id": ["a", "b", "c", "d"], "target": "t", "stance": [1, 1, -1, 1],
                         "probability": [0.9, 0.5, 0.4, 0.3], "speaker_id": "s",
                         "status": ["automatic", "suggested", "suggested", "suggested"]})
    truth = {("a", "t"): 1, ("b", "t"): -1, ("d", "t"): 1, ("e", "t"): 1}
    result = simulate_review(rows, truth, threshold=0.8, answers=2)
    assert result["p_at_10"] == pytest.approx(1 / 3) and result["p_at_10_any"] == pytest.approx(2 / 3)
    # after two answers: a (automatic, right), b flipped to -1 (right), c rejected
    assert result["rows_after"] == 2 and result["precision_after"] == 1.0
    assert result["recall_after"] == 0.5


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(SEEDS, root)
    return root


def test_review_answers_are_overrides_with_who_and_when_and_undo(project):
    review = review_stances(load_corpus(project, cache=False), reviewer="tester")
    review.clock = lambda: "2026-01-02T03:04:05Z"
    first = review.current()
    assert first["quote"] and first["question"] and first["text"]
    assert first["before"] or first["after"]
    entry = review.answer("confirm")
    assert entry | {"snippet": None} == {"event_id": first["event_id"], "snippet": None,
                                         "target": first["target"], "stance": first["stance"],
                                         "note": "review: confirm", "by": "tester",
                                         "at": "2026-01-02T03:04:05Z"}
    second = review.current()
    review.answer("reject")
    third = review.current()
    review.answer("neutral" if third["stance"] else "confirm")
    assert review.answered == 3 and review.progress.startswith("3 answered")
    corpus = load_corpus(project, cache=False)
    rows = stance_rows(corpus)
    keyed = rows.set_index(["unit_id", "target"])
    assert keyed.loc[(first["unit_id"], first["target"]), "status"] == "confirmed"
    assert (second["unit_id"], second["target"]) not in keyed.index  # rejected: gone
    # a new session never shows the decided rows again
    again = review_stances(corpus, reviewer="tester")
    asked = {(r["unit_id"], r["target"]) for r in again.queue}
    assert not asked & {(u["unit_id"], u["target"]) for u in (first, second, third)}
    # undo takes the last answer back, from the file too
    assert review.undo()["unit_id"] == third["unit_id"]
    text = (project / "overrides.yaml").read_text(encoding="utf-8")
    assert text.count('"by": "tester"') == 2
    skipped = review.skip()
    assert skipped["unit_id"] == third["unit_id"] and review.undo()["unit_id"] == third["unit_id"]
    with pytest.raises(ValueError, match="one of"):
        review.answer("maybe")


def test_flipping_a_mixed_row_is_refused(project):
    review = review_stances(load_corpus(project, cache=False))
    while review.current() is not None and review.current()["stance"] != 0:
        review.skip()
    if review.current() is None:
        pytest.skip("no mixed suggestion in the example")
    with pytest.raises(ValueError, match="no opposite"):
        review.answer("flip")


def test_the_review_widget_answers_by_key(project):
    review = review_stances(load_corpus(project, cache=False), reviewer="keys")
    widget = review.widget()
    assert "review-view" in widget.box._dom_classes
    first = review.current()
    assert first["unit_id"] in widget.unit.value
    widget.key({"key": "Enter", "ctrlKey": True})  # with Ctrl: nothing
    assert review.answered == 0
    widget.key({"key": "Enter"})
    assert review.answered == 1 and "已记录" in widget.progress.value
    widget.key({"key": "x"})
    widget.key({"key": "ArrowRight"})
    assert review.answered == 2
    widget.key({"key": "Backspace"})  # the skip
    widget.key({"key": "Backspace"})  # the reject
    assert review.answered == 1
    assert (project / "overrides.yaml").read_text(encoding="utf-8").count('"by": "keys"') == 1


def confirm(project, body: str) -> None:
    with (project / "overrides.yaml").open("a", encoding="utf-8") as out:
        out.write(body)


def test_charts_draw_confirmed_rows_and_list_small_groups(project):
    corpus = load_corpus(project, cache=False)
    rows = stance_rows(corpus)
    # confirm three rows of one person on one target (the lexicon's own values)
    table = charts.Context(corpus).speakers
    person = pd.Series(table.index[table["is_person"]])
    lexicon = rows[rows["speaker_id"].isin(person) & (rows["source"] == "lexicon")
                   & (rows["stance"] != 0)]
    group = lexicon.groupby(["speaker_id", "target"]).size()
    speaker, target = group[group >= 3].index[0]
    chosen = lexicon[(lexicon["speaker_id"] == speaker) & (lexicon["target"] == target)].head(3)
    from analysis.coding.overrides import write_override

    for row in chosen.itertuples():
        write_override(corpus, row.unit_id, target=target, stance=int(row.stance), note="test")
    ctx = charts.Context(load_corpus(project, cache=False))
    counts = stance_counts(ctx, "speaker_id")
    mine = counts[(counts["group"] == speaker) & (counts["target"] == target)].iloc[0]
    assert mine["drawn"] and mine["n"] == 3
    assert mine["c_pro"] + mine["c_con"] + mine["c_neutral"] == 3
    shown = ctx.stance_rows[ctx.stance_rows["status"] != "suggested"]
    assert counts["n"].sum() == shown["speaker_id"].isin(person).sum()
    minor = stance_minor_rows(ctx, "speaker_id")
    assert (minor["status"] != "suggested").all()
    small = counts[~counts["drawn"]]
    assert len(minor) == small["n"].sum()
    chart = charts.render("04_stances_by_speaker", ctx)
    values = chosen["stance"].tolist()
    # 3 of 3 one way holds at the Wilson lower bound, but 3 passages are fewer than a finding
    # needs (FINDING_MIN_UNITS): the title names no stance
    assert not chart.finding
    for row in chosen.itertuples():  # the notes list every sentence behind the chart
        assert row.unit_id in chart.notes
    assert any("实心：已确认" in t.get_text() for t in chart.fig.texts)


def test_a_title_needs_a_majority_at_the_lower_bound():
    assert wilson_low(3, 3) > 0.5 and wilson_low(2, 3) < 0.5 and wilson_low(0, 0) == 0.0
    assert wilson_low(8, 10) > 0.5 > wilson_low(6, 10)


def test_no_automatic_rows_means_no_bars_but_a_table(corpus):
    ctx = charts.Context(corpus)
    chart = charts.render("04_stances_by_event", ctx)
    shown = ctx.stance_rows[ctx.stance_rows["status"] != "suggested"]
    if shown.groupby(["event_id", "target"]).size().max() < 3:
        assert not chart.finding


def test_stance_lines_report_every_half_and_the_queue(corpus):
    from analysis.validation.stances import stance_lines
    from analysis.validation.coding import UNITS_EVAL

    new = load_corpus(SEEDS.parents[0] / "new_transcripts")
    text = "\n".join(stance_lines({"example": corpus, "new": new}, UNITS_EVAL))
    for needle in ("example, tune half", "example, test half", "new, test half",
                   "precision", "spurious rate", "p@10", "p@30", "after 30 answers: recall"):
        assert needle in text
    assert stance_table is not None


def test_quotes_of_rows_are_the_transcripts_words(corpus):
    rows = stance_rows(corpus)
    texts = dict(zip(corpus.units["unit_id"], corpus.units["text"]))
    from analysis.coding.words import verbatim_quote

    rows = rows.assign(quote=[verbatim_quote(texts[u], q) if s == "suggested" else q
                              for u, q, s in zip(rows["unit_id"], rows["quote"], rows["status"])])
    for row in rows.itertuples():
        assert row.quote.strip("…").replace(" ", "") in texts[row.unit_id].replace(" ", ""), row
