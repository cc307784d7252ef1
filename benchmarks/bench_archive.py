"""Cost of an archive-sized project against the 5-event example project, in the same run.

Builds a synthetic project (default 200 events, ~20 MB of UTF-8 transcripts): events.yaml,
transcripts/ and a copy of seeds/codebook/. The texts recombine the spoken utterances of
seeds/ and tests/samples/ (read through the real loader and parsers): each synthetic event
draws on the utterances of 2-4 source events, each of its sentences splices the opening
clauses of one source sentence with the closing clauses of another, so no two transcripts
are alike and utterance texts almost never repeat (the token cache is keyed on the text:
repeats would flatter it). Most events are `姓名：text` labelled lines (2-6 invented
speakers), some SRT subtitles with `Name: ` cue prefixes, some plain paragraphs; 3-5
invented podcast series; dates spread unevenly over 2022-2025; participants listed for
some speakers only (the others come out with role `unknown`). Everything is drawn from
random.Random(13): the same arguments give byte-identical projects.

Then times the library steps on seeds/ (the baseline, best of --repeat runs) and on the
archive (one run) in this process, each project with its own empty token cache
($ANALYSIS_CACHE), so the first tokens_table is cold and the second warm. Prints seconds,
archive / seeds, archive MB/s, and that ratio divided by the size ratio (archive characters
/ seeds characters): 1.0 means the step's cost grows linearly with the text.

With --notebooks it also times the main job, `python -m analysis report`, in one copy of the
workspace (the repository without .venv, .git, .cache, build), first with ANALYSIS_PROJECT
at the copy's seeds/, then at each archive (each run with an empty token cache), and prints
wall times and per-notebook times. A notebook that fails is reported (name and the last lines
of its error) and the notebooks the failed run did not report are run again on their own.

    python benchmarks/bench_archive.py [--events N[,N...]] [--size-mb MB] [--out DIR]
                                       [--notebooks] [--keep-figures DIR] [--no-steps]
                                       [--repeat K]

--size-mb is the size of the largest archive listed in --events; smaller ones keep its MB
per event (--events 8,30 --size-mb 2: 0.53 MB and 2 MB). --out DIR keeps each built project
as DIR/<n>/ (default: a temporary folder); --keep-figures DIR copies each notebook run's
figures/ to DIR/seeds/ and DIR/<n>/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = 13
MB = 1e6
HEADER = "# Synthetic archive built by benchmarks/bench_archive.py"

# invented podcast series: name, event_id prefix, host, co-host (or None)
SERIES = [
    ("算力夜谈", "suanli_yetan", "林晓舟", None),
    ("模型之外", "moxing_zhiwai", "周以宁", "韩冬"),
    ("出海电台", "chuhai_diantai", "陶一鸣", None),
    ("硅谷慢半拍", "guigu_manbanpai", "白若溪", "程远"),
    ("开源茶馆", "kaiyuan_chaguan", "钟亦凡", None),
]
SERIES_WEIGHTS = [0.34, 0.26, 0.2, 0.12, 0.08]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍鹏辉玲宇浩凯健俊帆晨欣怡子轩梓涵一诺博文思远雨泽")
AFFILIATIONS = ["星河资本", "深流科技", "云杉实验室", "澄明智能", "北辰创投", "万象云", "拾光数据",
                "远帆机器人", "青禾基金", "知行大模型", "矩阵算力", "南山研究院"]
TITLES = {"investor": ["合伙人", "投资总监", "董事总经理"],
          "founder_exec": ["创始人兼CEO", "联合创始人", "CTO"],
          "engineer_researcher": ["算法工程师", "研究员", "首席科学家"],
          "product": ["产品负责人", "产品经理"]}
THEMES = ["大模型创业的下半场", "算力还贵吗", "开源和闭源", "AI 应用怎么赚钱", "出海做 SaaS",
          "Agent 到底能做什么", "向量数据库与 RAG", "端侧模型", "数据才是护城河", "投资人怎么看 AIGC",
          "从 GPT-4 说起", "多模态的机会", "推理成本的账", "企业私有化部署", "AI 与内容创作"]
FORMATS = {  # name: (parser, weight, file extension, format in words)
    "labelled": ("labelled_lines", 0.70, "txt",
                 "podcast transcript (edited, `姓名：` labelled turns)"),
    "subtitles": ("subtitles", 0.15, "srt", "subtitles (SRT, `Name: ` prefix in every cue)"),
    "paragraphs": ("paragraphs", 0.15, "txt", "plain text notes (paragraphs, no speakers)"),
}

_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;」”）)]*")
_CLAUSE = re.compile(r"[^，。！？；,!?;、]+[，。！？；,!?;、」”）)]*")
_CJK_END = re.compile(r"[。！？；，、」”）]$")
_OPEN_END = re.compile(r"[。！？!?；;，,、.：:\s]+$")
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef」”）]")
_LOOKS_LABELLED = re.compile(r"^\s*(?:\*\*|【|[^：:\n]{0,25}[：:])")


# --- source material -----------------------------------------------------------------------

def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(re.sub(r"\s+", " ", text)) if len(s.strip()) >= 4]


def source_pools() -> dict[str, list[list[str]]]:
    """Spoken utterances (as lists of sentences) per seed event, plus one pool of the
    samples' utterances, each sample read through the parser its content is detected as."""
    import pandas as pd

    from analysis import load_corpus
    from analysis.project.metadata import EventMeta
    from analysis.ingest.parsers import PARSERS
    from analysis.ingest.parsers.detect import detect
    from analysis.ingest.sources import read_source

    corpus = load_corpus(ROOT / "seeds")
    pools: dict[str, list[list[str]]] = {}
    for event_id, texts in corpus.spoken().groupby("event_id", sort=True)["text"]:
        pools[event_id] = [s for s in map(sentences, texts) if s]
    samples = []
    for path in sorted((ROOT / "tests" / "samples").iterdir()):
        if not path.is_file():  # exports/ holds whole export files with their own EXPECTED
            continue
        source = read_source(path)
        parser = detect(source.text).parser
        meta = EventMeta(event_id="sample", title=path.stem, date=pd.Timestamp(2023, 1, 1),
                         date_precision="day", organiser="samples", format="sample",
                         file=path.name, parser=parser)
        samples += [u.text for u in PARSERS[parser](source, meta).units
                    if u.kind in ("speech", "question")]
    pools["samples"] = [s for s in map(sentences, samples) if s]
    return pools


