"""Per-call entry points, the parsed-corpus cache and the process pool, as ratios against
baselines run in the same process.

1. Per call, over the seeds' unique utterance lines (best of 3 passes each):
   `analysis.tokenize` and `analysis.text.normalise` against plain `jieba.lcut` on the same
   lines (target: tokenize >= 5x), and `analysis.code_text` (one text's topics and stances
   with evidence) as a multiple of `jieba.lcut`'s time.
2. Loading a synthetic archive (benchmarks/bench_archive.py, default 200 events):
   cold in one process without the cache (the baseline), cold on every core, cold filling
   an empty cache, and warm (target: under 1 s); cold end to end (load, tokens, topics,
   stances, no caches; in a fresh process, best of 2) on every core against one process
   (target: >= 1.6x on 2 cores);
   then coding its units, `topic_table` and `stance_table`, as multiples of the time the
   tokenizer takes cold in one process on the same unit texts (target: <= 1x each).
3. The speaker-labelling loop: seconds per refit and suggestion on indigo_talk, and that
   as a multiple of one forward-backward pass.

    python benchmarks/bench_percall.py [--events 200] [--size-mb 20]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def best_of(function, items, passes: int = 3) -> float:
    best = float("inf")
    for _ in range(passes):
        started = time.perf_counter()
        for item in items:
            function(item)
        best = min(best, time.perf_counter() - started)
    return best


def per_call() -> None:
    import jieba

    import analysis

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    lines = sorted(set(analysis.load_corpus(ROOT / "seeds").utterances["text"]))
    analysis.tokenize(lines[0])
    analysis.code_text(lines[0])
    base = best_of(jieba.lcut, lines)
    tokenize = best_of(analysis.tokenize, lines)
    normalise = best_of(analysis.text.normalise, lines)
    coded = best_of(analysis.code_text, lines, passes=1)
    print(f"per call over {len(lines):,} unique seed lines (jieba.lcut: "
          f"{base / len(lines) * 1e6:.0f} µs per line)")
    print(f"  tokenize   {base / tokenize:5.2f}x jieba.lcut   (target >= 5x)")
    print(f"  normalise  {base / normalise:5.2f}x jieba.lcut")
    print(f"  code_text  {coded / base:5.2f}x the time of jieba.lcut "
          "(topics and stances with evidence)")


def loading(n_events: int, megabytes: float) -> None:
    import pandas as pd

    from analysis import load_corpus
    from bench_archive import build_archive, source_pools

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "archive"
        project.mkdir()
        build_archive(project, n_events, megabytes, source_pools())
        cores = os.cpu_count() or 1

        def timed(**options):
            started = time.perf_counter()
            corpus = load_corpus(project, **options)
            return time.perf_counter() - started, corpus

        single, reference = timed(cache=False, jobs=1)
        pooled, parallel = timed(cache=False, jobs=cores)
        filling, _ = timed(cache=Path(tmp) / "cache", jobs=cores)
        warm, cached = timed(cache=Path(tmp) / "cache")
        for name in ("events", "speakers", "utterances"):
            pd.testing.assert_frame_equal(getattr(reference, name), getattr(parallel, name))
            pd.testing.assert_frame_equal(getattr(reference, name), getattr(cached, name))
        size = sum(len(t) for t in reference.sources.values()) / 1e6
        print(f"load_corpus on {n_events} synthetic events ({size:.1f} M characters), "
              f"baseline: cold, one process, no cache, {single:.2f} s")
        print(f"  cold on {cores} cores      {single / pooled:5.2f}x the baseline")
        print(f"  cold, filling the cache {single / filling:5.2f}x the baseline")
        print(f"  warm (from the cache)   {single / warm:5.1f}x the baseline, {warm:.2f} s "
              "(target < 1 s); tables identical in all four runs")
        # in a fresh process: the corpora this one holds would weigh on its forks
        subprocess.run([sys.executable, __file__, "--end-to-end", str(project)], check=True)
        coding(cached)


def end_to_end(project: Path, cores: int) -> None:
    """Load, tokens, topics and stances of a cold corpus (no caches), on one process and on
    every core; the tables must be the same."""
    import pandas as pd

    from analysis import load_corpus, stance_table, tokens_table, topic_table

    def run(jobs: int) -> tuple[float, list]:
        """Seconds, and a fingerprint of each table (the tables themselves are let go, as in
        a user's session: a process holding the last run's frames forks more slowly)."""
        started = time.perf_counter()
        corpus = load_corpus(project, cache=False, jobs=jobs)
        tables = [corpus.utterances, corpus.units, tokens_table(corpus, cache=False, jobs=jobs),
                  topic_table(corpus, jobs=jobs), stance_table(corpus, jobs=jobs)]
        seconds = time.perf_counter() - started
        return seconds, [(t.shape, tuple(t.columns), tuple(map(str, t.dtypes)),
                          int(pd.util.hash_pandas_object(t.astype(str), index=False).sum()))
                         for t in tables]

    times: dict[int, list[float]] = {1: [], cores: []}
    found = {}
    for jobs in (1, cores, 1, cores):  # interleaved, best of 2
        seconds, found[jobs] = run(jobs)
        times[jobs].append(seconds)
    assert found[1] == found[cores], "tables differ between one process and the pool"
    single, pooled = min(times[1]), min(times[cores])
    print(f"cold end to end (load, tokens, topics, stances; no caches), best of 2: "
          f"one process {single:.2f} s")
    print(f"  on {cores} cores            {single / pooled:5.2f}x one process "
          "(target >= 1.6x on 2 cores); tables identical")


def coding(corpus) -> None:
    from analysis import stance_table, topic_table
    from analysis.text.tokenise import Tokenizer

    texts = corpus.units["text"].tolist()
    started = time.perf_counter()
    Tokenizer().tokenize_many(texts)  # cold: no cache
    tokens = time.perf_counter() - started
    started = time.perf_counter()
    topic_table(corpus)
    topics = time.perf_counter() - started
    started = time.perf_counter()
    stance_table(corpus)
    stances = time.perf_counter() - started
    print(f"coding {len(texts):,} units ({sum(map(len, texts)) / 1e6:.1f} M characters); "
          f"baseline: the tokenizer, cold, {tokens:.2f} s")
    print(f"  topic_table   {topics / tokens:5.2f}x the tokenizer's time (target <= 1x; "
          "includes preparing the texts for both tables)")
    print(f"  stance_table  {stances / tokens:5.2f}x the tokenizer's time (target <= 1x)")


def labelling() -> None:
    from analysis.speakers.attribution import _forward_backward
    from analysis.validation.speakers import event_model
    from analysis.explorer.label import step_times

    em = event_model(ROOT / "seeds", "indigo_talk")
    model = em.model
    model.fit(em.clamp)
    started = time.perf_counter()
    for _ in range(5):
        _forward_backward(model.scores, model.change, model.speakers, model.roles, model.cues)
    one_pass = (time.perf_counter() - started) / 5
    steps = step_times(ROOT / "seeds", "indigo_talk", steps=11)[1:]  # the first loads jieba
    print(f"label loop on indigo_talk ({len(model.texts):,} lines): "
          f"{steps.mean():.2f} s per refit and suggestion (target < 1 s), "
          f"{steps.mean() / one_pass:.1f}x one forward-backward pass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--end-to-end", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.end_to_end:
        end_to_end(args.end_to_end, os.cpu_count() or 1)
        return
    with tempfile.TemporaryDirectory() as cache:
        os.environ["ANALYSIS_CACHE"] = cache  # the token and corpus caches start empty
        per_call()
        loading(args.events, args.size_mb)
        labelling()


if __name__ == "__main__":
    main()
