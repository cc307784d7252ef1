"""Line charts: one line per series over categories or real dates, each line named at its
end."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib import dates as mdates
from matplotlib.figure import Figure

from analysis.charts.style import PALETTE, _ordered_unique, _wrap, color_map, new_figure

__all__ = ["line_chart"]


def line_chart(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    series: str,
    title: str,
    subtitle: str | None = None,
    colors: Mapping[str, str] | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """One line per `series` value over the categories of `x` (in row order), markers on
    every point, the series name written at the end of its line. When `x` holds dates, the
    axis is a time axis: points spaced by their real dates, ticks chosen by matplotlib."""
    fig, ax = new_figure(title, subtitle)
    categories = _ordered_unique(df[x])
    timed = pd.api.types.is_datetime64_any_dtype(df[x])
    positions = ({c: float(mdates.date2num(c)) for c in categories} if timed
                 else {c: i for i, c in enumerate(categories)})
    palette = colors or color_map(_ordered_unique(df[series]))
    ends = []
    for name in _ordered_unique(df[series]):
        part = df[df[series] == name]
        xs = [positions[c] for c in part[x]]
        ys = part[y].to_numpy(float)
        colour = palette.get(name, PALETTE[0])
        ax.plot(xs, ys, marker="o", linewidth=2.5, color=colour)
        ends.append([ys[-1], str(name), colour, xs[-1]])
    if timed:
        span = max(positions.values()) - min(positions.values()) or 30.0
        if span > 730:  # over two years: a tick and its label at every year's start
            ax.xaxis.set_major_locator(mdates.YearLocator())
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        else:
            locator = mdates.AutoDateLocator(minticks=3, maxticks=10)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        left = min(positions.values()) - 0.02 * span
        if span > 730:  # from the first year's start, so that year has its tick too
            left = min(left, float(mdates.date2num(pd.Timestamp(
                mdates.num2date(min(positions.values())).year, 1, 1))))
        ax.set_xlim(left, max(positions.values()) + 0.02 * span)
    else:
        ax.set_xticks(range(len(categories)),
                      [_wrap(str(c), 12) for c in categories])
        ax.tick_params(axis="x", length=0)
        ax.set_xlim(-0.3, len(categories) - 0.3)
    low, high = ax.get_ylim()
    gap = (high - low) * 0.045
    ends.sort(key=lambda e: (e[0], e[1]))
    for i in range(1, len(ends)):  # push labels of lines ending close together apart
        ends[i][0] = max(ends[i][0], ends[i - 1][0] + gap)
    for y_end, name, colour, x_end in ends:
        ax.annotate(name, (x_end, y_end), xytext=(12, 0), textcoords="offset points",
                    va="center", fontsize=14, color=colour, fontweight="bold",
                    annotation_clip=False)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return fig
