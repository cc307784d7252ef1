"""Throughput of the text layer against plain `jieba.lcut`, in the same run.

Builds a synthetic corpus of at least 20 MB from the seed utterances (each synthetic text
joins two different seed utterances, so texts repeat only as often as in real archives:
never), then measures, each in a fresh child process so that peak memory is its own:

  baseline  jieba.lcut over every text (raw text, global jieba)
  cold      the full step (normalise + aliases + segment + compound + stopword flags) with
            an empty on-disk cache, building the long tokens frame
  warm      the same step again, every text served from the cache

Prints MB/s, ratios (cold / baseline, warm / cold) and peak resident memory, plus the
domain-term recall of the cold run on the segmentation test sentences.

    python benchmarks/bench_tokenise.py [--mb 20] [--engine rjieba|jieba]
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


def synthetic_texts(megabytes: float) -> list[str]:
    from analysis import load_corpus

    seeds = load_corpus(ROOT / "seeds").utterances["text"].tolist()
    texts, size, shift = [], 0, 1
    target = megabytes * 1e6
    while size < target:
        for i, text in enumerate(seeds):
            joined = text + " " + seeds[(i + shift) % len(seeds)]
            texts.append(joined)
            size += len(joined.encode("utf-8"))
            if size >= target:
                break
        shift += 1
    return texts


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline(megabytes, engine, cache, queue):
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    texts = synthetic_texts(megabytes)
    start = time.perf_counter()
    n = 0
    for text in texts:
        n += len(jieba.lcut(text))
    queue.put((time.perf_counter() - start, n, _peak_mb()))


def _pipeline(megabytes, engine, cache, queue):
    from analysis.text.tokenise import TokenCache, Tokenizer

    tokenizer = Tokenizer(engine)
    texts = synthetic_texts(megabytes)
    ids = [f"t{i}" for i in range(len(texts))]
    start = time.perf_counter()
    frame = TokenCache(cache).frame(texts, ids, tokenizer)
    queue.put((time.perf_counter() - start, len(frame), _peak_mb()))


def run(target, megabytes, engine, cache):
    queue = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=target,
                                              args=(megabytes, engine, cache, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def term_recall(engine: str) -> tuple[int, int]:
    import yaml

    from analysis.text.tokenise import Tokenizer

    tokenizer = Tokenizer(engine)
    doc = yaml.safe_load((ROOT / "tests" / "data" / "segmentation_sentences.yaml")
                         .read_text(encoding="utf-8"))
    found = total = 0
    for item in doc["sentences"]:
        tokens = tokenizer.tokenize(item["text"])
        for term in item["terms"]:
            total += 1
            found += term in tokens
    return found, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="synthetic corpus size (MB)")
    parser.add_argument("--engine", default=None, help="rjieba (default) or jieba")
    args = parser.parse_args()
    from analysis.text.tokenise import default_engine

    engine = args.engine or default_engine()
    size = sum(len(t.encode("utf-8")) for t in synthetic_texts(args.mb)) / 1e6
    print(f"synthetic corpus: {size:.1f} MB, engine {engine}")
    with tempfile.TemporaryDirectory() as cache:
        base_s, base_n, base_mem = run(_baseline, args.mb, engine, cache)
        cold_s, cold_n, cold_mem = run(_pipeline, args.mb, engine, cache)
        warm_s, warm_n, warm_mem = run(_pipeline, args.mb, engine, cache)
    rows = [("jieba.lcut (baseline)", base_s, base_n, base_mem),
            ("pipeline, cold cache", cold_s, cold_n, cold_mem),
            ("pipeline, warm cache", warm_s, warm_n, warm_mem)]
    print(f"{'step':<24}{'MB/s':>9}{'tokens':>12}{'peak MB':>10}")
    for name, seconds, n, mem in rows:
        print(f"{name:<24}{size / seconds:>9.2f}{n:>12,}{mem:>10.0f}")
    print(f"cold / baseline throughput: {base_s / cold_s:.2f}x   (target >= 3x)")
    print(f"warm / cold throughput:     {cold_s / warm_s:.2f}x   (target >= 20x)")
    found, total = term_recall(engine)
    print(f"domain-term recall (test sentences): {found}/{total} = {found / total:.1%}")


if __name__ == "__main__":
    main()
