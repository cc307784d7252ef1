"""Chart regression check: exported figures against committed baseline images.

nbval compares text outputs but skips images, so a changed chart would go unnoticed.
Every PNG of the figure manifest is compared with `tests/baseline/<name>.png` the way
matplotlib's own test suite does (`matplotlib.testing.compare.compare_images`, RMS of the
pixel difference with a tolerance). `python -m analysis baselines` (make baselines)
accepts the current figures on purpose.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from analysis.publish.export import figure_manifest, png_text
from analysis.project.versions import parse_versions_line, version_changes

TOLERANCE = 2.0  # RMS over 0-255 pixel values; antialiasing noise stays far below this
BASELINE_DIR = Path("tests") / "baseline"


def compare_figures(root: Path, *, tolerance: float = TOLERANCE) -> list[str]:
    """Problems found: figures differing from their baseline, or without one."""
    from matplotlib.testing.compare import compare_images

    problems = []
    work = root / "build" / "figure-check"  # compare_images writes its diff images here
    work.mkdir(parents=True, exist_ok=True)
    for entry in figure_manifest(root):
        actual = work / entry["png"]
        shutil.copyfile(root / "figures" / entry["png"], actual)
        expected = root / BASELINE_DIR / entry["png"]
        if not expected.is_file():
            problems.append(f"{entry['name']}: no baseline -> run `make baselines` if the "
                            "new chart is right")
            continue
        result = compare_images(str(expected), str(actual), tol=tolerance, in_decorator=True)
        if result is not None:
            moved = version_changes(parse_versions_line(png_text(expected).get("Versions", "")),
                                    parse_versions_line(entry["made_with"]))
            problems.append(f"{entry['name']} ({entry['notebook']}): chart changed, RMS "
                            f"{result['rms']:.2f} > {tolerance} (diff image: {result['diff']})"
                            + (f"; the baseline was {'; '.join(moved)}" if moved else "")
                            + " -> check it; `make baselines` accepts it")
    return problems


def refresh_baselines(root: Path) -> list[Path]:
    """Copy every manifest figure to the baseline folder; remove baselines of charts that
    no longer exist."""
    folder = root / BASELINE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    entries = figure_manifest(root)
    names = {e["png"] for e in entries}
    for old in folder.glob("*.png"):
        if old.name not in names:
            old.unlink()
    written = []
    for entry in entries:
        target = folder / entry["png"]
        shutil.copyfile(root / "figures" / entry["png"], target)
        written.append(target)
    return written