def join(parts: list[str]) -> str:
    text = parts[0]
    for part in parts[1:]:
        text += part if _CJK_END.search(text) else " " + part
    return text


def spliced(rng: random.Random, pool: list[list[str]]) -> str:
    """A new sentence: the opening clauses of one source sentence joined to the closing
    clauses of another (whole clauses, so the words and phrases stay real)."""
    first = rng.choice(rng.choice(pool))
    second = rng.choice(rng.choice(pool))
    head = _CLAUSE.findall(first) or [first]
    tail = _CLAUSE.findall(second) or [second]
    head = _OPEN_END.sub("", "".join(head[:rng.randint(1, len(head))]))
    tail = "".join(tail[rng.randrange(len(tail)):]).strip()
    if not head:
        return tail
    return head + ("，" if _CJK.search(head[-1:]) else ", ") + tail


def make_turn(rng: random.Random, pool: list[list[str]], most: int) -> str:
    """1..most spliced sentences."""
    return join([spliced(rng, pool) for _ in range(rng.randint(1, most))])


# --- one synthetic event ---------------------------------------------------------------

class Names:
    """Invented Chinese names, unique across the archive (hosts excluded from guests)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken = {host for _, _, host, _ in SERIES} | {c for *_, c in SERIES if c}
        self.guests: list[str] = []

    def new(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + "".join(
                self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            if name not in self.taken:
                self.taken.add(name)
                return name

    def guest(self) -> str:
        """A new guest, or (one time in four) one who has been on a show before."""
        if self.guests and self.rng.random() < 0.25:
            return self.rng.choice(self.guests)
        name = self.new()
        self.guests.append(name)
        return name


def srt_time(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def cue_chunks(text: str, width: int = 30) -> list[str]:
    chunks, current = [], ""
    for clause in _CLAUSE.findall(text) or [text]:
        while len(clause) > width:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(clause[:width])
            clause = clause[width:]
        if current and len(current) + len(clause) > width:
            chunks.append(current)
            current = ""
        current += clause
    if current:
        chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]


def turn_bytes(fmt: str, name: str, text: str) -> int:
    """What a turn adds to the file: a labelled line, or one cue (number, timing line,
    `Name: ` prefix) per chunk of subtitles."""
    if fmt == "subtitles":
        chunks = cue_chunks(text)
        return sum(len(c.encode("utf-8")) for c in chunks) \
            + len(chunks) * (len(name.encode("utf-8")) + 38)
    return len(text.encode("utf-8")) + len(name.encode("utf-8")) + 4


def dialogue(rng: random.Random, pool, speakers: list[str], budget: int,
             fmt: str) -> list[tuple[str, str]]:
    """(speaker, text) turns filling about `budget` bytes of the file: the host (first)
    asks, guests answer, the first guest most; every speaker has at least two turns."""
    host, guests = speakers[0], speakers[1:]
    weights = [1.0 / (i + 1) for i in range(len(guests))]
    turns, size = [], 0
    while size < budget:
        round_ = [(host, make_turn(rng, pool, 1))]
        for _ in range(rng.randint(1, 3)):
            round_.append((rng.choices(guests, weights)[0], make_turn(rng, pool, 4)))
        turns += round_
        size += sum(turn_bytes(fmt, name, text) for name, text in round_)
    for name in speakers:
        while sum(s == name for s, _ in turns) < 2:
            turns.append((name, make_turn(rng, pool, 2)))
    return turns


def write_labelled(rng, title: str, turns) -> str:
    lines = [title, "录音整理，未经嘉宾审阅", ""]
    for name, text in turns:
        parts = sentences(text)
        if len(parts) > 1 and rng.random() < 0.08:  # a turn continued on an unlabelled line
            cut = rng.randrange(1, len(parts))
            rest = join(parts[cut:])
            if not _LOOKS_LABELLED.match(rest):
                lines += [f"{name}：{join(parts[:cut])}", rest]
                continue
        lines.append(f"{name}：{text}")
    return "\n".join(lines) + "\n"


def write_subtitles(rng, turns) -> str:
    blocks, clock, number = [], rng.randrange(2000, 9000), 0
    for name, text in turns:
        for chunk in cue_chunks(text):
            number += 1
            length = max(800, 220 * len(chunk))
            blocks.append(f"{number}\n{srt_time(clock)} --> {srt_time(clock + length)}\n"
                          f"{name}: {chunk}\n")
            clock += length + 200
        clock += 700
    return "\n".join(blocks)


def write_paragraphs(rng, pool, title: str, budget: int) -> str:
    paragraphs, size = [title], 0
    while size < budget:
        paragraph = join([make_turn(rng, pool, 3) for _ in range(rng.randint(1, 3))])
        paragraphs.append(paragraph)
        size += len(paragraph.encode("utf-8")) + 2
    return "\n\n".join(paragraphs) + "\n"


def slug(name: str, taken: set[str]) -> str:
    from analysis.project.metadata import name_slug

    pid = name_slug(name)
    while pid in taken:
        pid += "_2"
    taken.add(pid)
    return pid


# --- the project -----------------------------------------------------------------------

def build_archive(folder: Path, n_events: int, megabytes: float, pools) -> dict:
    """Write the project; returns what was built (bytes, formats, series, years)."""
    import yaml

    rng = random.Random(SEED)
    names = Names(rng)
    seed_events = list(pools)
    n_series = 3 if n_events < 20 else 4 if n_events < 100 else 5
    series = SERIES[:n_series]
    series_weights = SERIES_WEIGHTS[:n_series]
    sizes = [rng.lognormvariate(0, 0.5) for _ in range(n_events)]
    budgets = [int(megabytes * MB * s / sum(sizes)) for s in sizes]
    first, span = dt.date(2022, 1, 1), (dt.date(2025, 12, 31) - dt.date(2022, 1, 1)).days
    plan = []
    for i in range(n_events):
        fmt = (["labelled", "subtitles", "paragraphs"][i] if i < 3 else
               rng.choices(list(FORMATS), [f[1] for f in FORMATS.values()])[0])
        show = series[i % n_series] if i < n_series else rng.choices(series, series_weights)[0]
        if plan and rng.random() < 0.12:  # two episodes published the same day
            date = rng.choice(plan)["date"]
        else:  # fewer in 2022, most in 2023-2024
            date = first + dt.timedelta(days=int(span * rng.betavariate(2.0, 1.5)))
        plan.append({"format": fmt, "series": show, "date": date, "budget": budgets[i]})
    for show in series:  # episode numbers follow the dates within a series
        mine = sorted((p for p in plan if p["series"] is show), key=lambda p: p["date"])
        start = rng.choice((1, 1, 12, 40))
        for k, p in enumerate(mine):
            p["number"] = start + k

    transcripts = folder / "transcripts"
    transcripts.mkdir(parents=True)
    shutil.copytree(ROOT / "seeds" / "codebook", folder / "codebook")
    entries, digests = [], {}
    for i, p in enumerate(plan):
        name, prefix, host, cohost = p["series"]
        number = p["number"]
        event_id = f"{prefix}_ep{number:03d}"
        theme = rng.choice(THEMES)
        title = f"《{name}》第{number}期 {theme}"
        sources = rng.sample(seed_events, rng.randint(2, 4))
        pool = [u for event in sources for u in pools[event]]
        parser, _, ext, described = FORMATS[p["format"]]
        participants = []
        if p["format"] == "paragraphs":
            text = write_paragraphs(rng, pool, title, p["budget"])
        else:
            hosts = [host] + ([cohost] if cohost and rng.random() < 0.5 else [])
            guests, wanted = [], rng.randint(2, 6)
            while len(hosts) + len(guests) < wanted or not guests:
                guest = names.guest()
                if guest not in guests:
                    guests.append(guest)
            turns = dialogue(rng, pool, hosts + guests, p["budget"], p["format"])
            ids: set[str] = set()
            for h in hosts:
                participants.append({"id": slug(h, ids), "name": h, "affiliation": name,
                                     "title": "主持人", "role": "host"})
            for k, guest in enumerate(guests):
                # some guests listed, the others come out as speakers with role `unknown`
                # (the last guest of the first event always unlisted)
                if (i == 0 and k == len(guests) - 1) or rng.random() >= 0.55:
                    continue
                role = rng.choice(list(TITLES))
                participants.append({"id": slug(guest, ids), "name": guest,
                                     "affiliation": rng.choice(AFFILIATIONS),
                                     "title": rng.choice(TITLES[role]), "role": role})
            text = (write_labelled(rng, title, turns) if p["format"] == "labelled"
                    else write_subtitles(rng, turns))
        file = f"{p['date'].isoformat()}_{event_id}.{ext}"
        data = text.encode("utf-8")
        (transcripts / file).write_bytes(data)
        digests[file] = hashlib.sha256(data).hexdigest()
        entry = {"event_id": event_id, "label": f"{name} {number}", "series": name,
                 "title": title, "date": p["date"].isoformat(), "organiser": f"{name}（播客）",
                 "format": described, "file": file, "original_file": f"{name}_{number}.{ext}",
                 "parser": parser}
        if participants:
            entry["participants"] = participants
        entry["notes"] = ("Synthetic: recombined utterances of " + ", ".join(sources) + ".")
        entries.append(entry)
    header = (f"{HEADER} (--events {n_events}, --size-mb {megabytes:g}, seed {SEED}):\n"
              "# texts recombine the utterances of seeds/ and tests/samples/. Do not edit.\n")
    (folder / "events.yaml").write_text(
        header + yaml.safe_dump({"events": entries}, allow_unicode=True, sort_keys=False,
                                width=100), encoding="utf-8")
    if len(set(digests.values())) != len(digests):
        raise SystemExit(f"{folder}: two transcripts are byte-identical; change the generator")
    counts = {f: sum(p["format"] == f for p in plan) for f in FORMATS}
    by_series = {s[0]: sum(p["series"] is s for p in plan) for s in series}
    years = {y: sum(p["date"].year == y for p in plan) for y in range(2022, 2026)}
    return {"bytes": sum((transcripts / f).stat().st_size for f in digests),
            "formats": counts, "series": by_series, "years": years,
            "distinct": len(set(digests.values()))}


def prepare_folder(folder: Path) -> None:
    """An empty folder, or one holding an archive this script built (rebuilt)."""
    events = folder / "events.yaml"
    if folder.exists() and any(folder.iterdir()):
        if not (events.is_file() and events.read_text(encoding="utf-8").startswith(HEADER)):
            raise SystemExit(f"{folder} exists and is not an archive built by this script; "
                             "choose another --out")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)


# --- in-process steps ------------------------------------------------------------------

def steps():
    """(name, function of the corpus) in the order they run; the two tokens_table steps
    must stay first: the first fills the project's empty cache, the second reads it."""
    import analysis
    from analysis.measures import compare, describe
    from analysis.coding import codebook_fit

    return [
        ("tokens_table (cold cache)", analysis.tokens_table),
        ("tokens_table (warm cache)", analysis.tokens_table),
        ("topic_table", analysis.topic_table),
        ("stance_table", analysis.stance_table),
        ("topic_frequencies(event_id)", lambda c: analysis.topic_frequencies(c, "event_id")),
        ("stance_summary(speaker_id)", lambda c: analysis.stance_summary(c, "speaker_id")),
        ("keyness_by(event_id, top=10)", lambda c: compare.keyness_by(c, "event_id", top=10)),
        ("entity_network", compare.entity_network),
        ("describe.speaker_table", describe.speaker_table),
        ("codebook_fit", codebook_fit),
    ]


