"""Bad input: every problem is the project's own error, naming file, line and fix."""

from __future__ import annotations

import pytest

from analysis import MetadataError, TranscriptError, load_corpus
from analysis.cli import main

EVENT = """\
events:
  - event_id: demo
    title: Demo
    date: 2023-05
    organiser: Tester
    format: podcast transcript
    file: demo.txt
    parser: {parser}
{extra}"""

ROUNDTABLE = """\
导语
这是一段编者写的导语，介绍这次闭门会的背景和参与者，内容足够长以便被识别为编者的说明文字。

Alpha, CEO, 张三
Beta Capital, Partner, 李四
Gamma, Engineer, 王五

1
大模型的机会在哪里？
Alpha 张三
我认为应用层有很多机会，尤其是垂直行业里的工作流改造，这是我们正在做的事情。
{header}
我觉得算力仍然是瓶颈，短期之内很难解决，价格也很高，所以我们更关注推理成本。
提问：开源模型会不会追上闭源模型？
Gamma 王五
会的，差距在缩小。
本期笔记整理员：小王
"""


def events_yaml(parser="line_fragments", extra=""):
    return EVENT.format(parser=parser, extra=extra)


def test_unknown_parser_names_line_and_choices(make_seeds):
    root = make_seeds(events_yaml(parser="roundtable"), {"demo.txt": "你好\n"})
    with pytest.raises(MetadataError) as err:
        load_corpus(root)
    message = str(err.value)
    assert "events.yaml:8:" in message and "unknown parser 'roundtable'" in message
    assert "did you mean 'roundtable_notes'" in message


def test_missing_transcript_file(make_seeds):
    root = make_seeds(events_yaml(), {})
    with pytest.raises(MetadataError, match=r"events.yaml:7: transcript 'demo.txt' not found"):
        load_corpus(root)


def test_every_metadata_problem_is_reported(make_seeds):
    extra = ("    date_precision: day\n    speaker: x\n    participants:\n"
             "      - {id: Bad Id, name: 甲, role: ceo}\n"
             "  - event_id: demo\n    title: Again\n    date: March\n    organiser: x\n"
             "    format: x\n    file: demo.txt\n    parser: line_fragments\n")
    root = make_seeds(events_yaml(extra=extra), {"demo.txt": "你好\n"})
    with pytest.raises(MetadataError) as err:
        load_corpus(root)
    problems = [(p.line, p.problem) for p in err.value.problems]
    text = str(err.value)
    assert "does not match the date" in text           # precision day vs 2023-05
    assert "unknown key `speaker`" in text
    assert "not a snake_case slug" in text
    assert "unknown role 'ceo'" in text
    assert "date 'March' is not understood" in text
    assert all(line is not None for line, _ in problems)
    assert len(problems) >= 5
    assert all(str(p).startswith(str(root / "events.yaml")) for p in err.value.problems)


def test_duplicate_event_ids(make_seeds):
    extra = ("  - event_id: demo\n    title: Again\n    date: 2023\n    organiser: x\n"
             "    format: x\n    file: other.txt\n    parser: line_fragments\n")
    root = make_seeds(events_yaml(extra=extra), {"demo.txt": "你好\n", "other.txt": "好\n"})
    with pytest.raises(MetadataError, match=r"events.yaml:9: duplicate event_id 'demo'"):
        load_corpus(root)


def test_invalid_yaml_names_the_line(make_seeds):
    root = make_seeds("events:\n  - event_id: demo\n    title: [unclosed\n", {})
    with pytest.raises(MetadataError, match=r"events.yaml:\d+: is not valid YAML"):
        load_corpus(root)


def test_metadata_without_events_list(make_seeds):
    root = make_seeds("title: nothing here\n", {})
    with pytest.raises(MetadataError, match="must hold a mapping with an `events:` list"):
        load_corpus(root)


@pytest.mark.parametrize("content", [b"", b"  \n\n \t\n"])
def test_empty_file(make_seeds, content):
    root = make_seeds(events_yaml(), {"demo.txt": content})
    with pytest.raises(TranscriptError, match=r"demo.txt:1: file (is empty|holds only whitespace)"):
        load_corpus(root)


TEXT = "大家好，我叫李厚明\n今天聊一下大模型和算力\n"


@pytest.mark.parametrize("encode", [
    lambda t: t.encode("gb18030"),
    lambda t: "\ufeff".encode("utf-8") + t.encode("utf-8"),
    lambda t: t.encode("utf-16"),          # with BOM
    lambda t: t.encode("utf-16-le"),       # without BOM
], ids=["gb18030", "utf8-bom", "utf16-bom", "utf16le-no-bom"])
def test_encodings_are_decoded(make_seeds, encode):
    root = make_seeds(events_yaml(), {"demo.txt": encode(TEXT)})
    corpus = load_corpus(root)
    assert list(corpus.utterances["text"]) == ["大家好，我叫李厚明", "今天聊一下大模型和算力"]
    assert "\ufeff" not in "".join(corpus.utterances["raw_text"])


