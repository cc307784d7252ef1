"""What the calibrated estimates and their intervals add to the main job, as a ratio.

For the example project and a synthetic archive (default 200 events, built as
`bench_archive.py` builds it), every registered figure is rendered in this process twice,
each time on a freshly loaded corpus with a warm token cache: once with the estimates
switched off (no calibration: shares are the keyword coder's, no simulation), the baseline,
and once as the main job renders them (calibrated probabilities, cell effects, simulated
intervals, co-occurrence lifts, posterior talk time). Prints seconds and the ratio
calibrated / baseline; the issue's limit is 1.20. Rendering the figures is most of the main
job (notebook kernels and the deck add a fixed cost on top), so the ratio on the whole job
is smaller than the one printed here.

    python benchmarks/bench_estimates.py [--events N] [--size-mb MB] [--repeat K]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def render_all(project: Path, *, calibrated: bool) -> float:
    """Seconds to render every available figure of `project` (not saved)."""
    import matplotlib.pyplot as plt

    import analysis.estimates.shares as shares
    from analysis import charts
    from analysis.corpus import load_corpus

    original = shares.load_calibration
    if not calibrated:
        shares.load_calibration = lambda *a, **k: None
    try:
        started = time.perf_counter()
        ctx = charts.Context(load_corpus(project))
        for name, spec in charts.REGISTRY.items():
            if spec.available(ctx):
                plt.close(charts.render(name, ctx).fig)
        return time.perf_counter() - started
    finally:
        shares.load_calibration = original


def compare(label: str, project: Path, repeat: int) -> None:
    render_all(project, calibrated=False)  # warms the token and table caches
    base = min(render_all(project, calibrated=False) for _ in range(repeat))
    with_estimates = min(render_all(project, calibrated=True) for _ in range(repeat))
    print(f"{label:<22} figures without estimates {base:7.1f} s   with {with_estimates:7.1f} s"
          f"   ratio {with_estimates / base:5.2f}  (limit 1.20)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    from bench_archive import build_archive, prepare_folder, source_pools

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["ANALYSIS_CACHE"] = str(Path(scratch) / "cache")
        compare("example (5 events)", ROOT / "seeds", args.repeat)
        folder = Path(scratch) / str(args.events)
        prepare_folder(folder)
        build_archive(folder, args.events, args.size_mb, source_pools())
        compare(f"archive ({args.events} events)", folder, args.repeat)


if __name__ == "__main__":
    main()