def measure(project: Path, cache: Path, repeat: int) -> tuple[dict[str, float], object]:
    """Seconds per step, the best of `repeat` runs of the whole sequence, each run on a
    freshly loaded corpus (so tables a step memoises on the corpus, `corpus.memo`, serve the
    later steps of the same run only, as in a notebook) with a new empty token cache."""
    from analysis import load_corpus

    times: dict[str, float] = {}
    corpus = None
    for run in range(repeat):
        corpus = None
        started = time.perf_counter()
        corpus = load_corpus(project)
        seconds = {"load_corpus": time.perf_counter() - started}
        os.environ["ANALYSIS_CACHE"] = str(cache / f"run{run}")
        for name, step in steps():
            started = time.perf_counter()
            step(corpus)
            seconds[name] = time.perf_counter() - started
        times = {k: min(v, times.get(k, float("inf"))) for k, v in seconds.items()}
    return times, corpus


def corpus_size(corpus, project: Path) -> dict:
    spoken = corpus.spoken()
    return {"events": len(corpus.events), "utterances": len(corpus.utterances),
            "speakers": int((corpus.speakers["n_utterances"] > 0).sum()),
            "unknown": int(((corpus.speakers["role"] == "unknown")
                            & (corpus.speakers["n_utterances"] > 0)).sum()),
            "chars": sum(len(t) for t in corpus.sources.values()),
            "bytes": sum(p.stat().st_size for p in (project / "transcripts").iterdir()),
            "distinct_texts": spoken["text"].nunique() / max(len(spoken), 1)}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_steps(n: int, base: dict[str, float], times: dict[str, float], seeds: dict,
                size: dict, repeat: int, memo: bool) -> None:
    chars = size["chars"] / seeds["chars"]
    print(f"\nsteps, archive of {n} events against seeds/ (in this order on one corpus; seeds: "
          f"best of {repeat} runs, archive: one run)")
    print(f"size ratio (archive chars / seeds chars): {chars:.1f}x "
          f"({size['chars']:,} / {seeds['chars']:,}); utterances "
          f"{size['utterances'] / seeds['utterances']:.1f}x; events {n / seeds['events']:.0f}x")
    print(f"{'step':<30}{'seeds s':>9}{'archive s':>11}{'arch/seeds':>12}{'MB/s':>8}"
          f"{'per char':>10}")
    for name, seconds in times.items():
        ratio = seconds / base[name]
        print(f"{name:<30}{base[name]:>9.3f}{seconds:>11.2f}{ratio:>12.1f}"
              f"{size['bytes'] / MB / seconds:>8.2f}{ratio / chars:>10.2f}")
    total, base_total = sum(times.values()), sum(base.values())
    print(f"{'all steps':<30}{base_total:>9.3f}{total:>11.2f}{total / base_total:>12.1f}"
          f"{size['bytes'] / MB / total:>8.2f}{total / base_total / chars:>10.2f}")
    print("per char = (archive / seeds) / size ratio: 1.0 linear, above 1 worse than linear")
    if memo:
        print("topic_table and stance_table are memoised on the corpus (corpus.memo): the "
              "later steps reuse them rather than coding again")


