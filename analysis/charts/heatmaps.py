"""Heatmaps: one labelled matrix (muted cells resting on too few units, striped rows of
inferred speakers, a diverging scale for stances) or small multiples sharing one colour
scale; `with_n` puts each row's or column's sample size in its label."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure

from analysis.charts.style import MUTED_CELL, SMALL_PT, _panels, _wrap, new_figure

__all__ = ["heatmap", "panel_heatmaps", "with_n"]


def panel_heatmaps(panels: Mapping[str, pd.DataFrame], *, title: str,
                   subtitle: str | None = None, cmap: str = "Blues", ncols: int = 3,
                   xlabel: str | None = None, colorbar_label: str | None = None) -> Figure:
    """Small-multiple heatmaps sharing one colour scale: one panel per key (its title), rows
    and columns as in each frame; row labels on the first column of panels only."""
    keys = list(panels)
    fig, axes = _panels(title, subtitle, len(keys), ncols)
    top = max((float(np.nanmax(m.to_numpy(float))) for m in panels.values() if m.size),
              default=1.0) or 1.0
    image = None
    for number, (ax, key) in enumerate(zip(axes.flat, keys)):
        matrix = panels[key]
        image = ax.imshow(np.ma.masked_invalid(matrix.to_numpy(float)), cmap=cmap, vmin=0,
                          vmax=top, aspect="auto")
        ax.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns], fontsize=SMALL_PT)
        if number % axes.shape[1] == 0:
            ax.set_yticks(range(matrix.shape[0]), [str(r) for r in matrix.index], fontsize=SMALL_PT)
        else:
            ax.set_yticks([])
        # a panel's title fills its width: a CJK character is about one em wide
        ax.set_title(_wrap(str(key), int(0.85 * fig.get_figwidth() / axes.shape[1]
                                         / (SMALL_PT / 72))), fontsize=SMALL_PT)
        ax.grid(False)
        if xlabel:
            ax.set_xlabel(xlabel, fontsize=SMALL_PT)
    if image is not None:
        bar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6)
        if colorbar_label:
            bar.set_label(colorbar_label)
    return fig


def with_n(labels: dict, counts: dict, *, sep: str = "\n") -> dict:
    """Axis labels carrying their sample size: `{key: "name\nn=12"}` for every key of
    `counts` (the units behind a row or column)."""
    return {key: f"{labels.get(key, key)}{sep}n={int(n):,}" for key, n in counts.items()}


def heatmap(
    matrix: pd.DataFrame,
    *,
    title: str,
    subtitle: str | None = None,
    annotations: pd.DataFrame | None = None,
    fmt: str = "{:.0f}",
    cmap: str = "Blues",
    diverging: bool = False,
    faded: pd.DataFrame | None = None,
    faded_rows: Sequence[bool] | None = None,
    colorbar_label: str | None = None,
    scale_ends: tuple[str, str] | None = None,
    vmax: float | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    few_label: str = "不足 3 个单元（灰）",
    inferred_label: str = "推断的发言者（斜线）",
    blank: pd.DataFrame | None = None,
    ticks: Mapping[float, str] | None = None,
) -> Figure:
    """A labelled heatmap of `matrix` (rows x columns, in their order).

    `annotations` (same shape) is written in the cells (default: the values, with `fmt`);
    `diverging=True` centres the colour scale on 0 (red-blue, for stances); `scale_ends`
    names the two ends of the colour bar (e.g. 反对, 支持). Cells where `faded` is True (too
    few units to read) are muted to grey, their numbers kept; every cell of a row where
    `faded_rows` is True keeps its colour under thin stripes (an inferred speaker); a missing
    value shows a grey dash; a cell where `blank` is True is left empty (no value by design,
    such as the mirrored half of a symmetric matrix). A legend under the chart names each
    encoding used; `ticks` labels the colour bar ({value: text}, e.g. a log scale in its
    own units). `vmax` caps
    the colour scale (cells above it take the darkest colour, their numbers still say the
    value).
    """
    values = matrix.to_numpy(dtype=float)
    fig, ax = new_figure(title, subtitle)
    finite = np.isfinite(values).any()
    if diverging:
        limit = vmax or (np.nanmax(np.abs(values)) if finite else 1.0)
        norm = mpl.colors.TwoSlopeNorm(vcenter=0, vmin=-max(limit, 1e-9), vmax=max(limit, 1e-9))
        cmap = "RdBu"
    else:
        norm = mpl.colors.Normalize(vmin=0, vmax=vmax or (np.nanmax(values) if finite else 1))
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    if matrix.shape[1] > 8:  # many columns: slanted labels instead of overlapping ones
        # one line each: two-line labels slanted side by side overlap their neighbours
        ax.set_xticks(np.arange(matrix.shape[1]),
                      [str(c).replace("\n", " ") for c in matrix.columns],
                      rotation=35, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(np.arange(matrix.shape[1]), [_wrap(str(c), 14) for c in matrix.columns])
    ax.set_yticks(np.arange(matrix.shape[0]), [str(r) for r in matrix.index])
    ax.tick_params(length=0, labelsize=SMALL_PT)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    notes = annotations if annotations is not None else matrix
    colormap = mpl.colormaps[cmap]
    row_faded = ([bool(f) for f in faded_rows] if faded_rows is not None
                 else [False] * matrix.shape[0])
    used = set()
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            value = values[i, j]
            if blank is not None and bool(blank.iat[i, j]):
                continue
            if not np.isfinite(value):  # no data: a dash on white, unlike any value
                ax.text(j, i, "—", ha="center", va="center", fontsize=SMALL_PT, color="#BBBBBB")
                used.add("blank")
                continue
            rgba = colormap(norm(value))
            if faded is not None and bool(faded.iat[i, j]):
                # too few units to read: muted to grey whatever the value
                rgba = mpl.colors.to_rgba(MUTED_CELL)
                ax.add_patch(mpl.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, color=rgba,
                                                   linewidth=0))
                used.add("few")
            dark = (0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]) < 0.5
            if row_faded[i]:
                # stripes that show on light and dark cells alike, over the true colour
                stripe = (1, 1, 1, 0.75) if dark else (0.3, 0.3, 0.3, 0.5)
                ax.add_patch(mpl.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False,
                                                   hatch="//", edgecolor=stripe, linewidth=0))
                used.add("inferred")
            note = notes.iat[i, j]
            if note is None or (isinstance(note, float) and math.isnan(note)):
                continue
            text = fmt.format(note) if not isinstance(note, str) else note
            ax.text(j, i, text, ha="center", va="center", fontsize=SMALL_PT,
                    color="white" if dark else "#222222",  # a halo in the cell colour
                    path_effects=[patheffects.withStroke(linewidth=3, foreground=rgba)])
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    if colorbar_label:
        bar.set_label(colorbar_label)
    keys = {"few": mpl.patches.Patch(color=MUTED_CELL, label=few_label),
            "inferred": mpl.patches.Patch(facecolor="white", edgecolor="#777777", hatch="//",
                                          label=inferred_label),
            "blank": mpl.lines.Line2D([], [], color="#BBBBBB", marker="_", linestyle="",
                                      markersize=10, label="无数据")}
    handles = [keys[k] for k in ("few", "inferred", "blank") if k in used]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   frameon=False, fontsize=SMALL_PT)
    if ticks:
        bar.set_ticks(list(ticks), labels=list(ticks.values()))
    if scale_ends:
        low, high = norm.vmin, norm.vmax
        bar.set_ticks([low, (low + high) / 2, high],
                      labels=[f"{low:g} {scale_ends[0]}", f"{(low + high) / 2:g}",
                              f"{high:+g} {scale_ends[1]}"])
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return fig
