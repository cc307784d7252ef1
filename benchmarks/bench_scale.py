"""How the pipeline grows with the archive: 10, 100 and 1,000 synthetic events.

Builds archives with benchmarks/bench_archive.py (0.1 MB of transcripts per event by
default, so 1,000 events are ~100 MB; no two events alike), then runs, each in a fresh
child process so that peak memory is its own:

  cold  load_corpus (empty cache, every core) -> tokens_table (empty token cache) ->
        topic_table -> stance_table -> keyness_by(event_id)
  warm  the same again with both caches filled

Prints seconds per step, peak resident memory, and the growth from one size to the next as
a ratio of times divided by the ratio of sizes (1.0: linear). Targets: 1,000 events take at
most 12x the time of 100 (cold and warm), and under 4 GB of memory.

    python benchmarks/bench_scale.py [--events 10,100,1000] [--mb-per-event 0.1]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

STEPS = ["load_corpus", "tokens_table", "topic_table", "stance_table", "keyness_by"]


def _run(project: str, cache: str, queue) -> None:
    import os

    os.environ["ANALYSIS_CACHE"] = cache
    import analysis
    from analysis.measures import compare

    times = {}
    started = time.perf_counter()
    corpus = analysis.load_corpus(project)
    times["load_corpus"] = time.perf_counter() - started
    steps = [("tokens_table", analysis.tokens_table), ("topic_table", analysis.topic_table),
             ("stance_table", analysis.stance_table),
             ("keyness_by", lambda c: compare.keyness_by(c, "event_id", top=10))]
    for name, step in steps:
        started = time.perf_counter()
        step(corpus)
        times[name] = time.perf_counter() - started
    chars = sum(len(t) for t in corpus.sources.values())
    queue.put((times, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, chars))


def run(project: Path, cache: Path) -> tuple[dict, float, int]:
    queue = mp.get_context("spawn").Queue()
    child = mp.get_context("spawn").Process(target=_run, args=(str(project), str(cache), queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="10,100,1000")
    parser.add_argument("--mb-per-event", type=float, default=0.1)
    args = parser.parse_args()
    sizes = [int(n) for n in args.events.split(",")]
    from bench_archive import build_archive, source_pools

    pools = source_pools()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            project = Path(tmp) / f"archive-{n}"
            project.mkdir()
            started = time.perf_counter()
            build_archive(project, n, n * args.mb_per_event, pools)
            built = time.perf_counter() - started
            cache = Path(tmp) / f"cache-{n}"
            cold = run(project, cache)
            warm = run(project, cache)
            results[n] = (cold, warm)
            print(f"{n} events ({cold[2] / 1e6:.1f} M characters, built in {built:.0f} s): "
                  f"cold {sum(cold[0].values()):.1f} s, peak {cold[1]:,.0f} MB; "
                  f"warm {sum(warm[0].values()):.1f} s, peak {warm[1]:,.0f} MB", flush=True)
    print(f"\n{'step':<14}" + "".join(f"{f'{n} cold':>11}{f'{n} warm':>11}" for n in sizes))
    for step in STEPS + ["all"]:
        cells = []
        for n in sizes:
            for times in (results[n][0][0], results[n][1][0]):
                cells.append(sum(times.values()) if step == "all" else times[step])
        print(f"{step:<14}" + "".join(f"{c:>11.2f}" for c in cells))
    print("\ngrowth (time ratio / size ratio in characters; 1.0 linear) and memory:")
    for small, large in zip(sizes, sizes[1:]):
        size = results[large][0][2] / results[small][0][2]
        for label, i in (("cold", 0), ("warm", 1)):
            ratio = sum(results[large][i][0].values()) / sum(results[small][i][0].values())
            print(f"  {large} vs {small} events, {label}: {ratio:.1f}x the time for "
                  f"{size:.1f}x the text (per character {ratio / size:.2f})"
                  + (" — target <= 12x" if large == 1000 and small == 100 else ""))
    for n in sizes:
        print(f"  peak memory at {n} events: cold {results[n][0][1]:,.0f} MB, "
              f"warm {results[n][1][1]:,.0f} MB" + (" (target < 4,096 MB)" if n == 1000
                                                      else ""))


if __name__ == "__main__":
    main()
