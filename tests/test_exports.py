"""Real export formats: labels on change, quoted speech, rolling captions, Word and Whisper
files, detection over the whole file; a property test that mixes them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ingest.pipeline import check_units
from analysis.project.metadata import EventMeta
from analysis.ingest.parsers import PARSERS
from analysis.ingest.parsers.detect import detect
from analysis.ingest.parsers.labels import find_label
from analysis.ingest.sources import Source


def event(parser="auto"):
    import pandas as pd

    return EventMeta(event_id="sample", title="t", date=pd.Timestamp("2023-01-01"),
                     date_precision="day", organiser="o", format="f", file="f", parser=parser)


def spoken(units):
    return [u for u in units if u.kind in ("speech", "question")]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- quoted speech is never a speaker ---------------------------------------------------

@pytest.mark.parametrize("line", [
    "”他说：这个不行", "“我说：你再想想", "我说：先做出来再说", "他说：“开源会赢”",
    "她问：那成本呢？", "他们问：什么时候上线", "张总说：明年再看", "报道称：融资十亿",
    "「老王：你来」", "比如：客服场景", "注意：这是推测", "[音乐]", "【掌声】",
    "我的结论是：开源会赢", "就是说：没那么快",
])
def test_quoted_and_reported_speech_is_not_a_label(line):
    assert find_label(line) is None, line


@pytest.mark.parametrize("line, name", [
    ("【说话人1】大家好", "说话人1"), ("[说话人2] 对", "说话人2"), ("说话人3：好的", "说话人3"),
    ("发言人1", "发言人1"), ("Speaker 2: right", "Speaker 2"), ("[SPEAKER_00]: hi", "SPEAKER_00"),
    ("**王明**：我觉得", "王明"), ("王明：我觉得", "王明"), ("Kevin Wang: I think", "Kevin Wang"),
    ("A: 对", "A"), ("记者问：请问", "记者问"), ("- 主持人：开始吧", "主持人"),
])
def test_label_forms(line, name):
    label = find_label(line)
    assert label is not None and label.name == name


def test_a_name_inside_an_open_quotation_stays_text_but_a_generic_label_does_not():
    assert find_label("张三：你先别急", before="他当时跟我讲：“你听我说") is None
    assert find_label("张三：你先别急", before="他当时跟我讲：“你听我说”") is not None
    assert find_label("【说话人2】好", before="他当时跟我讲：“你听我说").name == "说话人2"


# --- a property test mixing labels on change, quotes with colons and rolling captions ----

WORDS = st.sampled_from(["大模型", "算力", "开源", "应用", "成本", "客户", "数据", "推理",
                         "AI", "GPU", "我们", "其实", "然后"])
PUNCT = st.sampled_from(["", "，", "。", "？"])
QUOTED = st.sampled_from(["他说：“{}”", "”我说：{}", "我说：{}", "她问：{}？", "比如：{}",
                          "{}", "{}", "{}"])


@st.composite
def sentences(draw, index):
    body = "".join(draw(st.lists(st.tuples(WORDS, PUNCT).map("".join), min_size=1,
                                 max_size=5)))
    return draw(QUOTED).format(f"{body}{index}")  # the index keeps every line unique


@st.composite
def transcripts(draw):
    n_turns = draw(st.integers(1, 6))
    speakers, turns, index = [], [], 0
    for _ in range(n_turns):
        choices = [k for k in range(3) if not speakers or k != speakers[-1]]
        speakers.append(draw(st.sampled_from(choices)))
        lines = []
        for _ in range(draw(st.integers(1, 4))):
            index += 1
            lines.append(draw(sentences(index)))
        turns.append(lines)
    form = draw(st.sampled_from(["lines", "srt", "rolling"]))
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    alone = draw(st.booleans())  # the label on a line of its own
    title = draw(st.booleans())
    out: list[str] = []
    if form == "lines":
        if title:
            out += ["某播客第 3 期：大模型的机会", "2024-05-20", ""]
        for who, lines in zip(speakers, turns):
            label = f"【说话人{who}】"
            out += [label, *lines] if alone else [label + lines[0], *lines[1:]]
    else:
        cues: list[list[str]] = []
        for who, lines in zip(speakers, turns):
            for i, line in enumerate(lines):
                cues.append([(f"【说话人{who}】" if i == 0 else "") + line])
        if form == "rolling":  # YouTube: each cue shows the previous line above the new one
            rolled, previous = [], None
            for (line,) in cues:
                typed = re.sub(r"(.)(.)", r"\1<00:00:00.500><c>\2</c>", line, count=1)
                rolled.append([previous, typed] if previous else [typed])
                rolled.append([line])  # the 10 ms cue that shows the finished line
                previous = line
            cues = rolled
            out += ["WEBVTT", "Kind: captions", "Language: zh", ""]
        for number, lines in enumerate(cues):
            a, b = number * 2, number * 2 + 1
            out += ([str(number + 1)] if form == "srt" else []) + [
                f"00:{a // 60:02d}:{a % 60:02d}.000 --> 00:{b // 60:02d}:{b % 60:02d}.000".replace(
                    ".", "," if form == "srt" else "."), *lines, ""]
    expected = [("roster:说话人%d" % who, squash("".join(lines))) for who, lines in
                zip(speakers, turns)]
    return form, nl.join(out) + nl, expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcripts())
def test_mixed_exports_lose_and_duplicate_nothing(document):
    form, text, expected = document
    source = Source(path=Path("mixed.txt"), text=text, encoding="utf-8")
    parser = {"lines": "labelled_lines", "srt": "subtitles", "rolling": "subtitles"}[form]
    if form != "lines" or len(expected) >= 2:  # one label in one turn is not yet a format
        assert detect(text).parser == parser
    result = PARSERS[parser](source, event(parser))
    check_units(source, result)  # every character in exactly one utterance
    units = spoken(result.units)
    got = [(u.speaker, squash(u.text)) for u in units]
    assert got == expected  # one utterance per turn, each sentence once, labels removed


# --- the export formats people have (tests/samples/exports, EXPECTED.yaml says what each is)

EXPORTS = Path(__file__).parent / "samples" / "exports"


def _expected() -> dict:
    import yaml

    doc = yaml.safe_load((EXPORTS / "EXPECTED.yaml").read_text(encoding="utf-8"))
    return {name: facts for name, facts in sorted(doc.items()) if "parser" in facts}


EXPECTED = _expected()


def _read(name: str):
    from analysis.ingest.inspect import _probe

    source, detection, chosen, result = _probe(EXPORTS / name, None, "auto")
    check_units(source, result)  # every character of the file in exactly one utterance
    return source, detection, result


def _people(result) -> list[tuple[str, int, int]]:
    from analysis.ingest.inspect import speaker_counts

    return [row for row in speaker_counts(result) if row[0] not in ("editor", "audience")]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_export_is_detected_and_read_with_its_speakers_and_turns(name):
    facts = EXPECTED[name]
    source, detection, result = _read(name)
    assert detection.parser == facts["parser"], detection.explain()
    assert detection.confidence >= 0.9
    people = _people(result)
    if facts.get("speakers"):
        want = facts.get("names") or facts["speakers"]  # roundtable headers name roster people
        assert sorted(n for n, _, _ in people) == sorted(map(str, want))
    else:
        assert [n for n, _, _ in people] == ["unattributed"]
    if facts.get("turns") and facts["parser"] != "roundtable_notes":
        assert sum(t for _, t, _ in people) == facts["turns"]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if EXPECTED[n].get("title")))
def test_export_headers_give_title_and_date(name):
    from analysis.project.facts import event_facts

    facts = EXPECTED[name]
    source, _, _ = _read(name)
    found = event_facts(name, source.text)
    if name != "ab_dialogue.txt":  # `访谈：...` reads as a speaker line, not a title
        assert found["title"] == facts["title"]
    if facts.get("date"):
        assert found["date"] == str(facts["date"])


def test_header_lines_are_meta_not_speech():
    for name in ("feishu_minutes.txt", "tencent_meeting.txt", "labels_on_change.txt"):
        _, _, result = _read(name)
        first = result.units[0]
        assert first.kind == "meta" and first.speaker == "unattributed", name
        assert not any("关键词" in u.text for u in spoken(result.units)), name


def test_otter_signature_is_meta():
    _, _, result = _read("otter.txt")
    assert result.units[-1].kind == "meta" and "otter.ai" in result.units[-1].text
    assert all("otter.ai" not in u.text for u in spoken(result.units))


def test_tencent_meeting_text_on_the_header_line():
    _, _, result = _read("tencent_meeting.txt")
    first = spoken(result.units)[0]
    assert first.speaker == "roster:周航" and first.start_s == 8.0
    assert first.text.startswith("各位早")


def test_word_export_is_its_paragraph_text_losslessly():
    import docx

    source, detection, result = _read("feishu_minutes.docx")
    paragraphs = [p.text for p in docx.Document(str(EXPORTS / "feishu_minutes.docx")).paragraphs]
    assert source.encoding == "docx" and source.text == "\n".join(paragraphs)
    covered = "".join(source.text[u.start:u.end] for u in result.units)
    assert squash(covered) == squash("".join(paragraphs))
    assert detection.parser == "timestamped"


def test_a_broken_word_file_is_refused_with_the_fix(tmp_path):
    from analysis.errors import TranscriptError
    from analysis.ingest.sources import read_source

    path = tmp_path / "meeting.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TranscriptError) as caught:
        read_source(path)
    assert "meeting.docx" in str(caught.value) and "save it again" in str(caught.value)
    old = tmp_path / "meeting.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(TranscriptError, match="save it as .docx"):
        read_source(old)


def test_rolling_captions_are_read_once_and_raw_text_keeps_every_cue():
    source, _, result = _read("youtube_auto.vtt")
    got = " ".join(u.text for u in spoken(result.units))
    want = " ".join((EXPORTS / "youtube_auto.sentences.txt").read_text(encoding="utf-8").split())
    assert got == want  # each caption line once, in order
    raw = "".join(source.text[u.start:u.end] for u in result.units)
    assert raw.count("-->") == source.text.count("-->")  # no cue left out of raw_text
    assert all(len(u.text) <= 300 for u in spoken(result.units))  # segments, not one blob


def test_whisper_segments_keep_times_and_json_raw_text():
    import json

    source, _, result = _read("whisper.json")
    segments = json.loads(source.text)["segments"]
    units = spoken(result.units)
    assert units[0].start_s == round(segments[0]["start"], 3)
    assert units[-1].end_s == round(segments[-1]["end"], 3)
    assert squash("".join(u.text for u in units)) == squash("".join(s["text"] for s in segments))
    first, _ = json.JSONDecoder().raw_decode(source.text[units[0].start:units[0].end])
    assert first["id"] == 0  # raw text is the segments' JSON objects
    assert result.units[0].kind == "meta"  # the whole-file `text` Whisper repeats up front


def test_whisperx_turns_follow_the_diarised_speaker():
    import json

    source, _, result = _read("whisperx.json")
    segments = json.loads(source.text)["segments"]
    runs = [s["speaker"] for i, s in enumerate(segments)
            if i == 0 or s["speaker"] != segments[i - 1]["speaker"]]
    assert [u.speaker.removeprefix("roster:") for u in spoken(result.units)] == runs


def test_quoted_speech_in_real_looking_samples_stays_in_the_turn():
    for name in ("labels_on_change.txt", "labels_on_change.srt"):
        source, _, result = _read(name)
        names = {u.speaker.removeprefix("roster:") for u in result.units}
        assert not names & {"他说", "”他说", "我说", "她问"}, name
        text = "".join(u.text for u in spoken(result.units))
        assert "我说：" in text and "”他说：" in text, name


def test_labels_inside_subtitle_cues_are_removed_from_text_and_kept_in_raw_text():
    source, _, result = _read("labels_on_change.srt")
    units = spoken(result.units)
    assert not any("【说话人" in u.text for u in units)
    assert all(source.text[u.start:u.end].count("【说话人") >= 1 for u in units[1:])
    assert all(u.start_s is not None and u.end_s >= u.start_s for u in units)


def test_utf16_roundtable_notes_are_detected_by_their_roster():
    source, detection, result = _read("roundtable_utf16.txt")
    assert source.encoding.startswith("utf-16") and "\r\n" in source.text
    assert detection.parser == "roundtable_notes" and "roster" in detection.reason


TITLE_BLOCK = "\n".join(["某某播客 第 42 期", "嘉宾：某某", "主持：某某", "2024-05-20", ""]
                        + [f"第{i}段：这一期的简介文字，介绍本期讨论的内容和背景。" for i in range(16)]
                        + [""])


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.endswith((".txt", ".srt"))
                                        and EXPECTED[n]["parser"] != "roundtable_notes"))
def test_a_twenty_line_title_block_does_not_decide_the_format(name):
    from analysis.ingest.sources import read_source

    text = TITLE_BLOCK + read_source(EXPORTS / name).text
    assert len(TITLE_BLOCK.splitlines()) >= 20
    found = detect(text)
    assert found.parser == EXPECTED[name]["parser"], found.explain()
    parser = found.parser
    source = Source(path=Path(name), text=text, encoding="utf-8")
    check_units(source, PARSERS[parser](source, event(parser)))


def test_inspect_shows_the_runner_up_and_speakers_with_turns_and_characters(capsys):
    from analysis.cli import main

    main(["inspect", str(EXPORTS / "labels_on_change.txt")])
    out = capsys.readouterr().out
    assert "labelled_lines" in out and "runner-up:  line_fragments" in out and "lost to" in out
    assert re.search(r"\d+ turns\s+\d+ chars\s+说话人1", out)
    assert re.search(r"\d+ turns\s+\d+ chars\s+说话人2", out)


def test_add_takes_word_and_whisper_files_into_a_project(tmp_path, capsys):
    import shutil

    from analysis import load_corpus
    from analysis.cli import main

    project = tmp_path / "project"
    shutil.copytree(Path(__file__).parent / "fixtures" / "example", project)
    assert main(["--project", str(project), "add", str(EXPORTS / "feishu_minutes.docx"),
                 str(EXPORTS / "whisperx.json"), str(EXPORTS / "labels_on_change.srt")]) == 2
    assert "no date" in capsys.readouterr().err  # the JSON and SRT carry no date: nothing added
    assert main(["--project", str(project), "add", str(EXPORTS / "feishu_minutes.docx")]) == 0
    assert main(["--project", str(project), "add", str(EXPORTS / "whisperx.json"),
                 "--date", "2024-06-01", "--title", "WhisperX 试听"]) == 0
    corpus = load_corpus(project)
    events = corpus.events.set_index("event_id")
    docx_event = events[events["title"] == "AI 芯片投资逻辑讨论"].iloc[0]
    assert docx_event["encoding"] == "docx" and docx_event["parser"] == "timestamped"
    assert str(docx_event["date"].date()) == "2024-05-08"  # from the export's header
    whisper = events[events["title"] == "WhisperX 试听"].iloc[0]
    assert whisper["parser"] == "whisper_json" and whisper["n_speakers"] == 3


def test_format_variants_seen_in_public_files():
    """Variants found when reading public exports: a diariser's confidence inside the label,
    markdown bold around a timestamp header's name, other tools' JSON keys."""
    srt = ("1\n00:00:00,200 --> 00:00:01,000\n[SPEAKER_00 | 0.72]\n我们开始吧\n\n"
           "2\n00:00:01,100 --> 00:00:02,000\n[访客 | weak 0.30]\n好的\n\n"
           "3\n00:00:02,100 --> 00:00:03,000\n[访客 | 0.41]\n我先说\n")
    result = PARSERS["subtitles"](Source(Path("x.srt"), srt, "utf-8"), event())
    assert [u.speaker for u in spoken(result.units)] == ["roster:SPEAKER_00", "roster:访客"]
    assert spoken(result.units)[1].text == "好的我先说"
    md = "**王磊** 0:00  \n大家好。\n\n**Lisa** 0:31\nHi.\n\n**王磊** 0:40\n开始吧。\n"
    found = detect(md)
    assert found.parser == "timestamped"
    result = PARSERS["timestamped"](Source(Path("x.md"), md, "utf-8"), event())
    assert [u.speaker for u in spoken(result.units)] == ["roster:王磊", "roster:Lisa",
                                                         "roster:王磊"]
    js = ('{"metadata": {"speakers": 1}, "segments": [\n'
          '{"speaker_name": "Speaker 1", "text": "第一句。", "start_time": 10.5, "end_time": 12},\n'
          '{"speaker_name": "Speaker 1", "text": "第二句。", "start_time": 12.5, "end_time": 14}\n]}')
    result = PARSERS["whisper_json"](Source(Path("x.json"), js, "utf-8"), event())
    check_units(Source(Path("x.json"), js, "utf-8"), result)
    (turn,) = spoken(result.units)
    assert (turn.speaker, turn.text, turn.start_s, turn.end_s) == (
        "roster:Speaker 1", "第一句。第二句。", 10.5, 14.0)
