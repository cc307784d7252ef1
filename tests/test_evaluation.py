"""The unit evaluation set and its scoring: the labels still match the units, the scores are
computed as documented, the learned layer can be fitted and used."""

from __future__ import annotations


import pandas as pd
import pytest
import yaml

from analysis import load_corpus
from analysis.coding import codebook, load_codebook
from analysis.errors import TranscriptError
from analysis.validation.coding import (UNITS_EVAL, check_gold, draw_sample, fit, load_gold,
                               reader_agreement, score_stances, score_topics, tuning_items)
from conftest import ROOT, SEEDS

NEW = ROOT / "tests" / "fixtures" / "new_transcripts"


@pytest.fixture(scope="module")
def corpora():
    return {"example": load_corpus(ROOT / "seeds"), "new": load_corpus(NEW)}


def test_gold_units_exist_with_the_text_that_was_labelled(corpora):
    gold = load_gold()
    assert len(gold) == 440 and gold["unit_id"].is_unique
    assert gold.groupby("corpus").size().to_dict() == {"example": 300, "new": 140}
    assert gold.groupby(["corpus", "split"]).size().to_dict() == {
        ("example", "test"): 150, ("example", "tune"): 150, ("new", "test"): 70, ("new", "tune"): 70}
    check_gold(gold, corpora, UNITS_EVAL / "gold.yaml")  # raises if a unit changed
    # the pinned test copy of the example project holds the same texts
    check_gold(gold[gold["corpus"] == "example"], {"example": load_corpus(SEEDS)},
               UNITS_EVAL / "gold.yaml")


def test_a_changed_unit_fails_loudly(corpora):
    gold = load_gold().head(3).copy()
    gold.loc[gold.index[0], "text"] = "改过的文字"
    with pytest.raises(TranscriptError, match="no longer in its event"):
        check_gold(gold, corpora, UNITS_EVAL / "gold.yaml")


def test_gold_is_the_readers_agreement_plus_adjudication():
    def read(*names):
        out = {}
        for name in names:
            for item in yaml.safe_load((UNITS_EVAL / name).read_text(encoding="utf-8"))["items"]:
                out[item["item"]] = item
        return out

    first, second = read("labels_A1.yaml", "labels_A2.yaml"), read("labels_B1.yaml", "labels_B2.yaml")
    decided = read("adjudicated.yaml")
    for row in load_gold().itertuples():
        a, b = first[row.item], second[row.item]
        agree = set(a["topics"] or []) == set(b["topics"] or []) and \
            (a["stances"] or {}) == (b["stances"] or {})
        assert agree != (row.item in decided), row.item
        final = decided.get(row.item, a)
        assert row.topics == set(final["topics"] or []) and row.stances == (final["stances"] or {})


def test_reader_agreement_is_reported():
    summary, kappas = reader_agreement()
    assert summary["units"] == 440 and summary["disagreements"] == 69
    assert round(summary["topic_alpha"], 3) == 0.929 and round(summary["stance_alpha"], 3) == 0.916
    assert len(kappas) == 14 and kappas["kappa"].between(0.8, 1).all()


def test_topic_scores_by_hand():
    gold = pd.DataFrame([{"unit_id": "u1", "topics": {"a", "b"}, "stances": {}},
                         {"unit_id": "u2", "topics": set(), "stances": {}}])
    summary, table = score_topics(gold, {"u1": {"a"}, "u2": {"b"}}, ["a", "b"])
    assert (summary["precision"], summary["recall"]) == (0.5, 0.5)
    assert table.set_index("topic").loc["b", ["tp", "fp", "fn"]].tolist() == [0, 1, 1]


