"""The seed corpus: nothing lost, and the facts each seed must yield."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import load_corpus
from analysis.speakers.roles import roles

from conftest import SEEDS

EVENTS = ["seamate_no86", "indigo_talk", "monica_podcast", "shixiang_gpt4", "geekpark_llm"]
_WS = re.compile(r"\s+")


@pytest.mark.parametrize("event_id", EVENTS)
def test_nothing_lost(corpus, event_id):
    """raw_text of the utterances, in order, covers every non-whitespace character once."""
    event = corpus.events.set_index("event_id").loc[event_id]
    source = (SEEDS / "transcripts" / event["source_file"]).read_text(encoding="utf-8")
    rows = corpus.utterances[corpus.utterances["event_id"] == event_id].sort_values("seq")
    assert _WS.sub("", "".join(rows["raw_text"])) == _WS.sub("", source)
    lines = source.split("\n")
    for row in rows.itertuples():
        span = "\n".join(lines[row.line_start - 1:row.line_end])
        assert row.raw_text in span, row.utterance_id


def test_every_seed_is_loaded(corpus):
    # date order (Monica's 2023-Q1 sorts at the quarter's start); colours keep metadata order
    assert list(corpus.events["event_id"]) == ["monica_podcast", "indigo_talk", "shixiang_gpt4",
                                                "seamate_no86", "geekpark_llm"]
    assert list(corpus.events.sort_values("metadata_order")["event_id"]) == EVENTS
    assert corpus.events["date"].dtype.kind == "M"
    assert set(corpus.utterances["kind"]) <= {"speech", "question", "note", "meta"}


def test_frames_have_documented_columns(corpus):
    assert corpus.events.columns[0] == "event_id"
    for column in ("label", "title", "date", "date_precision", "organiser", "format", "source_file",
                   "n_utterances", "n_chars", "n_speakers"):
        assert column in corpus.events.columns
    assert list(corpus.speakers.columns[:6]) == ["speaker_id", "event_id", "name", "affiliation",
                                                 "title", "role"]
    assert list(corpus.utterances.columns) == [
        "utterance_id", "event_id", "seq", "speaker_id", "speaker", "section", "kind", "text",
        "raw_text", "n_chars", "line_start", "line_end", "speaker_confidence", "speaker_method",
        "start_s", "end_s"]


def test_ids_are_unique_consistent_and_stable(corpus):
    assert corpus.utterances["utterance_id"].is_unique
    assert corpus.speakers["speaker_id"].is_unique
    assert set(corpus.utterances["speaker_id"]) <= set(corpus.speakers["speaker_id"])
    assert set(corpus.speakers["role"]) <= set(roles(corpus.root).ids)
    again = load_corpus(SEEDS)
    pd.testing.assert_frame_equal(corpus.utterances, again.utterances)
    pd.testing.assert_frame_equal(corpus.speakers, again.speakers)


def test_counts_add_up(corpus):
    events = corpus.events.set_index("event_id")
    counts = corpus.utterances.groupby("event_id").size()
    assert events["n_utterances"].to_dict() == counts.to_dict()
    spoken = corpus.spoken().groupby("event_id")["n_chars"].sum()
    assert events["n_chars"].to_dict() == spoken.to_dict()
    assert corpus.speakers["n_utterances"].sum() == len(corpus.spoken())


def _event(corpus, event_id):
    return corpus.utterances[corpus.utterances["event_id"] == event_id]


def test_roundtable_roster_sections_and_speakers(corpus):
    speakers = corpus.speakers[corpus.speakers["event_id"] == "seamate_no86"]
    roster = speakers[~speakers["role"].isin(["editor", "audience", "unattributed"])]
    assert len(roster) == 15
    assert roster.set_index("name").loc["徐鹏", "affiliation"] == "蚂蚁集团"
    assert roster.set_index("name").loc["Catherine Yin", "title"] == "Senior Engineer"
    silent = set(roster.loc[roster["n_utterances"] == 0, "name"])
    assert silent == {"Eileen"}
    rows = _event(corpus, "seamate_no86")
    assert rows["section"].dropna().nunique() == 3
    assert rows["section"].dropna().unique()[0].startswith("1. AI 在Infra")
    questions = rows[rows["kind"] == "question"]
    assert list(questions["speaker"]) == ["编者", "听众提问", "编者", "编者"]
    assert questions.iloc[1]["text"].startswith("没有人能确定ChatGPT")
    assert not (rows["speaker"] == "未标注").any()
    first = rows[rows["speaker"] == "黄迪"].iloc[0]
    assert first["raw_text"].startswith("Waymo 黄迪") and first["text"].startswith("我同意")
    assert rows.iloc[-1]["kind"] == "meta" and "笔记整理员" in rows.iloc[-1]["text"]
    preface = rows[rows["section"].isna()]
    assert set(preface["kind"]) == {"meta", "note"}
    assert preface.loc[preface["kind"] == "note", "text"].str.contains("导语").any()


def test_unlabelled_transcripts_are_unattributed_without_attribution():
    plain = load_corpus(attribution=False, assignments=False)
    for event_id in ("indigo_talk", "monica_podcast"):
        rows = _event(plain, event_id)
        assert (rows["speaker"] == "未标注").all()
        assert (rows["kind"] == "speech").all()
    assert len(_event(plain, "indigo_talk")) == 1060


def test_asr_stream_units_have_sensible_length(corpus):
    rows = _event(corpus, "monica_podcast")
    lengths = rows["text"].str.len()
    assert lengths.max() <= 200
    assert lengths.median() >= 40
    assert len(rows) >= 20


def test_minutes_sections_notes_and_page_breaks(corpus):
    rows = _event(corpus, "shixiang_gpt4")
    sections = rows["section"].dropna().unique()
    assert [re.match(r"Q(\d+)", s)[1] for s in sections] == [str(n) for n in range(1, 12)]
    assert sections[2].endswith("还是多寡头战场？")  # heading split by a page break
    notes = " ".join(rows.loc[rows["kind"] == "note", "text"])
    for term in ("TFLOPS", "CXL", "Boot loader", "Kubernetes", "DGX", "嵌入式", "HDFS",
                 "3D 堆叠", "PRD"):
        assert term in notes, term
    assert not rows["text"].str.contains(r"\*\*").any()
    assert not rows["text"].str.contains(r"\]\(#\)").any()
    joined = rows[rows["text"].str.contains("至少集群可以提高三五倍")]
    assert len(joined) == 1 and joined.iloc[0]["line_end"] - joined.iloc[0]["line_start"] == 2
    speech = rows[rows["kind"] == "speech"]
    assert (speech["speaker"] == "匿名参与者").all()
    assert (rows.loc[rows["text"].str.match(r"Q\d+"), "kind"] == "question").all()
    sub_questions = rows[(rows["kind"] == "question") & (rows["speaker"] == "匿名参与者")]
    assert len(sub_questions) >= 15


EXPECTED_TAKEAWAYS = {
    2: "李开复", 4: "李开复", 5: "李开复", 7: "周明", 8: "李志飞", 12: "李志飞", 15: "王小川",
    16: "刘聪", 17: "张路宇", 18: "星爵", 19: "李开复", 20: "张月光", 23: "陶芳波", 24: "张勇",
    25: "张勇",
}


def test_takeaways_one_per_item_with_speakers(corpus):
    rows = _event(corpus, "geekpark_llm")
    items = rows[rows["kind"] == "speech"].reset_index(drop=True)
    assert len(items) == 25
    for number, row in enumerate(items.itertuples(), 1):
        assert row.raw_text.startswith(f"{number}、")
        assert row.speaker == EXPECTED_TAKEAWAYS.get(number, "编者"), number
    assert items.iloc[19]["line_end"] == items.iloc[19]["line_start"] + 1  # continuation line
    assert list(rows["kind"].iloc[[0, -1]]) == ["meta", "meta"]


def test_event_colours_follow_metadata_order_not_display_order(corpus):
    from analysis import charts as plots

    colours = plots.event_colors(corpus.events)
    by_metadata = corpus.events.sort_values("metadata_order")["event_id"]
    assert [colours[e] for e in by_metadata] == plots.PALETTE[:len(by_metadata)]
    by_label = plots.event_colors(corpus.events, key="label")
    assert all(by_label[l] == colours[e] for e, l in zip(corpus.events["event_id"], corpus.events["label"]))


# --- the parsed-corpus cache and the process pool (issue 18) ---------------------------------

def _frames_equal(a, b):
    import pandas as pd

    for name in ("events", "speakers", "utterances"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.sources == b.sources


def test_a_warm_load_gives_the_same_tables_and_reparses_only_what_changed(tmp_path,
                                                                           monkeypatch):
    import shutil

    from analysis import corpus as corpus_module

    project = tmp_path / "project"
    shutil.copytree(Path(__file__).parent / "fixtures" / "new_transcripts", project)
    cache = tmp_path / "cache"
    plain = load_corpus(project, cache=False)
    cold = load_corpus(project, cache=cache)
    _frames_equal(plain, cold)
    parsed = []
    real = corpus_module.load_event
    monkeypatch.setattr(corpus_module, "load_event",
                        lambda root, event, options=(True, True):
                        parsed.append(event.event_id) or real(root, event, options))
    _frames_equal(plain, load_corpus(project, cache=cache, jobs=1))
    assert parsed == []  # everything came from the cache
    transcript = project / "transcripts" / "2024-06-30_ab_dialogue.txt"
    transcript.write_text(transcript.read_text(encoding="utf-8") + "\nA: 补充一句。\n",
                          encoding="utf-8")
    changed = load_corpus(project, cache=cache, jobs=1)
    assert parsed == ["ab_dialogue"]
    assert changed.utterances["text"].str.contains("补充一句").any()


def test_a_damaged_cache_entry_is_rebuilt_never_trusted(tmp_path):
    cache = tmp_path / "cache"
    first = load_corpus(SEEDS, cache=cache)
    entries = sorted((cache / "corpus").glob("*.arrow"))
    assert len(entries) == len(first.events)
    entries[0].write_bytes(entries[0].read_bytes()[:200])          # truncated by a crash
    data = bytearray(entries[1].read_bytes())
    data[len(data) // 2] ^= 0xFF                                   # one flipped byte
    entries[1].write_bytes(bytes(data))
    entries[2].write_bytes(b"not arrow at all")
    _frames_equal(first, load_corpus(SEEDS, cache=cache))
    assert len(list((cache / "corpus").glob("*.arrow"))) == len(first.events)
    assert not list((cache / "corpus").glob(".*.tmp"))


def test_a_process_pool_gives_the_same_tables_as_one_process():
    fixture = Path(__file__).parent / "fixtures" / "new_transcripts"
    _frames_equal(load_corpus(fixture, cache=False, jobs=1),
                  load_corpus(fixture, cache=False, jobs=2))


def _load_into(cache: str, queue) -> None:
    from analysis import load_corpus as load

    corpus = load(SEEDS, cache=cache, jobs=1)
    queue.put(corpus.utterances["raw_text"].str.len().sum())


def test_two_processes_filling_one_cache_at_once_agree(tmp_path):
    """Entries are written to a temporary file and renamed, and named by their content:
    two loads racing on an empty cache leave whole entries that a third load trusts."""
    import multiprocessing as mp

    context = mp.get_context("spawn")
    queue = context.Queue()
    racers = [context.Process(target=_load_into, args=(str(tmp_path), queue))
              for _ in range(2)]
    for racer in racers:
        racer.start()
    sizes = [queue.get(timeout=300) for _ in racers]
    for racer in racers:
        racer.join()
    assert sizes[0] == sizes[1]
    entries = sorted((tmp_path / "corpus").glob("*.arrow"))
    assert len(entries) == len(load_corpus(SEEDS, cache=False).events)
    assert not list((tmp_path / "corpus").glob(".*.tmp"))
    _frames_equal(load_corpus(SEEDS, cache=False), load_corpus(SEEDS, cache=tmp_path))
