"""Bring-your-own formats: generic parsers on realistic samples, auto-detection, inspect
and add, hostile input, and property-based round trips that never lose a character."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import load_corpus
from analysis.cli import main
from analysis.ingest.pipeline import check_units
from analysis.errors import TranscriptError
from analysis.project.metadata import EventMeta, Participant
from analysis.ingest.parsers import PARSERS
from analysis.ingest.parsers.detect import detect
from analysis.ingest.sources import Source, read_source

SAMPLES = Path(__file__).parent / "samples"
SEEDS = Path(__file__).parent / "fixtures" / "example" / "transcripts"
EXPECTED = {"labelled_colon.txt": "labelled_lines", "labelled_bold.md": "labelled_lines",
            "timestamped_meeting.txt": "timestamped", "timestamped_speaker.txt": "timestamped",
            "subtitles.srt": "subtitles", "subtitles.vtt": "subtitles",
            "paragraphs.txt": "paragraphs"}
SEED_PARSERS = {"2023-08-13_seamate_no86_ai_infra_roundtable.txt": "roundtable_notes",
                "2023-03_indigo_talk_li_houming_podcast.txt": "line_fragments",
                "2023-q1_monica_podcast_asr_fragment.txt": "asr_stream",
                "2023-03-19_shixiang_openai_gpt4_minutes.txt": "meeting_minutes",
                "2023-08-23_geekpark_llm_takeaways.txt": "takeaway_list"}


def event(parser="auto", participants=()):
    import pandas as pd

    return EventMeta(event_id="sample", title="t", date=pd.Timestamp("2023-01-01"),
                     date_precision="day", organiser="o", format="f", file="f", parser=parser,
                     participants=tuple(participants))


def parse(path: Path, parser: str | None = None, participants=()):
    source = read_source(path)
    chosen = parser or detect(source.text).parser
    result = PARSERS[chosen](source, event(chosen, participants))
    check_units(source, result)
    return result


@pytest.mark.parametrize("name, parser", sorted(EXPECTED.items()) + sorted(SEED_PARSERS.items()))
def test_auto_detection_picks_the_right_parser(name, parser):
    path = SAMPLES / name if (SAMPLES / name).exists() else SEEDS / name
    found = detect(read_source(path).text)
    assert found.parser == parser, found
    assert 0 < found.confidence <= 1 and found.reason


def test_labelled_lines_with_continuations_and_label_only_line():
    result = parse(SAMPLES / "labelled_colon.txt")
    speakers = [u.speaker for u in result.units]
    assert speakers[0] == "unattributed" and result.units[0].kind == "meta"  # the title block
    assert {"roster:主持人", "roster:王明", "roster:Lisa"} <= set(speakers)
    wang = [u for u in result.units if u.speaker == "roster:王明"]
    assert "我们自己也在想办法提高单卡的利用率" in wang[1].text  # continuation lines joined
    host = [u for u in result.units if u.speaker == "roster:主持人"]
    assert host[2].text.startswith("那开源模型呢")  # `主持人：` alone on its line
    assert "注意：很多垂直场景" in wang[2].text  # a colon inside speech is not a label
    bold = parse(SAMPLES / "labelled_bold.md")
    assert [u.speaker for u in bold.units[1:4]] == ["roster:主持人", "roster:张三", "roster:李四"]


def test_labels_map_to_participants_through_aliases():
    li = Participant(id="li_houming", name="李厚明", aliases=("说话人 1",))
    result = parse(SAMPLES / "timestamped_meeting.txt", participants=[li])
    speakers = [u.speaker for u in result.units if u.kind == "speech"]
    assert speakers[0] == "li_houming" and "roster:说话人 2" in speakers


def test_timestamps_become_seconds():
    units = [u for u in parse(SAMPLES / "timestamped_speaker.txt").units]
    assert [u.start_s for u in units] == [3723.0, 3760.0, 3785.0, 3810.0]
    assert units[0].end_s == 3760.0 and units[-1].end_s is None
    assert units[2].speaker == "roster:Speaker 1"


def test_subtitle_cues_merge_and_keep_times():
    srt = parse(SAMPLES / "subtitles.srt").units
    assert [u.speaker for u in srt] == ["roster:主持人", "roster:王明", "roster:主持人", "roster:王明"]
    assert (srt[0].start_s, srt[0].end_s) == (1.0, 6.0)
    assert srt[1].text == "我觉得应用层的机会还远远没有被挖掘出来。"  # a turn, CJK joined
    vtt = parse(SAMPLES / "subtitles.vtt").units
    assert [u.kind for u in vtt[:2]] == ["meta", "note"]
    assert vtt[3].speaker == "roster:Lisa" and "why they matter" in vtt[3].text
    # a cue without a voice tag continues the turn before it (labels on change)
    assert vtt[-1].speaker == "roster:主持人" and vtt[-1].start_s == 14.5
    assert vtt[-1].text == "开源模型能追上闭源吗？没有说话人标签的字幕也要保留下来"


def test_paragraphs_are_unattributed_utterances():
    units = parse(SAMPLES / "paragraphs.txt").units
    assert len(units) == 3 and {u.speaker for u in units} == {"unattributed"}


def test_auto_parser_in_metadata_and_timestamp_columns(make_seeds):
    root = make_seeds("""\
        events:
          - event_id: weekly
            title: 周会
            date: 2023-08-30
            organiser: us
            format: meeting export
            file: meeting.txt
            parser: auto
            participants:
              - {id: li_houming, name: 李厚明, aliases: [说话人 1]}
        """, {"meeting.txt": (SAMPLES / "timestamped_meeting.txt").read_bytes()})
    corpus = load_corpus(root)
    assert corpus.events["parser"].item() == "timestamped"
    assert corpus.events["parser_detection"].item().startswith("timestamped (confidence")
    u = corpus.utterances
    assert u.loc[u["speaker_id"] == "weekly.li_houming", "start_s"].tolist() == [5.0, 63.0]
    assert u["start_s"].isna().sum() == 1  # the export's header line


@pytest.mark.parametrize("name, problem, line", [
    ("timestamped", "is earlier than the one before it", 3),
    ("subtitles", "is earlier than the cue before it", 6),
])
def test_timestamps_out_of_order_are_refused(tmp_path, name, problem, line):
    text = {"timestamped": "张三 00:01:00\n你好\n李四 00:00:30\n再见\n",
            "subtitles": "1\n00:00:05,000 --> 00:00:06,000\n你好\n\n2\n00:00:01,000 --> "
                         "00:00:02,000\n再见\n"}[name]
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TranscriptError) as caught:
        parse(path, name)
    assert problem in str(caught.value) and f"bad.txt:{line}:" in str(caught.value)


def test_mixed_line_endings(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes("主持人：第一行\r\n王明：第二行\r继续\n主持人：第三行\n王明：完".encode("utf-8"))
    units = parse(path, "labelled_lines").units
    assert [u.text for u in units] == ["第一行", "第二行 继续", "第三行", "完"]


def test_a_50_mb_single_line_file_is_handled_in_linear_time(tmp_path):
    sentence = "大模型的竞争已经从参数规模转向数据和工程能力，谁能拿到高质量的数据谁就能跑出来。"
    small, big = tmp_path / "small.txt", tmp_path / "big.txt"
    small.write_text(sentence * 20_000, encoding="utf-8")
    big.write_text(sentence * 400_000, encoding="utf-8")  # about 50 MB
    assert big.stat().st_size > 45_000_000
    timings = []
    for path in (small, big):
        started = time.perf_counter()
        source = read_source(path)
        found = detect(source.text)
        check_units(source, PARSERS[found.parser](source, event(found.parser)))
        timings.append(time.perf_counter() - started)
    # 20x the text may take at most ~60x the time (noise allowed); quadratic would be 400x
    assert timings[1] < 60 * timings[0] + 5


def test_inspect_and_add_from_the_command_line(tmp_path, capsys):
    seeds = tmp_path / "seeds"
    shutil.copytree(Path(__file__).parent / "fixtures" / "example", seeds)
    assert main(["inspect", str(SAMPLES / "subtitles.srt")]) == 0
    shown = capsys.readouterr().out
    assert "subtitles (confidence" in shown and "utterances: 4" in shown
    assert main(["--seeds", str(seeds), "add", str(SAMPLES / "subtitles.srt"),
                 "--title", "应用层的机会", "--date", "2023-09", "--event-id", "app_talk"]) == 0
    assert "added app_talk" in capsys.readouterr().out
    assert (seeds / "transcripts" / "2023-09_app_talk.srt").read_bytes() == \
        (SAMPLES / "subtitles.srt").read_bytes()
    assert "app_talk" in set(load_corpus(seeds).events["event_id"])
    assert main(["--seeds", str(seeds), "add", str(SAMPLES / "subtitles.srt"),
                 "--title", "again", "--date", "2023-09"]) == 2
    assert "already in the project as 2023-09_app_talk.srt" in capsys.readouterr().err


# --- property-based: random documents in every format --------------------------------

TEXT = st.text(alphabet=st.sampled_from(list("大模型算力开源数据的是了，。？！：: \tabcXYZ123-*【】<>")),
               min_size=0, max_size=40)
NAMES = st.sampled_from(["张三", "李四", "Lisa", "说话人 1", "Speaker 2"])
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


def _stamp(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@st.composite
def documents(draw):
    kind = draw(st.sampled_from(["labelled_lines", "timestamped", "subtitles", "paragraphs"]))
    turns = draw(st.lists(st.tuples(NAMES, TEXT, TEXT), min_size=0, max_size=8))
    nl = draw(NEWLINES)
    times = sorted(draw(st.lists(st.integers(0, 10_000), min_size=len(turns),
                                 max_size=len(turns))))
    if draw(st.booleans()):
        times = list(reversed(times))  # sometimes out of order: must be refused cleanly
    parts = []
    for (name, first, more), when in zip(turns, times):
        if kind == "labelled_lines":
            parts.append(f"{name}：{first}{nl}{more}")
        elif kind == "timestamped":
            parts.append(f"{name} {_stamp(when)}{nl}{first}{nl}{more}")
        elif kind == "subtitles":
            parts.append(f"{when}{nl}{_stamp(when)},000 --> {_stamp(when + 1)},000{nl}"
                         f"{name}: {first}{nl}{nl}")
        else:
            parts.append(f"{first}{nl}{more}{nl}{nl}")
    return kind, nl.join(parts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_random_documents_lose_nothing_and_fail_only_cleanly(document):
    kind, text = document
    source = Source(path=Path("random.txt"), text=text, encoding="utf-8")
    for parser in (kind, detect(text).parser):
        try:
            result = PARSERS[parser](source, event(parser))
        except TranscriptError:
            continue
        check_units(source, result)  # raises if a character was lost or duplicated


def test_undeclared_big5_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "big5.txt"
    path.write_bytes(("開源模型的進步速度超出了很多人的預期，這是真的。\n" * 20).encode("big5"))
    with pytest.raises(TranscriptError) as caught:
        read_source(path)
    message = str(caught.value)
    assert "big5.txt:1: cannot be decoded" in message and "big5" in message.split("->")[1]
    assert read_source(path, "big5").text.startswith("開源模型")


def test_detection_uses_the_parsers_own_patterns():
    dotted = "\n".join(f"Q{i}. 第{i}个问题是什么\n回答内容，说了很多话。" for i in range(1, 6))
    assert detect(dotted).parser != "meeting_minutes"  # the minutes parser wants `Q1:`
    items = "\n".join(f"{i}）第{i}条要点，讲的是大模型和算力。" for i in range(1, 12))
    assert detect(items).parser == "takeaway_list"


def test_subtitle_name_prefix_must_recur_or_be_a_participant(tmp_path):
    path = tmp_path / "x.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\n我的结论是：开源会赢。\n\n"
                    "2\n00:00:03,000 --> 00:00:04,000\n详情见 https://example.com\n",
                    encoding="utf-8")
    units = parse(path, "subtitles").units
    assert {u.speaker for u in units} == {"unattributed"}
    assert units[0].text == "我的结论是：开源会赢。详情见 https://example.com"