# --- the main job in a copy of the workspace -------------------------------------------

_DONE = re.compile(r"\[(\d+)/(\d+)\] (\S+\.ipynb) \.\.\. ([\d.]+) s")
_STARTED = re.compile(r"\[(\d+)/(\d+)\] (\S+\.ipynb) \.\.\. *$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def copy_workspace(target: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", ".git", ".cache", "build", ".hypothesis",
                                    ".pytest_cache", "__pycache__", "*.egg-info", "figures",
                                    "exports")
    shutil.copytree(ROOT, target, ignore=ignore)
    (target / "figures").mkdir()
    return target


def code_version() -> str:
    """The commit measured and the uncommitted files it carries (no dates)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"git {head}; uncommitted changes in analysis/, notebooks/, seeds/: {uncommitted()}"


def uncommitted() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                              "analysis", "notebooks", "seeds"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    files = sorted(line[3:] for line in out.splitlines() if line.strip())
    return ", ".join(files) if files else "none"


def _report_pass(workspace: Path, env: dict, only: list[str] | None, label: str,
                 heartbeat: float) -> tuple[float, int, str, str]:
    command = [sys.executable, "-m", "analysis", "report"] + (["--only", *only] if only else [])
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=workspace, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8",
                               errors="replace")
    out: list[str] = []
    err: list[str] = []

    def read_out():
        for line in process.stdout:
            out.append(line)
            if match := _DONE.search(line):
                print(f"  {label}: {match[3]} {float(match[4]):.1f} s", flush=True)

    def read_err():
        err.extend(process.stderr)

    readers = [threading.Thread(target=read_out), threading.Thread(target=read_err)]
    for reader in readers:
        reader.start()
    while True:
        try:
            process.wait(timeout=heartbeat)
            break
        except subprocess.TimeoutExpired:
            done = sum(bool(_DONE.search(line)) for line in out)
            print(f"  {label}: still running, {time.perf_counter() - started:.0f} s so far, "
                  f"{done} notebook(s) reported", flush=True)
    for reader in readers:
        reader.join()
    return time.perf_counter() - started, process.returncode, "".join(out), "".join(err)


def error_tail(stderr: str, lines: int = 14) -> list[str]:
    """The end of an error: for a failed cell, nbclient's message (the cell's first line
    and the end of the traceback), else the last lines."""
    text = [line.rstrip() for line in _ANSI.sub("", stderr).splitlines() if line.strip()]
    start = max((i for i, line in enumerate(text) if "CellExecutionError" in line
                 or "CellTimeoutError" in line or "DeadKernelError" in line), default=None)
    if start is None:
        return text[-lines:]
    text = text[start:]
    return text if len(text) <= lines + 3 else text[:3] + ["..."] + text[-lines:]


def run_report(workspace: Path, project: Path, cache: Path, label: str,
               keep: Path | None, heartbeat: float = 120.0) -> dict:
    """Run the main job on `project` until every notebook has run (a failure stops the
    report at the failed notebook's line; those it did not report run again with --only)."""
    from analysis.publish.report import notebooks

    shutil.rmtree(workspace / "figures", ignore_errors=True)
    (workspace / "figures").mkdir()
    env = dict(os.environ, PYTHONPATH=str(workspace), ANALYSIS_PROJECT=str(project),
               ANALYSIS_CACHE=str(cache))
    env.pop("ANALYSIS_SEEDS", None)
    names = [p.name for p in notebooks(workspace / "notebooks")]
    times: dict[str, float] = {}
    failures: dict[str, list[str]] = {}
    walls, other = [], None
    print(f"main job on {label} ...", flush=True)
    while remaining := [n for n in names if n not in times and n not in failures]:
        only = remaining if walls else None
        wall, code, out, err = _report_pass(workspace, env, only, label, heartbeat)
        walls.append(wall)
        for match in _DONE.finditer(out):
            times[match[3]] = float(match[4])
        failed = [m[3] for line in out.splitlines() if (m := _STARTED.search(line))]
        if code != 0 and failed:
            failures[failed[-1]] = error_tail(err)
            print(f"  {label}: {failed[-1]} FAILED:\n"
                  + "\n".join("      " + line for line in failures[failed[-1]]), flush=True)
        elif code != 0 or not any(n in times for n in remaining):
            other = error_tail(err) or error_tail(out)
            where = " (the figure manifest and deck, after the failures)" if failures else ""
            print(f"  {label}: report failed outside the notebooks{where} (exit {code})",
                  flush=True)
            break
    # the example's figures are the workspace's own; any other project's go to its output/
    drawn = workspace / "figures" if project == workspace / "seeds" else project / "output" / "figures"
    if keep is not None:
        target = keep / label.split()[-1]
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(drawn, target)
    figures = sorted(p.name for p in drawn.glob("*.png"))
    return {"label": label, "wall": sum(walls), "passes": len(walls), "times": times,
            "failures": failures, "other": other, "figures": len(figures), "names": names,
            "kept": (keep / label.split()[-1]) if keep else None}


def print_notebooks(runs: list[dict], details: bool = True) -> None:
    base = runs[0]
    print("\nmain job (python -m analysis report, 2 notebooks at a time, empty token cache)")
    head = f"{'notebook':<30}{'seeds s':>9}"
    for run in runs[1:]:
        head += f"{run['label'].split()[-1] + ' ev s':>11}{'ratio':>8}"
    print(head)

    def cell(run, name):
        if name in run["failures"]:
            return "FAILED"
        return f"{run['times'][name]:.1f}" if name in run["times"] else "-"

    for name in base["names"]:
        row = f"{name:<30}{cell(base, name):>9}"
        for run in runs[1:]:
            ratio = (f"{run['times'][name] / base['times'][name]:.1f}"
                     if name in run["times"] and name in base["times"] else "-")
            row += f"{cell(run, name):>11}{ratio:>8}"
        print(row)
    row = f"{'wall time':<30}{base['wall']:>9.1f}"
    for run in runs[1:]:
        row += f"{run['wall']:>11.1f}{run['wall'] / base['wall']:>8.1f}"
    print(row)
    for run in runs:
        note = f"{run['figures']} PNG figures"
        if run["passes"] > 1:
            note += (f"; wall time is the sum of {run['passes']} report runs (after a failure "
                     "the notebooks not reported ran again)")
        if run["kept"]:
            note += f"; figures copied to {run['kept']}"
        print(f"{run['label']}: {note}")
    for run in runs if details else []:
        for name, tail in run["failures"].items():
            print(f"\nFAILED on {run['label']}: {name}; last lines of the error:")
            print("\n".join("    " + line for line in tail))
        if run["other"]:
            after = (" (the manifest and deck step, which needs every notebook's figures)"
                     if run["failures"] else "")
            print(f"\nreport on {run['label']} failed outside the notebooks{after}; "
                  "last lines:")
            print("\n".join("    " + line for line in run["other"]))


# --- main ------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="200",
                        help="events of the archive, or a list (8,30,200) of sizes to build")
    parser.add_argument("--size-mb", type=float, default=20.0,
                        help="MB of transcripts of the largest archive (default 20)")
    parser.add_argument("--out", type=Path, default=None,
                        help="keep the archives as OUT/<n>/ (default: a temporary folder)")
    parser.add_argument("--notebooks", action="store_true",
                        help="also time the main job on the seeds and on each archive")
    parser.add_argument("--keep-figures", type=Path, default=None,
                        help="copy each notebook run's figures to DIR/seeds/ and DIR/<n>/")
    parser.add_argument("--no-steps", action="store_true",
                        help="skip the in-process step timings")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each step on the seeds; the best counts (default 3)")
    args = parser.parse_args()
    sizes = list(dict.fromkeys(int(n) for n in args.events.split(",")))
    if min(sizes) < 3:
        parser.error("--events: at least 3 events per archive")
    largest = max(sizes)

    import logging
    logging.getLogger("jieba").setLevel(logging.WARNING)
    scratch = Path(tempfile.mkdtemp(prefix="bench_archive_"))
    try:
        os.environ["ANALYSIS_CACHE"] = str(scratch / "cache-warmup")
        from analysis.text.tokenise import default_engine

        pools = source_pools()
        print(f"code: {code_version()}")
        print(f"engine {default_engine()}; source pools: "
              + ", ".join(f"{k} {len(v)}" for k, v in pools.items()) + " utterances")
        projects = {}
        for n in sizes:
            megabytes = args.size_mb * n / largest
            folder = (args.out / str(n)) if args.out else scratch / f"archive-{n}"
            prepare_folder(folder)
            built = build_archive(folder, n, megabytes, pools)
            projects[n] = folder
            print(f"built archive of {n} events in {folder if args.out else 'a temporary folder'}: "
                  f"{built['bytes'] / MB:.2f} MB, {built['distinct']} distinct transcripts "
                  f"(none byte-identical); formats "
                  + ", ".join(f"{k} {v}" for k, v in built["formats"].items())
                  + "; series " + ", ".join(f"{k} {v}" for k, v in built["series"].items())
                  + "; years " + ", ".join(f"{k} {v}" for k, v in built["years"].items()),
                  flush=True)

        if not args.no_steps:
            base, seeds_corpus = measure(ROOT / "seeds", scratch / "cache-seeds", args.repeat)
            seeds = corpus_size(seeds_corpus, ROOT / "seeds")
            memo = hasattr(seeds_corpus, "memo")
            del seeds_corpus
            print(f"seeds: {seeds['events']} events, {seeds['utterances']:,} utterances, "
                  f"{seeds['distinct_texts']:.1%} of spoken utterance texts distinct, "
                  f"{seeds['bytes'] / MB:.2f} MB", flush=True)
            for n in sizes:
                print(f"timing the steps on the archive of {n} events ...", flush=True)
                times, corpus = measure(projects[n], scratch / f"cache-{n}", 1)
                size = corpus_size(corpus, projects[n])
                del corpus
                print(f"archive {n}: {size['events']} events, {size['utterances']:,} "
                      f"utterances, {size['speakers']} speakers who spoke "
                      f"({size['unknown']} with role unknown), "
                      f"{size['distinct_texts']:.1%} of spoken utterance texts distinct, "
                      f"{size['bytes'] / MB:.2f} MB")
                print_steps(n, base, times, seeds, size, args.repeat, memo)
                print(f"peak resident memory of this process so far: {peak_mb():,.0f} MB",
                      flush=True)

        if args.notebooks:
            workspace = copy_workspace(scratch / "workspace")
            print(f"\nworkspace copied to a temporary folder ({code_version()})", flush=True)
            runs = [run_report(workspace, workspace / "seeds", scratch / "nbcache-seeds",
                               "seeds", args.keep_figures)]
            for n in sizes:
                runs.append(run_report(workspace, projects[n], scratch / f"nbcache-{n}",
                                       f"archive {n}", args.keep_figures))
                print_notebooks(runs, details=n == sizes[-1])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
