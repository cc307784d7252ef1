"""Bar charts: plain bars, stacked bars, small multiples of bars (one panel per facet),
diverging stance splits (against / mixed / for) and 100 % share bars.

Categories keep the order of the rows (or of a categorical column); long labels are wrapped
so they neither overlap nor get clipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager, ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.charts.style import (_GRID_COLOR, MUTED, PALETTE, SMALL_PT, STANCE_COLORS,
                                   _ordered_unique, _panels, _wrap, color_map, new_figure)

__all__ = ["bar_chart", "diverging_bars", "facet_bars", "share_bars", "stacked_bar_chart"]


def bar_chart(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    subtitle: str | None = None,
    color: str | None = None,
    colors: Mapping[str, str] | Sequence[str] | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    horizontal: bool = False,
    annotate: bool = True,
    fmt: str = "{:,.0f}",
    interval: tuple[str, str] | None = None,
    hatched: Sequence[bool] | None = None,
    hatch_label: str = "",
    labels: Sequence[str] | None = None,
) -> Figure:
    """Draw one bar per row of ``df``, categories in row order.

    Long category labels are wrapped onto several lines so they neither
    overlap nor get clipped; for many long labels prefer ``horizontal=True``.

    Args:
        df: One row per bar.
        x: Column with the category labels.
        y: Column with the bar values.
        title: Chinese title.
        subtitle: Optional English subtitle.
        color: Colour of every bar (default: the first palette colour).
        colors: Per-bar colours: a dict from category to colour (e.g. from
            :func:`color_map`; missing categories fall back to ``color``) or a
            list in row order.
        xlabel: Label of the horizontal axis.
        ylabel: Label of the vertical axis.
        horizontal: Draw horizontal bars, first row at the top.
        annotate: Write each value at the end of its bar.
        fmt: :meth:`str.format` pattern for the annotations.
        interval: Columns (low, high) of an interval around each value, drawn as a
            whisker; the value is then written past the whisker's end.
        hatched: Per row, whether its bar is striped (e.g. an inferred speaker), keyed in
            a legend as ``hatch_label``.
        labels: The text written at each bar's end instead of ``fmt`` of its value.

    Returns:
        The figure.
    """
    categories = [str(c) for c in df[x]]
    values = pd.to_numeric(df[y]).to_numpy(dtype=float)
    default = color or PALETTE[0]
    if colors is None:
        bar_colors = [default] * len(categories)
    elif isinstance(colors, Mapping):
        bar_colors = [colors.get(raw, colors.get(cat, default)) for raw, cat in zip(df[x], categories)]
    else:
        bar_colors = list(colors)

    fig, ax = new_figure(title, subtitle)
    positions = np.arange(len(categories))
    if horizontal:
        bars = ax.barh(positions, values, color=bar_colors)
    else:
        bars = ax.bar(positions, values, color=bar_colors)
    if hatched is not None and any(hatched):
        for bar, striped in zip(bars, hatched):
            if striped:
                bar.set_hatch("//")
                bar.set_edgecolor("white")
        fig.legend(handles=[mpl.patches.Patch(facecolor="#777777", hatch="//",
                                              edgecolor="white", label=hatch_label)],
                   loc="outside lower center", frameon=False)
    _style_category_axis(fig, ax, positions, categories, horizontal)
    ends = values
    if interval is not None:
        low = pd.to_numeric(df[interval[0]]).to_numpy(dtype=float)
        high = pd.to_numeric(df[interval[1]]).to_numpy(dtype=float)
        spans = np.vstack([values - low, high - values]).clip(min=0)
        whisker = {"fmt": "none", "ecolor": "#333333", "elinewidth": 1.4, "capsize": 5}
        if horizontal:
            ax.errorbar(values, positions, xerr=spans, **whisker)
        else:
            ax.errorbar(positions, values, yerr=spans, **whisker)
        ends = np.fmax(values, high)
    _style_value_axis(ax, ends, horizontal)
    if annotate:
        labels = list(labels) if labels is not None else [
            "" if math.isnan(v) else fmt.format(v) for v in values]
        if interval is None:
            ax.bar_label(bars, labels=labels, padding=4, fontsize=mpl.rcParams["xtick.labelsize"])
        else:  # past the whisker, so the number never sits on it
            for position, end, label in zip(positions, ends, labels):
                xy, offset = ((end, position), (6, 0)) if horizontal else ((position, end), (0, 6))
                ax.annotate(label, xy, xytext=offset, textcoords="offset points",
                            ha="left" if horizontal else "center",
                            va="center" if horizontal else "bottom",
                            fontsize=mpl.rcParams["xtick.labelsize"])
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return fig


def stacked_bar_chart(
    df: pd.DataFrame,
    *,
    index: str,
    columns: str,
    values: str,
    title: str,
    subtitle: str | None = None,
    colors: Mapping[str, str] | None = None,
    horizontal: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
    totals: Mapping[str, str] | None = None,
    legend: bool = False,
    segment_labels: bool = True,
) -> Figure:
    """Draw stacked bars from a tidy (long) frame.

    ``df`` is pivoted to ``index`` x ``columns`` (values summed, missing cells
    0). Bars and segments follow the order of first appearance in ``df`` (or the
    category order of a categorical column). The legend sits outside the plot,
    to the right, so it never covers bars.

    Args:
        df: Long frame with one row per (bar, segment).
        index: Column naming the bars.
        columns: Column naming the stacked segments.
        values: Column with the segment sizes.
        title: Chinese title.
        subtitle: Optional English subtitle.
        colors: Dict from segment name to colour; default :func:`color_map`
            over the segment order.
        horizontal: Horizontal bars (default), first bar at the top.
        xlabel: Label of the horizontal axis.
        ylabel: Label of the vertical axis.
        totals: Text written after each horizontal bar's end, by bar (e.g. the number a
            title quotes), the value axis widened to hold it.
        legend: A legend even when every segment kind is labelled somewhere (thin
            segments elsewhere stay unlabelled).
        segment_labels: Name segments inside the bars (else the legend alone keys them).

    Returns:
        The figure.
    """
    bar_keys = _ordered_unique(df[index])
    segment_keys = _ordered_unique(df[columns])
    table = (
        df.pivot_table(index=index, columns=columns, values=values, aggfunc="sum", observed=True)
        .reindex(index=bar_keys, columns=segment_keys)
        .fillna(0)
    )
    palette = color_map([str(k) for k in segment_keys])
    if colors is not None:
        palette = {str(k): colors.get(k, colors.get(str(k), palette[str(k)])) for k in segment_keys}

    fig, ax = new_figure(title, subtitle)
    positions = np.arange(len(bar_keys))
    base = np.zeros(len(bar_keys))
    for key in segment_keys:
        part = table[key].to_numpy(dtype=float)
        if horizontal:
            ax.barh(positions, part, left=base, color=palette[str(key)], label=str(key))
        else:
            ax.bar(positions, part, bottom=base, color=palette[str(key)], label=str(key))
        base = base + part
    _style_category_axis(fig, ax, positions, [str(k) for k in bar_keys], horizontal)
    _style_value_axis(ax, base, horizontal)
    if horizontal and totals:
        _bar_end_labels(fig, ax, positions, base, [totals.get(k, "") for k in bar_keys])

    if horizontal and len(segment_keys) <= 4 and segment_labels:
        # direct labels inside segments wide enough to hold them; a legend only when some
        # category could not be labelled anywhere
        total = float(base.max()) or 1.0
        left = np.zeros(len(bar_keys))
        labelled, written = set(), []
        for key in segment_keys:
            part = table[key].to_numpy(dtype=float)
            dark = sum(int(palette[str(key)][k:k + 2], 16) for k in (1, 3, 5)) < 380
            for i, width in enumerate(part):
                if width / total >= 0.12:
                    written.append((ax.text(left[i] + width / 2, positions[i], str(key),
                                            ha="center", va="center", fontsize=SMALL_PT,
                                            color="white" if dark else "#222222"),
                                    left[i], width, key))
            left += part
        fig.canvas.draw()  # a label stays only where it fits inside its segment
        renderer = fig.canvas.get_renderer()
        for label, start, width, key in written:
            span = ax.transData.transform((start + width, 0))[0] - ax.transData.transform((start, 0))[0]
            if label.get_window_extent(renderer).width > span - 6:
                label.remove()
            else:
                labelled.add(key)
        if labelled == set(segment_keys) and not legend:
            if xlabel:
                ax.set_xlabel(xlabel)
            if ylabel:
                ax.set_ylabel(ylabel)
            return fig

    handles, labels = ax.get_legend_handles_labels()
    drawn_keys = {str(k) for k in segment_keys if table[k].sum() > 0}
    handles, labels = (list(x) for x in zip(*[(h, l) for h, l in zip(handles, labels)
                                               if l in drawn_keys])) if drawn_keys else ([], [])
    if not horizontal:
        # Bottom segment last, so the legend reads in the same order as the stack.
        handles, labels = handles[::-1], labels[::-1]
    ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0,
        ncols=1 if len(labels) <= 14 else 2,
    )
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return fig


def _style_category_axis(
    fig: Figure, ax: Axes, positions: np.ndarray, labels: list[str], horizontal: bool
) -> None:
    """Put wrapped category labels on the category axis, without tick marks."""
    fontsize = font_manager.FontProperties(size=mpl.rcParams["xtick.labelsize"]).get_size_in_points()
    char_in = fontsize / 72  # a CJK character is about one em wide
    count = max(len(labels), 1)
    if horizontal:
        # Wrap only when each bar has room for two lines of text.
        room_lines = 0.8 * fig.get_figheight() / count / (1.3 * char_in)
        width = 18 if room_lines >= 2 else 10_000
        wrapped = [_wrap(label, width) for label in labels]
        ax.set_yticks(positions, wrapped)
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
    else:
        slot_in = 0.85 * fig.get_figwidth() / count
        width = max(1, int(0.9 * slot_in / char_in))
        ax.set_xticks(positions, [_wrap(label, width) for label in labels])
        ax.tick_params(axis="x", length=0)


def _bar_end_labels(fig: Figure, ax: Axes, positions, ends, texts: list[str]) -> None:
    """Write `texts` just past each horizontal bar's end and widen the value axis so the
    longest stays inside the axes."""
    labels = [ax.annotate(text, (end, y), xytext=(4, 0), textcoords="offset points",
                          va="center", fontsize=SMALL_PT, color="#333333")
              for y, end, text in zip(positions, ends, texts) if text]
    if not labels:
        return
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    right = max(label.get_window_extent(renderer).x1 for label in labels)
    inverse = ax.transData.inverted()
    needed = inverse.transform((right, 0))[0]
    low, high = ax.get_xlim()
    if needed > high:
        ax.set_xlim(low, low + (needed - low) * 1.03)


def _style_value_axis(ax: Axes, values: np.ndarray, horizontal: bool) -> None:
    """Grid and head-room on the value axis; integer ticks for counts."""
    value_axis = "x" if horizontal else "y"
    ax.grid(False)
    ax.grid(True, axis=value_axis, color=_GRID_COLOR)
    ax.set_axisbelow(True)
    ax.margins(**{value_axis: 0.12})
    axis = ax.xaxis if horizontal else ax.yaxis
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() >= 0 and finite.max() > 0:
        # set by hand: zero-width stacked segments pin the autoscale to the longest bar
        (ax.set_xlim if horizontal else ax.set_ylim)(0, finite.max() * 1.12)
    if finite.size and np.all(finite == np.round(finite)):
        axis.set_major_locator(ticker.MaxNLocator(integer=True))
        axis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))


def _facets(df: pd.DataFrame, facet: str, order: Sequence[str] | None) -> list:
    """The facet values present in `df`, in `order` when given, else in row order."""
    present = _ordered_unique(df[facet])
    return [f for f in order if f in set(present)] if order is not None else present


def facet_bars(
    df: pd.DataFrame,
    *,
    facet: str,
    label: str,
    value: str,
    title: str,
    subtitle: str | None = None,
    colors: Mapping[str, str] | None = None,
    facet_titles: Mapping[str, str] | None = None,
    ncols: int = 5,
    xlabel: str | None = None,
    order: Sequence[str] | None = None,
    annotate: str | None = None,
    reference: tuple[float, str] | None = None,
) -> Figure:
    """Small multiples: one horizontal bar panel per `facet` value (in `order`, default row
    order), bars in row order within a panel, each panel in its facet's colour. All panels
    share one value scale, so equal bars mean equal values across panels. `annotate` names a
    column written at each bar's end (e.g. counts); `reference` = (value, label) draws a
    dashed line (e.g. z = 1.96, p < 0.05) in every panel."""
    facets = _facets(df, facet, order)
    fig, axes = _panels(title, subtitle, len(facets), ncols, sharex=True)
    for ax, key in zip(axes.flat, facets):
        part = df[df[facet] == key]
        positions = np.arange(len(part))
        bars = ax.barh(positions, part[value].to_numpy(float),
                       color=(colors or {}).get(key, PALETTE[0]))
        if annotate:
            ax.bar_label(bars, labels=[str(v) for v in part[annotate]], padding=2, fontsize=SMALL_PT,
                         color="#444444")
        if reference:
            ax.axvline(reference[0], color="#444444", linestyle="--", linewidth=0.9)
        ax.set_yticks(positions, [str(v) for v in part[label]])
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0, labelsize=SMALL_PT)
        ax.tick_params(axis="x", labelsize=SMALL_PT)
        ax.grid(False)
        ax.grid(True, axis="x", color=_GRID_COLOR)
        ax.set_title(_wrap(str((facet_titles or {}).get(key, key)), 14), fontsize=15)
        if xlabel:
            ax.set_xlabel(xlabel, fontsize=SMALL_PT)
    if reference:
        fig.legend(handles=[mpl.lines.Line2D([], [], color="#444444", linestyle="--",
                                             label=reference[1])],
                   loc="outside lower center", frameon=False, fontsize=SMALL_PT)
    return fig


def diverging_bars(
    df: pd.DataFrame,
    *,
    facet: str,
    label: str,
    title: str,
    subtitle: str | None = None,
    facet_titles: Mapping[str, str] | None = None,
    quotes: Mapping[str, str] | None = None,
    order: Sequence[str] | None = None,
    min_n: int = 3,
    ncols: int = 3,
    quote_width: int | None = None,
    automatic: bool = True,
    footnote: str = "",
) -> Figure:
    """Stances as splits: per panel (a target), one row per group with its units against
    (left), mixed (grey, straddling 0) and for (right), the counts written on the bars and n
    at the row label. Rows resting on fewer than `min_n` units are drawn in muted grey and
    say so. `quotes` puts the strongest evidence under each panel's title.

    `df` columns: facet, label, n_con, n_neutral, n_pro; with c_con, c_neutral, c_pro (how
    many of them are confirmed), confirmed rows are drawn solid and the rest outlined."""
    facets = _facets(df, facet, order)
    # two wide panels a row when four or fewer: room for the quotes and the row labels
    ncols = 2 if len(facets) in (2, 4) else ncols
    fig, axes = _panels(title, subtitle, len(facets), ncols, sharex=True)
    limit = float((df["n_con"] + df["n_neutral"] / 2).max()
                  if len(df) else 1) or 1.0
    limit = max(limit, float((df["n_pro"] + df["n_neutral"] / 2).max() if len(df) else 1))
    split = {"c_con", "c_neutral", "c_pro"} <= set(df.columns)
    for ax, key in zip(axes.flat, facets):
        part = df[df[facet] == key].reset_index(drop=True)
        y = np.arange(len(part))
        n = (part["n_con"] + part["n_neutral"] + part["n_pro"]).to_numpy(int)
        few = n < min_n
        half = part["n_neutral"].to_numpy(float) / 2
        con, pro = part["n_con"].to_numpy(float), part["n_pro"].to_numpy(float)
        sure = {side: part[f"c_{side}"].to_numpy(float) if split else part[f"n_{side}"].to_numpy(float)
                for side in ("con", "neutral", "pro")}
        for side, start, width, color in (
                ("con", -half - con, con, STANCE_COLORS["con"]),
                ("neutral", -half, 2 * half, STANCE_COLORS["mixed"]),
                ("pro", half, pro, STANCE_COLORS["pro"])):
            for i in range(len(part)):
                if few[i]:  # too few units to read: muted, hatched, outlined
                    ax.barh(y[i], width[i], left=start[i], color=MUTED, hatch="///",
                            edgecolor="#AAAAAA", linewidth=0.6)
                    continue
                solid = min(width[i], sure[side][i])
                # confirmed rows solid from the centre out, automatic ones outlined beyond
                inner = start[i] + width[i] - solid if side == "con" else start[i]
                outer = start[i] if side == "con" else start[i] + solid
                if solid > 0:
                    ax.barh(y[i], solid, left=inner, color=color)
                if width[i] - solid > 0:
                    ax.barh(y[i], width[i] - solid, left=outer, facecolor="white",
                            edgecolor=color, linewidth=1.6)
        for i in range(len(part)):
            for value, x, side in ((con[i], -half[i] - con[i] / 2, "con"),
                                   (pro[i], half[i] + pro[i] / 2, "pro")):
                if value:
                    dark = few[i] or sure[side][i] < value
                    ax.text(x, i, f"{int(value)}", ha="center", va="center", fontsize=SMALL_PT,
                            color="#333333" if dark else "white",
                            bbox=dict(boxstyle="round,pad=0.1", facecolor="white",
                                      edgecolor="none") if dark and not few[i] else None)
        ax.axvline(0, color="#555555", linewidth=0.8)
        labels = [f"{l} (n={k}{'，不足' + str(min_n) if f else ''})"
                  for l, k, f in zip(part[label], n, few)]
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(-limit * 1.1, limit * 1.1)
        # passages against run left of 0: counted, not negative
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{abs(v):g}"))
        ax.tick_params(axis="y", length=0, labelsize=SMALL_PT)
        ax.tick_params(axis="x", labelsize=SMALL_PT)
        ax.grid(False)
        heading = _wrap(str((facet_titles or {}).get(key, key)), 16)
        quote = (quotes or {}).get(key)
        ax.set_title(heading + (f"\n“{_wrap(quote, quote_width or 18)}”" if quote else ""),
                     fontsize=SMALL_PT)
    handles = [mpl.patches.Patch(color=STANCE_COLORS["con"], label="反对"),
               mpl.patches.Patch(color=STANCE_COLORS["mixed"], label="中立/两面"),
               mpl.patches.Patch(color=STANCE_COLORS["pro"], label="支持")]
    if split and automatic:  # solid against outlined, only where something is outlined
        handles.append(mpl.patches.Patch(facecolor=STANCE_COLORS["pro"], label="实心：已确认"))
        handles.append(mpl.patches.Patch(facecolor="white", edgecolor=STANCE_COLORS["pro"],
                                         linewidth=1.6, label="空心：自动（未审）"))
    if len(df) and (df["n_con"] + df["n_neutral"] + df["n_pro"]).lt(min_n).any():
        handles.append(mpl.patches.Patch(facecolor=MUTED, edgecolor="#AAAAAA", hatch="///",
                                         label=f"不足 {min_n} 个单元"))
    # a footnote (what is not drawn) heads the key, where the layout keeps room for it
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False,
               title=footnote or None, title_fontsize=SMALL_PT)
    if quotes and not quote_width:
        # the laid-out axes are narrower than their panels: wrap each quote to its own axes
        fig.canvas.draw()
        for ax, key in zip(axes.flat, facets):
            if (quote := quotes.get(key)):
                width = ax.get_position().width * fig.get_figwidth() / (SMALL_PT / 72)
                heading = ax.get_title().split("\n“")[0]
                ax.set_title(f"{heading}\n“{_wrap(quote, max(8, int(width * 0.95)))}”",
                             fontsize=SMALL_PT)
    return fig


def share_bars(rows: list[tuple[str, list[tuple[str, float, str]]]], *, title: str,
               subtitle: str | None = None, xlabel: str | None = None,
               legend: Mapping[str, str] | None = None, min_label: float = 0.07) -> Figure:
    """100 % bars: one row per group, segments (name, share, colour[, (low, high)[, hatched]])
    in the given order (hatched: an inferred person, keyed by `legend`), each segment wide enough (`min_label`) labelled with its name and share
    (and its interval, when the segment has one) inside it
    (direct labels instead of a legend; `legend` adds entries for colours that mean a kind,
    such as pools)."""
    fig, ax = new_figure(title, subtitle)
    placed = []
    for i, (_, segments) in enumerate(rows):
        left = 0.0
        for name, share, color, *rest in segments:
            span = rest[:1]
            hatched = len(rest) > 1 and rest[1]
            ax.barh(i, share * 100, left=left * 100, color=color, edgecolor="white",
                    linewidth=0.8, hatch="//" if hatched else None)
            if share >= min_label:
                interval = (f"（{span[0][0] * 100:.0f}–{span[0][1] * 100:.0f}%）"
                            if span and span[0] and span[0][1] - span[0][0] >= 0.005 else "")
                placed.append((i, left, share, color, name, interval, hatched))
            left += share
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.tick_params(axis="y", length=0)
    ax.grid(False)
    if xlabel:
        ax.set_xlabel(xlabel)
    if legend:
        handles = [mpl.patches.Patch(facecolor=c[0], hatch=c[1], edgecolor="white", label=l)
                   if isinstance(c, tuple) else mpl.patches.Patch(color=c, label=l)
                   for l, c in legend.items()]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   frameon=False)
    _label_segments(fig, ax, placed)
    return fig


def _label_segments(fig: Figure, ax: Axes, placed: list) -> None:
    """Write each segment's name and share inside it, in the longest form that fits its
    width and its row's height (two lines, one line, the share alone), or not at all: a
    label never spills into its neighbours."""
    fig.canvas.draw()  # the laid-out axes size decides what fits
    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    row_px = abs(to_px((0, 1))[1] - to_px((0, 0))[1]) * 0.8  # a bar is 0.8 of its row
    for i, left, share, color, name, interval, hatched in placed:
        if not name:  # an unnamed segment (the rest of a share) needs no label
            continue
        width_px = to_px(((left + share) * 100, 0))[0] - to_px((left * 100, 0))[0]
        dark = sum(int(color[k:k + 2], 16) for k in (1, 3, 5)) < 380
        pct = f"{share * 100:.0f}%"
        for text in (f"{_wrap(name, 10)}\n{pct}{interval}", f"{name} {pct}{interval}",
                     f"{name} {pct}", pct):
            label = ax.text((left + share / 2) * 100, i, text, ha="center", va="center",
                            fontsize=SMALL_PT, color="white" if dark else "#222222",
                            # a plain patch of the segment's colour behind it: legible over
                            # stripes and over reference lines
                            bbox=dict(boxstyle="round,pad=0.15", facecolor=color,
                                      edgecolor="none"), zorder=3)
            box = label.get_window_extent(renderer)
            if box.width <= width_px - 12 and box.height <= row_px + 2:  # its patch too
                break
            label.remove()
