"""Loading one long transcript: time and peak memory at 1, 10 and 100 MB, as ratios, so that
any step that grows faster than the file shows (targets: 10 MB in <= 12x the time of 1 MB;
100 MB under 4 GB of peak memory).

Each size is a labelled transcript (`主持人：...` / `嘉宾：...`) built from the example's
lines, and an SRT file of short cues at 1 and 10 MB; each load runs in a fresh process
(`load_corpus(cache=False, jobs=1)`), which reports its own time and peak memory.

    python benchmarks/bench_bigfile.py [--sizes 1 10 100]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_archive import peak_mb, srt_time  # noqa: E402
EXAMPLE = ROOT / "tests" / "fixtures" / "example" / "transcripts"


def _lines() -> list[str]:
    lines = []
    for path in sorted(EXAMPLE.iterdir()):
        for line in path.read_text(encoding="utf-8", errors="ignore").splitlines():
            line = line.strip()
            if len(line) > 10 and "：" not in line[:12]:
                lines.append(line)
    return lines


def build(folder: Path, megabytes: float, kind: str) -> Path:
    """A one-event project whose transcript has about `megabytes` of UTF-8."""
    lines, out, size, i = _lines(), [], 0, 0
    while size < megabytes * 1e6:
        if kind == "labelled":
            piece = f"{'主持人' if i % 2 == 0 else '嘉宾'}：{lines[i % len(lines)]}\n"
        else:
            piece = (f"{i + 1}\n{srt_time(2000 * i)} --> {srt_time(2000 * i + 900)}\n"
                     f"{lines[i % len(lines)][:40]}\n\n")
        out.append(piece)
        size += len(piece.encode("utf-8"))
        i += 1
    name, parser = ("a.txt", "labelled_lines") if kind == "labelled" else ("a.srt", "subtitles")
    (folder / "transcripts").mkdir(parents=True)
    (folder / "transcripts" / name).write_text("".join(out), encoding="utf-8")
    (folder / "events.yaml").write_text(
        "events:\n  - {event_id: big, title: t, date: 2024-01-01, organiser: o, format: f, "
        f"file: {name}, parser: {parser}}}\n", encoding="utf-8")
    return folder


def child(folder: str) -> None:
    """Load the project in this (fresh) process; print seconds, peak MB and utterances."""
    sys.path.insert(0, str(ROOT))
    from analysis import load_corpus

    started = time.perf_counter()
    corpus = load_corpus(folder, cache=False, jobs=1)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "utterances": len(corpus.utterances)}))


def measure(folder: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(folder)], check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1, 10, 100])
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, sizes in (("labelled", args.sizes), ("srt", [s for s in args.sizes if s <= 10])):
            found = results.setdefault(kind, {})
            for megabytes in sizes:
                figures = measure(build(Path(tmp) / f"{kind}{megabytes:g}", megabytes, kind))
                found[megabytes] = figures
                print(f"{kind:8s} {megabytes:5g} MB: load {figures['seconds']:6.2f} s, "
                      f"peak {figures['peak_mb']:6,.0f} MB, {figures['utterances']:,} utterances",
                      flush=True)
            for small, large in zip(sizes, sizes[1:]):
                ratio = found[large]["seconds"] / found[small]["seconds"]
                print(f"  {large:g} MB vs {small:g} MB: {ratio:.1f}x the time for "
                      f"{large / small:g}x the text (target <= {1.2 * large / small:g}x)")
    if 100 in args.sizes:
        print(f"peak memory at 100 MB: {results['labelled'][100]['peak_mb']:,.0f} MB "
              "(target < 4,096 MB)")


if __name__ == "__main__":
    main()
