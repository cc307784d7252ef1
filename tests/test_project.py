"""A project is a folder with its own codebook: init, add many files, a different domain's
codebook end to end, every speaker kept, codebook fit per event, nothing lost in any project."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import load_corpus, stance_summary, stance_table, topic_table
from analysis import charts as plots
from analysis.measures import describe
from analysis.cli import main
from analysis.coding import codebook, codebook_fit, stance_cues, topic_frequencies
from analysis.errors import MetadataError, TranscriptError
from analysis.validation.coding import load_gold, predict, score_topics
from analysis.project.palette import derived_color
from analysis.project.folder import Project, default_codebook_dir, init_project
from analysis.speakers.roles import roles
from conftest import FINANCE, ROOT, SEEDS

_WS = re.compile(r"\s+")


# --- nothing lost, in every project --------------------------------------------------------

@pytest.mark.parametrize("folder", [SEEDS, FINANCE, ROOT / "seeds"],
                         ids=["example", "finance", "seeds"])
def test_every_character_of_every_project_is_in_exactly_one_utterance(folder):
    """The pinned example, the finance fixture and the user's own seeds/ (whatever it holds
    today): raw_text in order covers every non-whitespace character of each source once."""
    corpus = load_corpus(folder)
    assert len(corpus.events) >= 1
    for event in corpus.events.itertuples():
        source = corpus.sources[event.event_id]
        rows = corpus.utterances[corpus.utterances["event_id"] == event.event_id]
        assert _WS.sub("", "".join(rows.sort_values("seq")["raw_text"])) == _WS.sub("", source)


# --- init ------------------------------------------------------------------------------------

def test_init_creates_a_project_with_the_shipped_codebook(tmp_path):
    assert main(["init", str(tmp_path / "mine")]) == 0
    project = Project(tmp_path / "mine")
    assert project.events_file.is_file() and project.transcripts.is_dir()
    for name in ("topics.yaml", "stances.yaml", "roles.yaml", "sentiment.yaml"):
        assert (project.codebook_dir / name).read_bytes() == \
            (default_codebook_dir() / name).read_bytes()
    assert codebook(project).ids == codebook(SEEDS).ids
    with pytest.raises(TranscriptError, match="a project already exists here"):
        init_project(project.root)


def test_an_empty_codebook_project_loads_and_codes_nothing(tmp_path):
    project = init_project(tmp_path / "blank", empty=True)
    assert codebook(project).ids == () and stance_cues(project).ids == ()
    shutil.copy(FINANCE / "transcripts" / "2024-03-05_e101.txt", project.transcripts)
    project.events_file.write_text(
        "events:\n  - {event_id: e101, title: t, date: 2024-03-05, organiser: o, format: f,\n"
        "     file: 2024-03-05_e101.txt, parser: auto}\n", encoding="utf-8")
    corpus = load_corpus(project.root)
    assert len(corpus.utterances) > 5
    assert topic_table(corpus).empty and stance_table(corpus).empty
    assert topic_frequencies(corpus, "event_id").empty


# --- a different domain's codebook, end to end ---------------------------------------------

@pytest.fixture(scope="module")
def finance():
    return load_corpus(FINANCE)


def test_finance_codebook_drives_ids_names_colours_and_roles(finance):
    book, cues, book_roles = codebook(finance.root), stance_cues(finance.root), roles(finance.root)
    assert book.ids == ("rates", "equities", "property", "bonds", "allocation")
    assert cues.ids == ("rate_cuts", "equities_undervalued")
    assert "guest_analyst" in book_roles.ids and "investor" not in book_roles.ids
    topics = topic_table(finance)
    assert set(topics["topic"]) == set(book.ids)
    assert set(stance_table(finance)["target"]) == set(cues.ids)
    assert plots.topic_colors(finance.root) == book.colors()
    assert set(finance.speakers["role"]) <= set(book_roles.ids)
    freq = topic_frequencies(finance, "event_id", topics=topics)
    assert len(freq) == 3 * 5


def _utterance(corpus, event_id: str, opening: str) -> str:
    """The analysis unit holding a quoted opening."""
    rows = corpus.units[(corpus.units["event_id"] == event_id)
                        & corpus.units["text"].str.contains(opening, regex=False)]
    assert len(rows) == 1, opening
    return rows["unit_id"].iloc[0]


@pytest.mark.parametrize("event_id, opening, target, stance", [
    ("e101_rate_cut_equities", "嗯，我的判断是还会降", "rate_cuts", 1),
    ("e101_rate_cut_equities", "降息我觉得可能还会有一次", "rate_cuts", -1),
    ("e101_rate_cut_equities", "我觉得是低估的", "equities_undervalued", 1),
    ("e102_bond_rally", "我觉得还会降", "rate_cuts", 1),
    ("e102_bond_rally", "我倒是没那么乐观", "equities_undervalued", -1),
    ("e103_property_package", "港股的市盈率到现在也就十倍出头", "equities_undervalued", 1),
])
def test_finance_stances_from_the_authors_gold(finance, event_id, opening, target, stance):
    uid = _utterance(finance, event_id, opening)
    rows = stance_table(finance)
    row = rows[(rows["unit_id"] == uid) & (rows["target"] == target)]
    assert row["stance"].tolist() == [stance]


def test_a_stance_needs_its_subject_in_the_unit(finance):
    """可是便宜了好久了啊 says 'cheap' (a pro cue) without naming any market: no stance."""
    uid = _utterance(finance, "e101_rate_cut_equities", "可是便宜了好久了啊")
    assert uid not in set(stance_table(finance)["unit_id"])


def test_adding_a_topic_to_the_codebook_needs_no_python(tmp_path):
    """`robotics` added to a project's topics.yaml shows up in the topic table, the
    frequencies, the colours, overrides and the evaluation, other colours unchanged."""
    project = tmp_path / "example"
    shutil.copytree(SEEDS, project)
    before = plots.topic_colors(project)
    path = project / "codebook" / "topics.yaml"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n  robotics:\n"
                    "    zh: 机器人\n    en: Robotics\n    keywords: [机器人, 具身智能, 人形机器人]\n",
                    encoding="utf-8")
    (project / "overrides.yaml").write_text(
        "overrides:\n  - {event_id: seamate_no86, snippet: 也没有把它当成生成的模型做, topic: robotics, note: test}\n",
        encoding="utf-8")
    corpus = load_corpus(project)
    assert codebook(project).ids[-1] == "robotics"
    topics = topic_table(corpus)
    assert "robotics" in set(topics["topic"])
    assert (topics[topics["topic"] == "robotics"]["source"] == "override").any()
    freq = topic_frequencies(corpus, "event_id", topics=topics)
    assert set(freq["topic"]) == set(codebook(project).ids)
    colors = plots.topic_colors(project)
    assert colors["robotics"] == derived_color("robotics")
    assert {k: v for k, v in colors.items() if k != "robotics"} == before
    gold = load_gold()
    gold = gold[gold["corpus"] == "example"]
    discussed, _, _ = predict(gold, codebook(project), stance_cues(project))
    summary, per_topic = score_topics(gold, discussed, list(codebook(project).ids))
    assert "robotics" in set(per_topic["topic"]) and summary["units"] == 300


def test_unknown_topic_in_overrides_names_the_projects_ids(tmp_path):
    project = tmp_path / "finance"
    shutil.copytree(FINANCE, project)
    (project / "overrides.yaml").write_text(
        "overrides:\n  - {event_id: e101_rate_cut_equities, snippet: 还会降, topic: compute}\n",
        encoding="utf-8")
    with pytest.raises(TranscriptError, match="unknown topic 'compute'.*rates, equities"):
        topic_table(load_corpus(project))


def test_roles_file_is_validated(tmp_path):
    project = tmp_path / "finance"
    shutil.copytree(FINANCE, project)
    path = project / "codebook" / "roles.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"\n  unattributed:[^\n]*", "", text), encoding="utf-8")
    with pytest.raises(TranscriptError, match="role 'unattributed' is missing"):
        load_corpus(project)
    path.write_text(text, encoding="utf-8")
    events = project / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace("role: host}", "role: investor}", 1),
                      encoding="utf-8")
    with pytest.raises(MetadataError, match="unknown role 'investor'.*codebook/roles.yaml"):
        load_corpus(project)


# --- no speaker is silently dropped --------------------------------------------------------

def test_the_largest_speaker_without_metadata_is_in_every_per_speaker_table(finance):
    table = describe.speaker_table(finance)
    event = table[table["event_id"] == "e103_property_package"]
    top = event.iloc[0]
    assert top["name"] == "李娜" and top["role"] == "unknown" and top["role_name"] == "身份未知"
    assert bool(top["is_person"])
    people = table[table["is_person"] & (table["n_chars"] > 0)]
    assert top["speaker_id"] in set(people["speaker_id"])
    by_speaker = topic_frequencies(finance, "speaker_id")
    assert top["speaker_id"] in set(by_speaker["speaker_id"])
    stances = stance_summary(finance, "speaker_id")
    assert top["speaker_id"] in set(stances["speaker_id"])
    roles_table = describe.speakers_by_role(finance)
    assert "身份未知" in set(roles_table["role_name"].astype(str))
    coverage = describe.attribution_coverage(finance)
    named = coverage[(coverage["event_id"] == "e103_property_package")
                     & (coverage["status"] == "named")]
    assert named["share"].iloc[0] == 1.0


def test_pools_are_not_people_and_show_in_the_coverage_chart(corpus):
    table = describe.speaker_table(corpus)
    pools = table[~table["is_person"]]
    assert set(pools["role"]) <= {"editor", "audience", "anonymous", "unattributed"}
    assert "indigo_talk.unattributed" in set(pools["speaker_id"])
    coverage = describe.attribution_coverage(corpus)
    shares = coverage.groupby("event_id")["share"].sum()
    assert ((shares - 1).abs() < 1e-3).all()
    indigo = coverage[coverage["event_id"] == "indigo_talk"].set_index("status")["share"]
    assert indigo["pool"] > 0.5 and indigo["inferred"] > 0.1


def _talk(make_seeds, speakers: str, text: str) -> Path:
    """A one-event project whose entry ends with the given `speakers:` lines."""
    head = ("events:\n  - event_id: talk\n    title: t\n    date: 2024-01\n    organiser: o\n"
            "    format: f\n    file: talk.txt\n    parser: auto\n    speakers:\n")
    return make_seeds(head + speakers, {"talk.txt": text})


def test_events_yaml_maps_export_labels_to_people(make_seeds):
    root = _talk(make_seeds, "      发言人1: {name: 张小珺, role: host}\n      发言人2: 李四\n",
                 "发言人1：你好，欢迎收听。\n发言人2：谢谢邀请。\n发言人1：我们开始吧。\n"
                 "发言人2：好的。\n发言人3：我也说一句。\n发言人3：再说一句。\n")
    corpus = load_corpus(root)
    speakers = corpus.speakers.set_index("name")
    assert speakers.loc["张小珺", "role"] == "host"
    assert speakers.loc["李四", "role"] == "unknown"
    assert speakers.loc["发言人3", "role"] == "unknown"  # a label nobody described: kept
    assert set(corpus.spoken()["speaker"]) == {"张小珺", "李四", "发言人3"}


def test_a_bad_speaker_map_is_reported_with_its_line(make_seeds):
    root = _talk(make_seeds, "      发言人1: {role: host}\n", "发言人1：你好。\n发言人1：再见。\n")
    with pytest.raises(MetadataError, match=r"events.yaml:10: speaker label '发言人1' needs a"):
        load_corpus(root)


# --- codebook fit --------------------------------------------------------------------------

def test_codebook_fit_marks_an_event_the_codebook_was_not_written_for(tmp_path, corpus):
    """The AI codebook over the example corpus plus one finance episode: the finance episode
    is low-fit, its AI stance rows are left out of stance summaries unless asked for."""
    project = tmp_path / "mixed"
    shutil.copytree(SEEDS, project)
    shutil.copy(FINANCE / "transcripts" / "2024-04-12_e102.txt", project / "transcripts")
    events = project / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8") + (
        "\n  - {event_id: finance_102, title: 债市还能追吗, date: 2024-04-12, organiser: o,\n"
        "     format: f, file: 2024-04-12_e102.txt, parser: auto}\n"), encoding="utf-8")
    mixed = load_corpus(project)
    fit = codebook_fit(mixed).set_index("event_id")
    assert bool(fit.loc["finance_102", "low_fit"])
    assert not fit.drop(index="finance_102")["low_fit"].any()
    assert fit.loc["finance_102", "fit_ratio"] < 0.3 < fit.drop(index="finance_102")["fit_ratio"].min() - 0.15
    table = describe.event_table(mixed)
    assert {"hits_per_10k", "topic_share", "fit_ratio", "low_fit"} <= set(table.columns)
    assert describe.event_labels(mixed)["finance_102"].endswith("（低契合）")
    summary = stance_summary(mixed, "event_id")
    assert "finance_102" not in set(summary["event_id"])
    scored = stance_table(mixed)
    if (scored["event_id"] == "finance_102").any():
        assert "finance_102" in set(stance_summary(mixed, "event_id",
                                                   include_low_fit=True)["event_id"])


def test_fit_needs_three_events_to_compare(finance):
    two = codebook_fit(finance).head(2)
    assert len(codebook_fit(finance)) == 3
    assert two["hits_per_10k"].gt(0).all()


# --- many transcripts at once --------------------------------------------------------------

def _episode_files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "incoming"
    folder.mkdir()
    names = {"2024-03-05_e101.txt": "2024-03-05 慢钱说 Vol101.txt",
             "2024-04-12_e102.txt": "2024-04-12 慢钱说 Vol102.txt",
             "2024-05-20_e103.srt": "慢钱说 Vol103 20240520.srt"}
    for source, name in names.items():
        shutil.copy(FINANCE / "transcripts" / source, folder / name)
    return sorted(folder.iterdir())


def test_add_many_files_reads_dates_and_gives_readable_ids(tmp_path, capsys):
    project = init_project(tmp_path / "podcast")
    files = _episode_files(tmp_path)
    assert main(["--project", str(project.root), "add", str(tmp_path / "incoming"),
                 "--series", "慢钱说"]) == 0
    out = capsys.readouterr().out
    assert out.count("\nadded ") + out.startswith("added ") == 3
    corpus = load_corpus(project.root)
    events = corpus.events.set_index("event_id")
    assert len(events) == 3
    for event_id in events.index:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,39}", event_id) and not event_id.endswith("_")
        assert event_id.startswith("man_qian_shuo_") and re.search(r"10[123]", event_id)
    assert sorted(events["date"].dt.strftime("%Y-%m-%d")) == ["2024-03-05", "2024-04-12",
                                                             "2024-05-20"]
    assert set(events["series"]) == {"慢钱说"} and set(events["organiser"]) == {"慢钱说"}
    assert all(len(label) <= 20 for label in events["label"])
    for path in files:  # copied byte for byte
        assert any(p.read_bytes() == path.read_bytes() for p in project.transcripts.iterdir())


def test_add_is_all_or_nothing_and_refuses_per_file_options_for_many(tmp_path, capsys):
    project = init_project(tmp_path / "podcast")
    files = _episode_files(tmp_path)
    before = project.events_file.read_bytes()
    broken = tmp_path / "incoming" / "no date here.txt"
    broken.write_text("主持人：你好。\n嘉宾：你好。\n主持人：开始吧。\n", encoding="utf-8")
    assert main(["--project", str(project.root), "add", *map(str, files), str(broken)]) == 2
    assert "no date in the file's header or name" in capsys.readouterr().err
    assert project.events_file.read_bytes() == before
    assert list(project.transcripts.iterdir()) == []
    assert main(["--project", str(project.root), "add", *map(str, files),
                 "--title", "x"]) == 2
    assert "--title can only be given for a single file" in capsys.readouterr().err
    assert main(["--project", str(project.root), "add", str(tmp_path / "nothing*.txt")]) == 2
    assert "matches no file" in capsys.readouterr().err


def test_add_with_a_label_and_glob(tmp_path, monkeypatch):
    project = init_project(tmp_path / "podcast")
    _episode_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["--project", str(project.root), "add", "incoming/*101*.txt",
                 "--label", "慢钱 101"]) == 0
    events = load_corpus(project.root).events
    assert events["label"].tolist() == ["慢钱 101"]
    assert events["event_id"].tolist() == ["man_qian_101"]


def test_the_default_project_is_found_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ANALYSIS_PROJECT", str(FINANCE))
    assert Project.find().root == FINANCE
    monkeypatch.delenv("ANALYSIS_PROJECT")
    monkeypatch.delenv("ANALYSIS_SEEDS", raising=False)
    monkeypatch.chdir(FINANCE / "transcripts")
    assert Project.find().root == FINANCE  # a project folder itself, from inside it
    monkeypatch.chdir(tmp_path)
    assert Project.find(ROOT / "notebooks").root == ROOT / "seeds"
    assert pd.api.types.is_string_dtype(load_corpus().events["event_id"])


# --- an archive of many events: charts pool them --------------------------------------------

@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """40 short episodes of two series over two years, made from the finance transcripts."""
    root = tmp_path_factory.mktemp("archive")
    (root / "transcripts").mkdir()
    source = (FINANCE / "transcripts" / "2024-03-05_e101.txt").read_text(encoding="utf-8")
    lines = [line for line in source.splitlines() if "：" in line]
    entries = []
    for i in range(40):
        name = f"ep{i:02d}.txt"
        window = lines[i % 5:i % 5 + 12]
        window = window[i // 5:] + window[:i // 5]  # 40 different transcripts
        (root / "transcripts" / name).write_text("\n".join(window) + "\n", encoding="utf-8")
        month = 1 + (i * 7) % 24
        entries.append(f"  - {{event_id: ep{i:02d}, title: t{i}, series: {'AB'[i % 2]}台, "
                       f"date: {2022 + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}-0{1 + i % 9},"
                       f"\n     organiser: o, format: f, file: {name}, parser: auto}}")
    (root / "events.yaml").write_text("events:\n" + "\n".join(entries) + "\n", encoding="utf-8")
    shutil.copytree(FINANCE / "codebook", root / "codebook")
    return load_corpus(root)


def test_many_events_are_pooled_by_period_or_series(archive):
    groups = describe.event_groups(archive, 30)
    assert groups.kind == "month" and len(groups.order) == 24
    assert set(groups.of) == set(archive.events["event_id"])
    assert sum(groups.sizes.values()) == 40
    assert groups.order == sorted(groups.order)  # date order
    assert "40 场活动按月分为 24 组" in groups.caption("x")
    by_series = describe.event_groups(archive, 8, prefer="series")
    assert by_series.kind == "series" and by_series.order == ["A台", "B台"]
    assert describe.event_groups(archive, 10).kind == "quarter"
    assert describe.event_groups(archive, 5).kind == "half"
    few = describe.event_groups(archive, 3)
    assert few.kind == "year" and few.order == ["2022", "2023"]
    assert describe.event_groups(archive, 40).kind == "event"


def test_pooled_tables_add_up_to_the_events(archive):
    groups = describe.event_groups(archive, 30)
    pool = describe.pooled_corpus(archive, groups)
    assert list(pool.events["event_id"]) == groups.order
    assert pool.events["n_chars"].sum() == archive.events["n_chars"].sum()
    assert set(pool.utterances["event_id"]) == set(groups.order)
    topics = topic_table(archive)
    freq = topic_frequencies(archive, "event_group", topics=topics, groups=groups.of)
    assert set(freq["event_group"]) == set(groups.order)
    assert freq.groupby("event_group")["group_chars"].first().sum() == \
        topic_frequencies(archive, "event_id", topics=topics) \
        .groupby("event_id")["group_chars"].first().sum()
    summary = stance_summary(archive, "event_group", groups=groups.of)
    assert set(summary["event_group"]) <= set(groups.order)
    coverage = describe.attribution_coverage(pool)
    assert set(coverage["label"]) == set(groups.labels.values())


def test_tables_are_coded_once_per_corpus_and_afresh_after_an_edit(tmp_path):
    project = tmp_path / "finance"
    shutil.copytree(FINANCE, project)
    corpus = load_corpus(project)
    first = topic_table(corpus)
    first.loc[:, "topic"] = "changed by the caller"  # a caller's edit must not leak
    again = topic_table(corpus)
    assert (again["topic"] != "changed by the caller").all()
    path = project / "codebook" / "topics.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\n  bonds:", "\n  fixed_income:", 1),
                    encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    edited = topic_table(corpus)
    assert "fixed_income" in set(edited["topic"]) and "bonds" not in set(edited["topic"])


def test_review_fixes_pooled_people_latin_ids_reserved_ids_and_names_with_brackets(
        archive, make_seeds, tmp_path, capsys):
    from analysis.project.metadata import name_slug

    groups = describe.event_groups(archive, 3, prefer="series")
    pool = describe.pooled_corpus(archive, groups)
    roles_table = describe.speakers_by_role(pool)
    people = archive.speakers[archive.speakers["n_utterances"] > 0] \
        .assign(group=lambda f: f["event_id"].map(groups.of))
    assert roles_table["n_speakers"].sum() == people.groupby(["group", "role"])["name"].nunique().sum()
    assert describe.event_table(pool)["series"].tolist() == ["A台", "B台"]
    assert name_slug("Sam Altman") == "sam_altman" and name_slug("李Kevin") == "li_kevin"
    root = _talk(make_seeds, "      发言人1: {id: unattributed, name: 王五}\n",
                 "发言人1：你好。\n发言人1：再见。\n")
    with pytest.raises(MetadataError, match="reserved for unnamed voices"):
        load_corpus(root)
    project = init_project(tmp_path / "pj")
    odd = tmp_path / "2024-01-02_talk [final].txt"
    shutil.copy(FINANCE / "transcripts" / "2024-03-05_e101.txt", odd)
    assert main(["--project", str(project.root), "add", str(odd)]) == 0
    capsys.readouterr()


def test_a_failed_add_restores_events_yaml_byte_for_byte(tmp_path, capsys):
    project = init_project(tmp_path / "pj")
    crlf = project.events_file.read_bytes().replace(b"\n", b"\r\n").replace(
        b"events: []", b"events: [oops")  # broken YAML: loading the corpus fails
    project.events_file.write_bytes(crlf)
    source = tmp_path / "2024-01-02_talk.txt"
    shutil.copy(FINANCE / "transcripts" / "2024-03-05_e101.txt", source)
    assert main(["--project", str(project.root), "add", str(source)]) == 2
    assert project.events_file.read_bytes() == crlf
    assert list(project.transcripts.iterdir()) == []
    capsys.readouterr()


def test_an_event_without_spoken_text_is_not_called_low_fit(corpus):
    emptied = corpus.utterances.assign(kind=corpus.utterances["kind"].where(
        corpus.utterances["event_id"] != "monica_podcast", "meta"))
    from dataclasses import replace

    fit = codebook_fit(replace(corpus, utterances=emptied, memo={})).set_index("event_id")
    assert not bool(fit.loc["monica_podcast", "low_fit"])
    assert fit.loc["monica_podcast", "fit_ratio"] != fit.loc["monica_podcast", "fit_ratio"]
    assert not fit["low_fit"].any()
