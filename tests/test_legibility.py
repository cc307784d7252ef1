"""Every chart, at 5 events (the example) and at 80 (a synthetic archive), passes the
editor's checks of analysis.charts.legibility (no overlapping or clipped text, nothing under
12 pt on a slide, every drawn category labelled), and every number in a finding title is
written somewhere in the chart it heads (docs/charts.md)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from analysis import charts, load_corpus
from analysis.charts.legibility import min_font_pt, problems, slide_scale
from analysis.charts.style import PALETTE, SMALL_PT, event_colors, house_style, new_figure

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """An 80-event project of the archive benchmark (2 MB: the chart shapes of an archive
    without its reading time)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_archive
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    folder = tmp_path_factory.mktemp("archive80")
    bench_archive.build_archive(folder, 80, 2.0, bench_archive.source_pools())
    return folder


@pytest.fixture(scope="module")
def rendered(corpus, archive):
    """Every chart each corpus can draw: {"5": {name: Chart}, "80": {...}}."""
    out = {}
    for size, loaded in (("5", corpus), ("80", load_corpus(archive))):
        assert len(loaded.events) == int(size)
        ctx = charts.Context(loaded)
        out[size] = {name: charts.render(name, ctx) for name, spec in charts.REGISTRY.items()
                     if spec.available(ctx)}
    return out


@pytest.mark.parametrize("size", ["5", "80"])
def test_every_chart_is_legible_on_a_slide(rendered, size):
    faults = {name: found for name, chart in rendered[size].items()
              if (found := problems(chart.fig))}
    assert not faults, "\n".join(f"{name}: {found[:5]} ({len(found)})"
                                 for name, found in faults.items())
    assert len(rendered[size]) >= 10  # the conditional charts aside, all are drawn


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.mark.parametrize("size", ["5", "80"])
def test_every_number_in_a_finding_title_is_drawn_in_its_chart(rendered, size):
    """A finding must be visible at first glance: each number its title quotes is written in
    the chart (a cell, a bar's label, a row label, a panel title), not only in the notes."""
    missing = {}
    for name, chart in rendered[size].items():
        if not chart.finding:
            continue
        fig = chart.fig
        fig.canvas.draw()  # tick labels are written at draw time
        drawn = " ".join(t.get_text() for t in fig.findobj(mpl.text.Text)
                         if t is not fig._suptitle and t.get_visible()).replace(",", "")
        absent = [n for n in _NUMBER.findall(chart.title.replace(",", ""))
                  if not re.search(rf"(?<!\d){re.escape(n)}(?![\d]|\.\d)", drawn)]
        if absent:
            missing[name] = (chart.title, absent)
    assert not missing, missing


@pytest.fixture
def house():
    with house_style():
        yield


def test_the_checker_finds_each_fault_it_names(house):
    """Overlapping, clipped, small and unlabelled: each planted fault is reported, and a
    clean chart gives none (the checks above can fail)."""
    fig, ax = new_figure("标题", "subtitle")
    ax.barh([0, 1, 2], [3, 4, 5])
    ax.set_yticks([0, 1], ["甲", "乙"])  # the third bar has no label
    ax.text(1, 1, "重叠的两段文字", fontsize=SMALL_PT)
    ax.text(1.05, 1, "重叠的两段文字", fontsize=SMALL_PT)
    fig.text(0.98, 0.5, "伸出图外的一段很长的文字", fontsize=SMALL_PT)
    ax.text(3, 2, "小字", fontsize=8)
    kinds = {kind for kind, _ in problems(fig)}
    assert kinds == {"overlap", "clipped", "small", "unlabelled"}

    clean, ax = new_figure("标题", "subtitle")
    ax.barh([0, 1], [3, 4])
    ax.set_yticks([0, 1], ["甲", "乙"])
    assert problems(clean) == []


def test_slanted_labels_are_checked_as_drawn(house):
    """Slanted labels whose upright boxes overlap but whose glyphs do not pass; slanted
    labels packed closer than their height do not."""
    for spacing, fine in ((1.0, True), (0.05, False)):
        fig, ax = new_figure("标题", "subtitle")
        ax.imshow(np.zeros((1, 4)), aspect="auto")
        ax.set_xticks(np.arange(4) * spacing if not fine else np.arange(4),
                      ["很长的一个标签"] * 4, rotation=35, ha="right", rotation_mode="anchor")
        ax.set_yticks([0], ["行"])
        found = [kind for kind, _ in problems(fig) if kind == "overlap"]
        assert (not found) == fine, spacing


def test_a_chart_reaches_12_points_on_the_deck_slide():
    """The deck shows a chart between its own title and caption; the smallest text a chart
    may use is what that scale leaves at 12 pt, and the house minimum is above it."""
    fig, _ = new_figure("标题", "subtitle")
    assert 0.8 < slide_scale(fig) <= 1.0
    assert min_font_pt(fig) <= SMALL_PT


def test_more_events_than_colours_share_one_colour_never_a_cycle():
    events = pd.DataFrame({"event_id": [f"e{i}" for i in range(len(PALETTE) + 1)],
                           "metadata_order": range(len(PALETTE) + 1)})
    assert len(set(event_colors(events).values())) == 1
    few = events.head(len(PALETTE))
    assert len(set(event_colors(few).values())) == len(PALETTE)
