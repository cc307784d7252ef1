"""Faults and hostile input: the metadata is never lost, nothing is read from outside the
project, and every bad input gets one clear line (the project's own error type)."""

from __future__ import annotations

import errno
import multiprocessing as mp
import os
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import load_corpus
from analysis.cli import main
from analysis.coding import codebook
from analysis.errors import MetadataError, TranscriptError
from analysis.project.metadata import load_metadata
from analysis.project.folder import Project, init_project
from analysis.project.yamlfile import MAX_NODES, parse

LINES = "主持人：今天我们聊聊大模型。\n嘉宾：好的，先说算力。\n主持人：算力贵不贵？\n嘉宾：很贵。\n"


def _episode(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"2024-03-{n + 1:02d}_ep{n}.txt"
    path.write_text(f"第{n}期\n" + LINES + f"嘉宾：第{n}期说完了。\n", encoding="utf-8")
    return path


def _project(tmp_path: Path, events: str, files: dict[str, str]) -> Path:
    root = tmp_path / "p"
    (root / "transcripts").mkdir(parents=True)
    (root / "events.yaml").write_text(textwrap.dedent(events), encoding="utf-8")
    for name, text in files.items():
        (root / "transcripts" / name).write_text(text, encoding="utf-8")
    return root


ENTRY = """\
  - event_id: {eid}
    title: t
    date: 2024-01-0{day}
    organiser: o
    format: f
    file: {file}
    parser: auto
"""


def _events(*entries: tuple[str, str]) -> str:
    return "events:\n" + "".join(ENTRY.format(eid=eid, day=i + 1, file=file)
                                 for i, (eid, file) in enumerate(entries))


# --- the metadata is never lost ----------------------------------------------------------

def _add_one(root: str, path: str) -> int:
    return main(["--project", root, "add", path])


def test_concurrent_adds_all_land_and_the_previous_version_is_kept(tmp_path):
    project = init_project(tmp_path / "podcast")
    files = [_episode(tmp_path / "in", n) for n in range(6)]
    with mp.get_context("fork").Pool(6) as pool:
        codes = pool.starmap(_add_one, [(str(project.root), str(f)) for f in files])
    assert codes == [0] * 6
    events = load_metadata(project.events_file, transcripts_dir=project.transcripts)
    assert len(events) == 6 and len(list(project.transcripts.iterdir())) == 6
    backup = project.events_file.with_name("events.yaml.bak")
    assert backup.is_file() and len(yaml.safe_load(backup.read_text("utf-8"))["events"]) == 5
    assert not list(project.root.glob(".*.tmp"))


def test_a_full_disk_during_add_changes_nothing(tmp_path, monkeypatch, capsys):
    project = init_project(tmp_path / "podcast")
    _add_one(str(project.root), str(_episode(tmp_path / "in", 0)))
    before = project.events_file.read_bytes()
    copies = sorted(project.transcripts.iterdir())

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("analysis.project.folder.os.fsync", full)
    assert _add_one(str(project.root), str(_episode(tmp_path / "in", 1))) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert project.events_file.read_bytes() == before
    assert sorted(project.transcripts.iterdir()) == copies
    assert not [p for p in project.root.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("option, value, problem", [
    ("--date", "2023-02-30", "is not understood"),
    ("--date", "../../../escape", "is not understood"),
    ("--event-id", "../../x", "is not a snake_case slug"),
    ("--encoding", "rot13", "encoding"),
])
def test_bad_add_options_are_refused_before_anything_is_written(tmp_path, capsys, option, value,
                                                                problem):
    project = init_project(tmp_path / "podcast")
    episode = _episode(tmp_path / "in", 0)
    before = project.events_file.read_bytes()
    outside = sorted(p.name for p in tmp_path.rglob("*") if p.name != ".project.lock")
    assert main(["--project", str(project.root), "add", str(episode), option, value]) == 2
    err = capsys.readouterr().err
    assert problem in err and "Traceback" not in err
    assert project.events_file.read_bytes() == before
    assert list(project.transcripts.iterdir()) == []
    assert sorted(p.name for p in tmp_path.rglob("*") if p.name != ".project.lock") == outside
    assert main(["--project", str(project.root), "summary"]) in (0, 2)  # the project still reads


def test_export_to_a_file_is_one_clear_line(tmp_path, capsys):
    target = tmp_path / "README.md"
    target.write_text("keep me", encoding="utf-8")
    assert main(["export", "--out", str(target)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "keep me"


# --- duplicate keys, bombs and wrong types -----------------------------------------------

def test_duplicate_keys_are_refused_with_their_line(tmp_path):
    root = _project(tmp_path, _events(("a", "a.txt")) + "events:\n  - event_id: b\n",
                    {"a.txt": LINES})
    with pytest.raises(MetadataError, match="duplicate key 'events'") as err:
        load_metadata(root / "events.yaml")
    assert err.value.line == 9
    root = _project(tmp_path / "2", _events(("a", "a.txt")) + "    date: 2023-05-01\n",
                    {"a.txt": LINES})
    with pytest.raises(MetadataError, match="duplicate key 'date' \\(first on line 4\\)"):
        load_metadata(root / "events.yaml")


def test_every_yaml_file_refuses_duplicate_keys(tmp_path):
    project = init_project(tmp_path / "p")
    for name in ("topics.yaml", "stances.yaml"):
        path = project.codebook_dir / name
        text = path.read_text(encoding="utf-8")
        top = next(line.split(":")[0] for line in text.splitlines() if line[:1].isalpha())
        path.write_text(text.rstrip("\n") + f"\n{top}: {{}}\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match="duplicate key") as err:
        codebook(project.root)
    assert err.value.line == len((project.codebook_dir / "topics.yaml").read_text(
        encoding="utf-8").splitlines())


def test_an_alias_bomb_is_refused_in_one_short_line(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for previous, name in zip("abcdefgh", "bcdefghi"):
        bomb += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    with pytest.raises(yaml.YAMLError, match=f"expand past {MAX_NODES:,}"):
        parse(bomb)
    root = _project(tmp_path, "events:\n  - event_id: x\n" + "    " + bomb.replace("\n", "\n    "),
                    {})
    with pytest.raises(MetadataError) as err:
        load_metadata(root / "events.yaml")
    assert len(str(err.value)) < 1000


def test_many_identical_problems_are_counted_not_listed(tmp_path):
    entries = "".join(f"  - {{event_id: e{i}, title: t, date: 2024-01-01, organiser: o, "
                      f"format: f, file: missing{i}.txt, parser: auto}}\n" for i in range(10_000))
    root = _project(tmp_path, "events:\n" + entries, {})
    with pytest.raises(MetadataError) as err:
        load_metadata(root / "events.yaml", transcripts_dir=root / "transcripts")
    lines = str(err.value).splitlines()
    assert len(err.value.problems) == 10_000 and len(lines) <= 21
    assert "9,980 more problems" in lines[-1]


@pytest.mark.parametrize("block, problem", [
    ("{asks: [li], answers: wang}", "asks must be one participant id"),
    ("{asks: li, answers: {a: 1}}", "answers must be one participant id"),
    ("{asks: li, speakers: li}", "speakers must be a list"),
    ("{asks: li, enabled: \"no\"}", "enabled must be true or false"),
])
def test_wrong_types_under_attribution_are_one_problem_each(tmp_path, block, problem):
    events = _events(("a", "a.txt")) + (
        "    participants:\n      - {id: li, name: 李, role: host}\n"
        "      - {id: wang, name: 王, role: guest}\n"
        f"    attribution: {block}\n")
    root = _project(tmp_path, events, {"a.txt": LINES})
    with pytest.raises(MetadataError, match=problem) as err:
        load_metadata(root / "events.yaml")
    assert len(err.value.problems) == 1


@pytest.mark.parametrize("value", ["0", "abc", "-5", "true", "[1]"])
def test_parser_options_out_of_range_are_refused(tmp_path, value):
    events = _events(("a", "a.txt")).replace("parser: auto", "parser: asr_stream") + (
        f"    parser_options: {{max_chars: {value}}}\n")
    root = _project(tmp_path, events, {"a.txt": "嗯 我们 今天 聊聊 大模型 " * 20})
    with pytest.raises(TranscriptError, match="max_chars must be a whole number"):
        load_corpus(root, cache=False)


def test_an_impossible_date_in_the_metadata_names_its_line(tmp_path):
    root = _project(tmp_path, _events(("a", "a.txt")).replace("2024-01-01", "2023-02-30"),
                    {"a.txt": LINES})
    with pytest.raises(MetadataError, match="day is out of range") as err:
        load_metadata(root / "events.yaml")
    assert err.value.line == 4


# --- nothing read from outside the project -----------------------------------------------

@pytest.mark.parametrize("file", ["/etc/passwd", "../../outside.txt", "link.txt"])
def test_transcripts_outside_the_project_are_refused(tmp_path, file):
    outside = tmp_path / "outside.txt"
    outside.write_text(LINES, encoding="utf-8")
    root = _project(tmp_path, _events(("a", file)), {})
    (root / "transcripts" / "link.txt").symlink_to(outside)
    with pytest.raises(MetadataError, match="outside the project folder"):
        load_metadata(root / "events.yaml", transcripts_dir=root / "transcripts")


def test_one_transcript_described_twice_is_refused(tmp_path):
    root = _project(tmp_path, _events(("a", "a.txt"), ("b", "./a.txt")), {"a.txt": LINES})
    with pytest.raises(MetadataError, match="already described on line"):
        load_metadata(root / "events.yaml", transcripts_dir=root / "transcripts")
    root = _project(tmp_path / "2", _events(("a", "a.txt"), ("b", "b.txt")),
                    {"a.txt": LINES, "b.txt": LINES})
    with pytest.raises(MetadataError, match="has the same content as 'a.txt'"):
        load_metadata(root / "events.yaml", transcripts_dir=root / "transcripts")


# --- silent wrong values -----------------------------------------------------------------

@pytest.mark.parametrize("name, text", [
    ("a.txt", "说话人1 00:00:01\n你好。\n说话人2 99:99:99\n你好。\n"),
    ("a.srt", "1\n00:00:05,000 --> 00:00:01,000\n你好。\n\n2\n00:00:06,000 --> 00:00:07,000\n好的。\n"),
    ("a.srt", "1\n00:00:01,000 --> 00:00:02,000\n你好。\n\n2\n00:99:06,000 --> 00:99:07,000\n好。\n"),
])
def test_impossible_times_are_refused_with_their_line(tmp_path, name, text):
    root = _project(tmp_path, _events(("a", name)), {name: text})
    with pytest.raises(TranscriptError, match="time") as err:
        load_corpus(root, cache=False)
    assert err.value.line in (1, 2, 3, 6)


def test_invisible_characters_do_not_split_a_speaker(tmp_path):
    text = "嘉\u200b宾：第一句话。\n主持人：问一句。\n嘉宾：第二句话。\n主持人：再问。\n嘉\ufeff宾：第三句。\n"
    root = _project(tmp_path, _events(("a", "a.txt")), {"a.txt": text})
    corpus = load_corpus(root, cache=False)
    assert sorted(corpus.speakers["name"]) == ["主持人", "嘉宾"]


def test_inspect_checks_that_nothing_is_lost(tmp_path, monkeypatch, capsys):
    from analysis.ingest import parsers
    from analysis.ingest.parsers.base import ParseResult

    path = _episode(tmp_path / "in", 0)
    original = parsers.PARSERS["labelled_lines"]

    def lossy(source, event):
        result = original(source, event)
        return ParseResult(result.units[1:], result.roster)

    monkeypatch.setitem(parsers.PARSERS, "labelled_lines", lossy)
    assert main(["inspect", str(path), "--parser", "labelled_lines"]) == 2
    assert "parser dropped text" in capsys.readouterr().err


# --- fuzzing the metadata ----------------------------------------------------------------

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                     st.floats(allow_nan=True), st.text(max_size=12),
                     st.sampled_from(["2023-02-30", "2024-01-01", "../../x", "/etc/passwd",
                                      "a.txt", "./a.txt", "auto", "host", "99:99:99",
                                      "utf-8\0", "rot13", "*a", "&a x", "!!python/none"]))
_KEYS = st.sampled_from(["event_id", "title", "date", "organiser", "format", "file", "parser",
                         "participants", "attribution", "speakers", "encoding", "parser_options",
                         "asks", "answers", "enabled", "id", "name", "role", "events"])
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=12)


def _render(value, indent: int = 0) -> str:
    """YAML text for a value, with duplicate keys and anchors mixed in by the caller."""
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=None, sort_keys=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(entry=st.dictionaries(_KEYS, _VALUES, max_size=9), extra=st.sampled_from(
    ["", "events: []\n", "  - &x {event_id: a}\n  - *x\n", "date: 2024\n", "x: *undefined\n",
     "\t- bad\n", "events:\n  - event_id: a\n    event_id: b\n"]))
def test_fuzzed_metadata_only_ever_gives_the_projects_error(tmp_path, entry, extra):
    root = tmp_path / "fuzz"
    (root / "transcripts").mkdir(parents=True, exist_ok=True)
    (root / "transcripts" / "a.txt").write_text(LINES, encoding="utf-8")
    text = "events:\n" + textwrap.indent(_render([entry]), "  ") + extra
    (root / "events.yaml").write_text(text, encoding="utf-8")
    try:
        load_metadata(root / "events.yaml", transcripts_dir=root / "transcripts")
    except TranscriptError as err:
        assert len(str(err).splitlines()) <= 21
    project = Project(root)
    assert project.events_file.read_text(encoding="utf-8") == text
    assert os.path.exists(root / "transcripts" / "a.txt")


def test_a_stray_byte_is_refused_or_replaced_and_counted_when_asked(tmp_path):
    data = LINES.encode("utf-8")
    at = len("主持人：".encode("utf-8"))  # between two characters
    data = data[:at] + b"\xff" + data[at:]
    root = tmp_path / "p"
    (root / "transcripts").mkdir(parents=True)
    (root / "transcripts" / "a.txt").write_bytes(data)
    (root / "events.yaml").write_text(_events(("a", "a.txt")), encoding="utf-8")
    with pytest.raises(TranscriptError, match="UTF-8 except for 1 byte"):
        load_corpus(root, cache=False)
    (root / "events.yaml").write_text(_events(("a", "a.txt")) + "    errors: replace\n",
                                      encoding="utf-8")
    corpus = load_corpus(root, cache=False)
    assert corpus.events["bytes_replaced"].tolist() == [1]
    assert "".join(corpus.utterances["raw_text"]).count("\ufffd") == 1
    (root / "events.yaml").write_text(_events(("a", "a.txt")) + "    errors: ignore\n",
                                      encoding="utf-8")
    with pytest.raises(MetadataError, match="`errors` must be one of strict, replace"):
        load_corpus(root, cache=False)


def test_a_refused_write_leaves_no_stray_copy_and_a_retry_works(tmp_path, monkeypatch, capsys):
    project = init_project(tmp_path / "podcast")
    episode = _episode(tmp_path / "in", 0)
    before = project.events_file.read_bytes()

    def refuse(self, data):
        raise PermissionError(13, "Permission denied", str(self.events_file))

    with monkeypatch.context() as patch:
        patch.setattr(Project, "save_events", refuse)
        assert _add_one(str(project.root), str(episode)) == 2
    err = capsys.readouterr().err
    assert "Permission denied" in err and "nothing was added" in err and "Traceback" not in err
    assert project.events_file.read_bytes() == before
    assert list(project.transcripts.iterdir()) == []
    assert _add_one(str(project.root), str(episode)) == 0