def test_declared_encoding_is_used(make_seeds):
    big5 = "今天聊一下大模型與算力\n".encode("big5")
    root = make_seeds(events_yaml(extra="    encoding: big5\n"), {"demo.txt": big5})
    assert load_corpus(root).utterances["text"].tolist() == ["今天聊一下大模型與算力"]


def test_undecodable_bytes_are_refused_with_line(make_seeds):
    data = "第一行\n第二行\n".encode("utf-8") + b"\xff\xfe\xfa bad \x80\x81\n"
    root = make_seeds(events_yaml(), {"demo.txt": data})
    with pytest.raises(TranscriptError) as err:
        load_corpus(root)
    message = str(err.value)
    assert "demo.txt:3: cannot be decoded as UTF-8" in message
    assert "set `encoding:`" in message


def test_wrong_declared_encoding(make_seeds):
    root = make_seeds(events_yaml(extra="    encoding: ascii\n"), {"demo.txt": TEXT})
    with pytest.raises(TranscriptError, match=r"demo.txt:1: cannot be decoded as ascii"):
        load_corpus(root)


def test_nul_bytes_are_refused(make_seeds):
    root = make_seeds(events_yaml(), {"demo.txt": "第一行\n第二\x00行\n"})
    with pytest.raises(TranscriptError, match=r"demo.txt:2: contains NUL"):
        load_corpus(root)


def test_roundtable_parses_small_sample(make_seeds):
    root = make_seeds(events_yaml(parser="roundtable_notes"),
                      {"demo.txt": ROUNDTABLE.format(header="Beta Capital 李四  ")})
    corpus = load_corpus(root)
    rows = corpus.utterances
    assert list(rows["kind"]) == ["note", "meta", "question", "speech", "speech", "question",
                                  "speech", "meta"]
    assert list(rows["speaker"]) == ["编者", "编者", "编者", "张三", "李四", "听众提问", "王五", "编者"]
    roles = corpus.speakers.set_index("name")["role"]
    assert roles["李四"] == "investor" and roles["王五"] == "engineer_researcher"


def test_unknown_speaker_header(make_seeds):
    text = ROUNDTABLE.format(header="Delta 赵六")
    root = make_seeds(events_yaml(parser="roundtable_notes"), {"demo.txt": text})
    with pytest.raises(TranscriptError) as err:
        load_corpus(root)
    line = text.split("\n").index("Delta 赵六") + 1
    assert f"demo.txt:{line}: speaker header 'Delta 赵六' matches no one" in str(err.value)
    assert "participants" in str(err.value)


def test_unknown_speaker_fixed_by_metadata_alias(make_seeds):
    extra = "    participants:\n      - {id: zhao_liu, name: 赵六, affiliation: Delta, role: product}\n"
    root = make_seeds(events_yaml(parser="roundtable_notes", extra=extra),
                      {"demo.txt": ROUNDTABLE.format(header="Delta 赵六")})
    rows = load_corpus(root).utterances
    assert "赵六" in set(rows["speaker"])
    assert rows.loc[rows["speaker"] == "赵六", "speaker_id"].iloc[0] == "demo.zhao_liu"


def test_cli_reports_errors_in_one_line(make_seeds, capsys):
    root = make_seeds(events_yaml(parser="nope"), {"demo.txt": TEXT})
    assert main(["--seeds", str(root), "summary"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "unknown parser 'nope'" in err
    assert "Traceback" not in err


def test_cli_exports_tables(make_seeds, tmp_path):
    root = make_seeds(events_yaml(), {"demo.txt": TEXT})
    out = tmp_path / "out"
    assert main(["--seeds", str(root), "export", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{name}.{ext}" for name in ("events", "speakers", "utterances", "units") for ext in ("csv", "parquet"))


def test_display_names_file_is_checked(tmp_path):
    from analysis.measures.describe import display_names

    good = display_names("entity_types")
    assert good["company"] == "公司" and list(good) == ["company", "model", "product", "person", "concept"]
    broken = tmp_path / "display_names.yaml"
    broken.write_text("entity_types:\n  company: 公司\n  model: 模型\n  robot: 机器人\n", encoding="utf-8")
    with pytest.raises(TranscriptError) as caught:
        display_names("entity_types", broken)
    message = str(caught.value)
    assert "display_names.yaml" in message and "product" in message and "robot" in message
    broken.write_text("kinds: [speech]\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match="not a mapping"):
        display_names("kinds", broken)