def test_stance_scores_by_hand():
    gold = pd.DataFrame([{"unit_id": "u1", "topics": set(), "stances": {"t": 1}},
                         {"unit_id": "u2", "topics": set(), "stances": {"t": -1}},
                         {"unit_id": "u3", "topics": set(), "stances": {}}])
    predicted = {("u1", "t"): 1, ("u2", "t"): 1, ("u3", "t"): -1}
    summary, confusion = score_stances(gold, predicted, ["t"])
    # +1: tp 1, fp 1 -> F1 2/3; -1: tp 0, fp 1 (a spurious row), fn 1 -> 0
    assert summary["f1_+1"] == pytest.approx(2 / 3) and summary["f1_-1"] == 0
    assert summary["macro_f1"] == pytest.approx(1 / 3)
    assert summary["coverage"] == 1.0 and summary["spurious_rate"] == pytest.approx(1 / 3)
    assert confusion.loc["none", "-1"] == 1 and confusion.loc["-1", "+1"] == 1


def test_the_sample_is_reproducible_stratified_and_within_quota(corpora):
    units = corpora["new"].units
    first = draw_sample(units, 140, seed=20261202, floor=20)
    again = draw_sample(units, 140, seed=20261202, floor=20)
    assert first["unit_id"].tolist() == again["unit_id"].tolist()
    assert len(first) == 140 and first["event_id"].nunique() == units["event_id"].nunique()
    sample = yaml.safe_load((UNITS_EVAL / "sample.yaml").read_text(encoding="utf-8"))
    drawn = {i["unit_id"] for i in sample["items"] if i["corpus"] == "new"}
    assert drawn == set(first["unit_id"])


def test_the_learned_layer_fits_on_the_tuning_half_and_is_used(tmp_path):
    import shutil

    project = tmp_path / "example"
    shutil.copytree(SEEDS, project)
    items = tuning_items()
    assert len(items) == 150 + 223  # example tuning half and extras; new transcripts unseen
    path = fit(project)
    book = load_codebook(project / "codebook" / "topics.yaml")
    assert book.model is not None and book.model.path == path
    assessed = book.assess("算力是最大的瓶颈，GPU 买不到，H100 也很贵。")
    compute = next(a for a in assessed if a[0] == "compute")
    assert 0 < compute[3] < 1 and compute[4]  # a probability, and discussed
    path.write_text("weights: {specific: 1}\nintercept: 0\nthreshold: 0.5\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match="weights"):
        load_codebook(project / "codebook" / "topics.yaml")


def test_make_evaluate_reports_both_corpora_and_halves(capsys):
    from analysis.cli import main

    assert main(["--project", str(ROOT / "seeds"), "evaluate"]) == 0
    out = capsys.readouterr().out
    for heading in ("Example corpus, tune half", "Example corpus, test half",
                    "New transcripts (never tuned on), tune half",
                    "New transcripts (never tuned on), test half"):
        assert heading in out
    assert "spurious rate" in out and "Krippendorff" in out and "stance confusion" in out


def test_test_half_scores_do_not_regress(corpora):
    """The figures measured once on the test half when the rules were settled (issue 15's
    closing note); a change that lowers them shows here. The targets (topic micro-F1 0.80,
    stance macro-F1 0.70 with spurious rate <= 0.2) are not reached: see the README."""
    from analysis.coding import codebook_fit, stance_cues
    from analysis.validation.coding import predict

    gold = load_gold()
    floors = {"example": (0.58, 0.25), "new": (0.47, None)}
    for name, corpus in corpora.items():
        part = gold[(gold["corpus"] == name) & (gold["split"] == "test")]
        fit = codebook_fit(corpus)
        book, cues = codebook(corpus.root), stance_cues(corpus.root)
        discussed, mentioned, stances = predict(part, book, cues,
                                                set(fit.loc[fit["low_fit"], "event_id"]))
        topics = score_topics(part, discussed, list(book.ids))[0]
        mentions = score_topics(part, mentioned, list(book.ids))[0]
        assert topics["micro_f1"] >= floors[name][0], (name, topics)
        assert topics["precision"] > mentions["precision"]  # salience beats keyword presence
        if floors[name][1] is not None:
            assert score_stances(part, stances, list(cues.ids))[0]["macro_f1"] >= floors[name][1]
