"""Topic coding and stance scoring: codebook validation, tables, evidence, overrides, accuracy."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

import analysis
from analysis.coding import (analysis_text, codebook, load_codebook, load_overrides,
                             load_stance_cues, split_clauses, stance_cues, stance_table,
                             topic_table)
from analysis.errors import TranscriptError
from analysis.coding.stances import STANCE_FEATURES
from analysis.coding.words import whole_quote

DATA = Path(analysis.__file__).parent / "data" / "codebook"
EXAMPLE = Path(__file__).parent / "fixtures" / "example"
TOPICS = codebook(EXAMPLE).ids
TARGETS = stance_cues(EXAMPLE).ids


@pytest.fixture(scope="module")
def topics(corpus):
    return topic_table(corpus)


@pytest.fixture(scope="module")
def stances(corpus):
    return stance_table(corpus)


def test_shipped_codebook_is_the_example_projects_and_has_the_taxonomy_ids():
    book = load_codebook(DATA / "topics.yaml")
    assert book.ids == ("compute", "models", "data", "open_source", "applications", "business",
                        "geopolitics", "talent", "investment", "big_tech", "safety", "agi",
                        "infra", "society")
    assert all(t.zh and t.en and t.keywords for t in book.topics)
    assert len(set(book.colors().values())) == len(book.ids)  # explicit, distinct colours
    for name in ("topics.yaml", "stances.yaml", "roles.yaml", "sentiment.yaml"):
        assert (EXAMPLE / "codebook" / name).read_bytes() == (DATA / name).read_bytes()


@pytest.mark.parametrize("edit, problem", [
    (lambda s: s.replace("  compute:\n", "  Chips:\n", 1), "'Chips' is not a snake_case id"),
    (lambda s: s.replace('    color: "#1f77b4"\n', '    color: blue\n', 1), "is not #rrggbb"),
    (lambda s: s.replace("keywords: [算力,", "keywords: [/算力(/,", 1), "bad pattern"),
    (lambda s: s.replace("    zh: 算力与芯片\n", "", 1), "needs `zh` and `en`"),
])
def test_bad_codebook_is_reported_with_file_and_line(tmp_path, edit, problem):
    path = tmp_path / "topics.yaml"
    path.write_text(edit((DATA / "topics.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(TranscriptError) as caught:
        load_codebook(path)
    assert problem in str(caught.value) and str(path) in str(caught.value)


def test_empty_keyword_list_is_refused(tmp_path):
    path = tmp_path / "topics.yaml"
    text = (DATA / "topics.yaml").read_text(encoding="utf-8")
    start = text.index("    keywords: [", text.index("  data:"))
    end = text.index("]", start)
    path.write_text(text[:start] + "    keywords: [" + text[end:], encoding="utf-8")
    with pytest.raises(TranscriptError, match="data.keywords must be a non-empty list"):
        load_codebook(path)


def test_stance_cues_validate_targets_and_sides(tmp_path):
    cues = load_stance_cues(DATA / "stances.yaml")
    assert cues.ids == ("china_catch_up", "open_source", "vertical_models",
                        "startup_opportunity", "llm_reasoning", "compute_bottleneck")
    text = (DATA / "stances.yaml").read_text(encoding="utf-8")
    shutil.copy(DATA / "sentiment.yaml", tmp_path / "sentiment.yaml")
    bad = tmp_path / "stances.yaml"
    bad.write_text(text.replace("  llm_reasoning:", "  LLM-reasoning:"), encoding="utf-8")
    with pytest.raises(TranscriptError, match="'LLM-reasoning' is not a snake_case id"):
        load_stance_cues(bad)
    bad.write_text(text.replace("    zh: 大模型会推理\n", ""), encoding="utf-8")
    with pytest.raises(TranscriptError, match="needs `zh` and `en`"):
        load_stance_cues(bad)
    bad.write_text(text.replace("pro: [短缺,", "pro: [下降, 短缺,"), encoding="utf-8")
    with pytest.raises(TranscriptError, match="'下降' is both pro and con"):
        load_stance_cues(bad)


def test_topic_table_columns_evidence_and_defaults(corpus, topics):
    assert list(topics.columns) == ["unit_id", "event_id", "speaker_id", "topic", "salience",
                                    "hits", "matched", "source"]
    assert set(topics["topic"]) <= set(TOPICS)
    kinds = corpus.units.set_index("unit_id")["kind"]
    assert set(topics["unit_id"].map(kinds)) <= {"speech", "question"}
    with_notes = topic_table(corpus, include_notes=True)
    assert len(with_notes) > len(topics)
    # every matched word really is in the unit's analysis text
    texts = corpus.units.set_index("unit_id")["text"]
    for row in topics[topics["source"] == "lexicon"].sample(200, random_state=1).itertuples():
        text = analysis_text(texts[row.unit_id]).lower()
        assert all(word.lower() in text for word in row.matched.split("、")), row


def test_topics_follow_aliases():
    book = load_codebook()
    coded = book.code(analysis_text("open eye 和 Google 的竞争格局"))
    assert "big_tech" in coded and "OpenAI" in coded["big_tech"]


def test_exclusions_block_keywords():
    book = load_codebook()
    assert "data" not in book.code(analysis_text("向量数据库和数据库的选型"))
    assert "data" in book.code(analysis_text("训练数据的质量最重要"))


def test_frequencies_are_normalised(corpus, topics):
    freq = analysis.topic_frequencies(corpus, "event_id", topics=topics)
    assert len(freq) == len(corpus.events) * len(TOPICS)
    assert freq["share_units"].between(0, 1).all() and freq["share_chars"].between(0, 1).all()
    units = corpus.units.set_index("unit_id")
    for row in freq[freq["n_units"] > 0].head(5).itertuples():
        carrying = topics[(topics["event_id"] == row.event_id) & (topics["topic"] == row.topic)]
        said = units.loc[carrying["unit_id"], "n_chars"].sum()
        assert row.share_chars == round(said / row.group_chars, 4)
        assert row.per_10k_chars == round(row.n_units / row.group_chars * 10_000, 2)
    by_role = analysis.topic_frequencies(corpus, "role", topics=topics)
    assert "investor" in set(by_role["role"])


def test_representative_quotes(corpus, topics):
    quotes = analysis.topic_quotes(corpus, topics=topics, n=3)
    assert quotes.groupby("topic").size().max() <= 3
    assert set(quotes["topic"]) == set(topics["topic"])


@pytest.mark.parametrize("text, target, expected", [
    ("算力是最大的瓶颈，我们买不到卡。", "compute_bottleneck", 1),
    ("算力越来越便宜，成本下降很快。", "compute_bottleneck", -1),
    ("算力并不是瓶颈。", "compute_bottleneck", -1),                 # negated cue
    ("开源模型会越来越好，开源社区非常活跃。", "open_source", 1),
    ("大模型时代开源是个伪命题。", "open_source", -1),
    ("开源模型是个伪命题吗？", "open_source", None),                 # a question: no stance
    ("国内的大模型落后两三年，差距很大。", "china_catch_up", -1),
])
def test_stance_cues_negation_and_questions(text, target, expected):
    rows = {r["target"]: r for r in load_stance_cues().score(analysis_text(text))}
    if expected is None:
        assert target not in rows
    else:
        assert rows[target]["stance"] == expected, rows[target]


def test_stance_table_columns_and_evidence(stances):
    assert list(stances.columns) == ["unit_id", "event_id", "speaker_id", "target",
                                     "stance", "score", "cue", "evidence", "source", "quote",
                                     "lexicon_stance", *STANCE_FEATURES]
    assert set(stances["stance"]) <= {-1, 0, 1}
    assert set(stances["target"]) <= set(TARGETS)
    lexicon = stances[stances["source"] == "lexicon"]
    assert (lexicon["cue"].str.len() > 0).all() and (lexicon["evidence"].str.len() > 0).all()
    assert (lexicon["lexicon_stance"] == lexicon["stance"]).all()
    texts = dict(zip(analysis.load_corpus(EXAMPLE).units["unit_id"],
                     analysis.load_corpus(EXAMPLE).units["text"]))
    for row in stances.itertuples():  # a quote is whole sentences of its unit, or a clause group
        body = row.quote.strip("…")
        assert body and body in analysis_text(texts[row.unit_id]), row


def test_whole_quote_keeps_sentences_whole():
    text = "前面一句。我觉得开源模型一定会追上闭源的，因为社区很大。后面一句？"
    (clause,) = [c for c in split_clauses(text) if "开源" in c]
    assert whole_quote(text, clause) == "我觉得开源模型一定会追上闭源的，因为社区很大。"
    long = "我们聊聊这个，" * 8 + "开源一定会赢，" + "大家都这么看，" * 8 + "对吧。"
    quote = whole_quote(long, long, limit=30, anchor="一定会赢")
    assert "开源一定会赢" in quote and quote.startswith("…") and quote.endswith("…")
    assert all(part in long for part in quote.strip("…").split("，") if part)
    assert whole_quote("没有标点 的 语音 识别", "语音 识别") == "语音 识别"


def test_clauses_split_punctuated_and_asr_text():
    assert split_clauses("第一句。第二句！第三句") == ["第一句。", "第二句！", "第三句"]
    asr = "我觉得 这个 算力 其实 是一个 很大的问题 然后 我们 也在 看 这个 成本 的问题"
    assert all(len(c) >= 20 for c in split_clauses(asr)[:-1])


def write_overrides(root: Path, body: str) -> Path:
    path = root / "overrides.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_overrides_win_and_are_marked(corpus, tmp_path):
    path = write_overrides(tmp_path, """\
        overrides:
          - {event_id: geekpark_llm, snippet: "算力短缺是个长期", target: compute_bottleneck,
             stance: -1, note: test}
          - {event_id: geekpark_llm, snippet: "算力短缺是个长期", topic: safety, note: test}
          - {event_id: geekpark_llm, snippet: "算力短缺是个长期", topic: compute, remove: true}
        """)
    plain = stance_table(corpus, overrides=False)
    fixed = stance_table(corpus, overrides=path)
    units = corpus.units
    (unit,) = units.loc[units["text"].str.contains("算力短缺是个长期"), "unit_id"]
    key = (fixed["unit_id"] == unit) & (fixed["target"] == "compute_bottleneck")
    assert fixed.loc[key, ["stance", "source"]].values.tolist() == [[-1, "override"]]
    before = plain[(plain["unit_id"] == unit) & (plain["target"] == "compute_bottleneck")]
    assert before["source"].item() == "lexicon"
    topics = topic_table(corpus, overrides=path)
    mine = topics[topics["unit_id"] == unit]
    assert "compute" not in set(mine["topic"])
    assert mine.loc[mine["topic"] == "safety", "source"].item() == "override"


@pytest.mark.parametrize("body, problem", [
    ('overrides:\n  - {event_id: geekpark_llm, snippet: "大模型", target: open_source, stance: 1}\n',
     "matches"),
    ('overrides:\n  - {event_id: nowhere, snippet: "算力短缺", target: open_source, stance: 1}\n',
     "unknown event_id"),
    ('overrides:\n  - {event_id: geekpark_llm, snippet: "算力短缺", target: moon, stance: 1}\n',
     "unknown target"),
    ('overrides:\n  - {event_id: geekpark_llm, snippet: "算力短缺", target: open_source, stance: 5}\n',
     "is not -1, 0, 1"),
])
def test_bad_overrides_are_reported(corpus, tmp_path, body, problem):
    path = write_overrides(tmp_path, body)
    with pytest.raises(TranscriptError) as caught:
        load_overrides(corpus, path)
    assert problem in str(caught.value) and f"{path}:2" in str(caught.value)


def test_project_overrides_resolve(corpus):
    fixes = load_overrides(corpus)
    assert fixes.stances


def test_stance_summary_has_evidence(corpus, stances):
    summary = analysis.stance_summary(corpus, "speaker_id", stances=stances)
    assert summary["mean_stance"].between(-1, 1).all()
    assert (summary["n_units"] == summary[["n_pro", "n_neutral", "n_con"]].sum(axis=1)).all()
    assert summary["evidence"].str.startswith("[").all()


def test_each_clause_is_scored_once():
    rows = {r["target"]: r for r in load_stance_cues().score(
        analysis_text("开源模型会落后。开源模型很便宜。开源模型好用。"))}
    row = rows["open_source"]
    assert row["score"] == 1.0 and row["stance"] == 0  # -1 +1 +1, both sides: mixed
    assert row["evidence"].count("开源模型好用") == 1 and "落后" in row["evidence"]


def test_code_text_gives_topics_and_stances_with_their_evidence():
    import analysis

    coded = analysis.code_text("我觉得开源模型一定会追上 GPT-4，算力和芯片还是最大的瓶颈")
    topics = coded.topics.set_index("topic")
    assert {"open_source", "compute"} <= set(topics.index)
    assert topics.loc["compute", "discussed"] and "算力" in topics.loc["compute", "matched"]
    assert list(coded.stances.columns) == ["target", "name", "stance", "score", "cue",
                                           "evidence"]
    assert (coded.stances["cue"].str.len() > 0).all()
    nothing = analysis.code_text("今天天气不错")
    assert nothing.topics.empty and nothing.stances.empty
    assert "topics: none" in repr(nothing)


def test_one_pass_matching_finds_what_the_regexes_find():
    """The Aho-Corasick scanner must return exactly the matches of each word list's regex
    (leftmost-first, longest word first, Latin words whole, case ignored), on every unit of
    the example and the new-transcripts projects and on made-up texts with edge cases."""
    from analysis.coding import analysis_text, codebook
    from analysis.text.matching import Scanner
    from analysis import load_corpus
    from conftest import ROOT, SEEDS

    for root in (SEEDS, ROOT / "tests" / "fixtures" / "new_transcripts"):
        corpus = load_corpus(root)
        book = codebook(corpus.root)
        for text in corpus.units["text"]:
            prepared = analysis_text(text)
            reference = {}
            for topic in book.topics:
                words, score = topic.matches(prepared)
                if score >= 1:
                    reference[topic.id] = (words, score)
            assert book.mentions(prepared) == reference, text[:60]
    from analysis.coding.words import _word_pattern

    words = ["GPT", "GPT-4", "gpt-4o", "AI", "大模型", "模型", "开源模型", "A100", "算力"]
    scanner = Scanner([words], [_word_pattern(words, Path("x"), "x")])
    for text in ["GPT-4o和gpt-4都是大模型", "OpenAI的AI芯片A1000不是A100", "xAI 与 AI、AIGC",
                 "开源模型模型大模型", "用GPT4还是GPT-4？", "ＧＰＴ全角", "İstanbul AI"]:
        expected = [(m.start(), m.end(), m.group())
                    for m in scanner.patterns[0].finditer(text)]
        assert scanner.scan(text).get(0, []) == expected, text


def test_coding_on_two_processes_gives_the_same_tables(monkeypatch):
    import importlib

    import pandas as pd

    from analysis import load_corpus
    from analysis.coding import stance_table, topic_table
    from conftest import SEEDS

    workers = importlib.import_module("analysis.scale.pool")
    monkeypatch.setattr(workers, "POOL_MIN_UNITS", 10)  # the example is small: pool anyway
    one = load_corpus(SEEDS)
    two = load_corpus(SEEDS)
    pd.testing.assert_frame_equal(topic_table(one, jobs=1, mentions=True),
                                  topic_table(two, jobs=2, mentions=True))
    pd.testing.assert_frame_equal(stance_table(one, jobs=1), stance_table(two, jobs=2))
    # stances first: the topic pass then reads the texts the stance pass prepared
    three = load_corpus(SEEDS)
    pd.testing.assert_frame_equal(stance_table(one, jobs=1), stance_table(three, jobs=2))
    pd.testing.assert_frame_equal(topic_table(one, jobs=1, mentions=True),
                                  topic_table(three, jobs=2, mentions=True))


def test_quotes_are_in_the_words_of_the_transcript():
    from analysis.coding.words import verbatim_quote

    text = "我觉得阿里和微软都很强，但是安卓当年也是这样。大语言模型会推理吗？"
    read = analysis_text(text)
    assert "Microsoft" in read  # the coder reads canonical names...
    (clause,) = [c for c in split_clauses(read) if "Microsoft" in c]
    assert verbatim_quote(text, whole_quote(read, clause)) == "我觉得阿里和微软都很强，但是安卓当年也是这样。"
    asr = "嗯 我觉得 这个 大语言模型 其实 呃 还是 不行 的 对吧 然后 我们 再 看看 别的"
    quote = verbatim_quote(asr, "大模型 其实")  # ...the quote says what was said
    assert "大语言模型" in quote and quote.strip("…").replace(" ", "") in asr.replace(" ", "")
