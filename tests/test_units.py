"""Analysis units: turns packed into pieces of comparable size, every spoken utterance in
exactly one of them; topics discussed versus mentioned; stances only where stated."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis import load_corpus, stance_table, topic_table
from analysis.coding import analysis_text, codebook, load_stance_cues
from analysis.units import MAX_CHARS, MIN_CHARS, build_units
from conftest import FINANCE, SEEDS


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(SEEDS)


def test_every_spoken_utterance_is_in_exactly_one_unit(corpus):
    for project in (corpus, load_corpus(FINANCE)):
        units = project.units
        members = units["utterance_ids"].str.split().explode()
        assert members.is_unique
        assert set(members) == set(project.spoken()["utterance_id"])
        assert units["unit_id"].is_unique
        texts = project.utterances.set_index("utterance_id")["text"]
        for row in units.head(50).itertuples():
            assert row.text == " ".join(t for t in texts[row.utterance_ids.split()] if t)


def test_a_unit_never_crosses_a_speaker_a_kind_or_a_section(corpus):
    info = corpus.utterances.set_index("utterance_id")
    for row in corpus.units.itertuples():
        ids = row.utterance_ids.split()
        part = info.loc[ids]
        assert part["speaker_id"].nunique() == 1 and part["kind"].nunique() == 1
        assert part["section"].fillna("").nunique() == 1
        assert list(part["seq"]) == list(range(part["seq"].iloc[0], part["seq"].iloc[0] + len(ids)))
        if len(ids) > 1:
            assert row.n_chars <= MAX_CHARS


def test_units_are_of_comparable_size_across_formats(corpus):
    """Utterance medians differ sevenfold (ASR lines of 22 characters, paragraphs of 160);
    unit medians stay within a factor of two."""
    utterances = corpus.spoken().groupby("event_id")["n_chars"].median()
    units = corpus.units.groupby("event_id")["n_chars"].median()
    assert utterances.max() / utterances.min() > 6
    assert units.max() / units.min() < 2
    assert units.min() >= 0.8 * MIN_CHARS * 0.9


def test_packing_rules_on_a_small_stream():
    rows = []
    for seq, (speaker, text) in enumerate([("a", "第一句话" * 10), ("a", "第二句话" * 10 + "，"),
                                           ("a", "第三句话" * 10), ("a", "第四句话" * 40),
                                           ("b", "回答" * 5)], 1):
        rows.append({"utterance_id": f"e.{seq:04d}", "event_id": "e", "seq": seq,
                     "speaker_id": speaker, "speaker": speaker, "section": None, "kind": "speech",
                     "text": text, "n_chars": len(text), "line_start": seq, "line_end": seq,
                     "start_s": None, "end_s": None, "speaker_method": "label"})
    units = build_units(pd.DataFrame(rows))
    # 40 + 41 chars stay together (the second ends mid-sentence with a comma), the third
    # closes the unit at 121; 160 alone; the other speaker's turn is its own unit
    assert units["utterance_ids"].tolist() == ["e.0001 e.0002 e.0003", "e.0004", "e.0005"]


def test_a_passing_word_is_a_mention_not_a_topic():
    book = codebook(SEEDS)
    text = analysis_text("这个成本我们后面再说。")
    assert "compute" not in book.code(text)
    assert book.mentions(analysis_text("算力的成本太高了，GPU 也买不到。"))["compute"][1] >= 2


def test_mentions_table_holds_the_evidence_topics_the_decisions(corpus):
    topics = topic_table(corpus)
    mentions = topic_table(corpus, mentions=True)
    assert set(mentions.columns) == set(topics.columns) | {"discussed"}
    kept = mentions[mentions["discussed"]].drop(columns="discussed").reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, topics)
    assert (~mentions["discussed"]).sum() > 100  # many passing mentions are not topics
    assert topics["salience"].notna().all()


@pytest.mark.parametrize("text", [
    "开源模型会赢吗？",                         # a question states no position
    "如果开源模型追上来，闭源就危险了。",          # a hypothetical
    "他说开源模型一定会赢。",                     # someone else's words
    "开源很热闹。这个东西非常好用。",               # the cue is in another sentence
])
def test_no_stance_where_none_is_stated(text):
    rows = {r["target"] for r in load_stance_cues(SEEDS / "codebook" / "stances.yaml")
            .score(analysis_text(text))}
    assert "open_source" not in rows, text


def test_a_stated_stance_keeps_its_clause():
    rows = {r["target"]: r for r in load_stance_cues(SEEDS / "codebook" / "stances.yaml")
            .score(analysis_text("我觉得开源模型会越来越好。"))}
    assert rows["open_source"]["stance"] == 1
    assert "开源模型会越来越好" in rows["open_source"]["evidence"]


def test_low_fit_events_get_no_stances(tmp_path):
    """A finance episode added to the AI project is low-fit: no AI stances are read in it."""
    import shutil

    from analysis.coding import codebook_fit

    project = tmp_path / "mixed"
    shutil.copytree(SEEDS, project)
    for path in (FINANCE / "transcripts").glob("*.txt"):
        shutil.copy(path, project / "transcripts" / path.name)
    events = (FINANCE / "events.yaml").read_text(encoding="utf-8").split("events:", 1)[1]
    entries = [e for e in events.split("\n  - ") if ".txt" in e]
    with (project / "events.yaml").open("a", encoding="utf-8") as f:
        for entry in entries:
            f.write("\n  - " + re.sub(r"role: \w+", "role: unknown", entry.strip("\n")) + "\n")
    corpus = load_corpus(project)
    low = set(codebook_fit(corpus).query("low_fit")["event_id"])
    assert low and low <= {"e101_rate_cut_equities", "e102_bond_rally"}
    assert not set(stance_table(corpus)["event_id"]) & low
    assert set(stance_table(corpus, include_low_fit=True)["event_id"]) & low


def test_units_built_with_each_event_equal_units_built_from_the_corpus(tmp_path):
    from analysis import load_corpus
    from conftest import SEEDS

    for cache in (False, tmp_path, tmp_path):  # no cache, filling it, from it
        corpus = load_corpus(SEEDS, cache=cache)
        pd.testing.assert_frame_equal(corpus.units, build_units(corpus.utterances))
