"""How long one answer in the stance review queue takes, on a 200-event archive.

An analyst answers the queue key after key: each answer writes an override (read back
through the same checks as a hand edit, under the project's lock) and the view redraws the
next suggestion. The issue's limit is 300 ms per answer. The baseline, run in the same
process, is raw jieba segmenting the texts the view shows (the unit and its neighbours),
so the ratio survives a noisy machine. Also prints the time to open the queue (the stance
table, its probabilities and the ordering), paid once per session.

    python benchmarks/bench_review.py [--events N] [--size-mb MB] [--answers K]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def measure(project: Path, answers: int) -> tuple[float, np.ndarray, np.ndarray]:
    """(seconds to open the queue, seconds per answer incl. redraw, seconds of the jieba
    baseline per answer)."""
    import jieba

    from analysis.corpus import load_corpus
    from analysis.explorer import review_stances

    corpus = load_corpus(project)
    started = time.perf_counter()
    review = review_stances(corpus, reviewer="bench")
    widget = review.widget()
    opened = time.perf_counter() - started
    decisions = ("confirm", "reject", "neutral", "confirm", "reject")
    per_answer, baseline = [], []
    for i in range(answers):
        unit = review.current()
        if unit is None:
            break
        started = time.perf_counter()
        jieba.lcut(" ".join([*unit["before"], unit["text"], *unit["after"]]))
        baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        widget._answer(decisions[i % len(decisions)])  # writes the override and redraws
        per_answer.append(time.perf_counter() - started)
    return opened, np.array(per_answer), np.array(baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--answers", type=int, default=30)
    args = parser.parse_args()
    import jieba

    jieba.initialize()
    from bench_archive import build_archive, prepare_folder, source_pools

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["ANALYSIS_CACHE"] = str(Path(scratch) / "cache")
        folder = Path(scratch) / str(args.events)
        prepare_folder(folder)
        build_archive(folder, args.events, args.size_mb, source_pools())
        opened, answer, base = measure(folder, args.answers)
        print(f"archive ({args.events} events): queue opened in {opened:.1f} s; "
              f"{len(answer)} answers, median {np.median(answer) * 1000:.0f} ms, "
              f"slowest {answer.max() * 1000:.0f} ms per answer (limit 300 ms); "
              f"ratio to raw jieba on the shown texts {np.median(answer) / np.median(base):.1f}; "
              f"30 answers' waiting {answer[:30].sum():.1f} s")


if __name__ == "__main__":
    main()
