"""House style for charts that analysts paste into 16:9 slides.

Every chart is a 13.333 x 7.5 inch figure with a Chinese title, an optional
English subtitle, fonts large enough to read when projected and a fixed colour
cycle. Chinese text is drawn with Noto Sans CJK SC (SIL Open Font License),
shipped as a plain file by the pip package ``mplfonts``.

Figures are built with :class:`matplotlib.figure.Figure` directly rather than
through pyplot, so nothing piles up in pyplot's figure registry. In a notebook,
show one by making it the last expression of a cell or with
``IPython.display.display(fig)``.

Typical use::

    from analysis import plots

    plots.use_house_style()
    fig = plots.bar_chart(df, x="speaker", y="n_turns", title="发言次数",
                          subtitle="Turns per speaker", horizontal=True)
    plots.save(fig, "turns_per_speaker")
"""

from __future__ import annotations

import importlib.util
import io
import math
import os
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import font_manager, patheffects, ticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.project.palette import CJK_FONT_FAMILY
from analysis.project.palette import PALETTE as _PALETTE
from analysis.project.folder import atomic_write

__all__ = [
    "CJK_FONT_FAMILY",
    "DPI",
    "FIGSIZE",
    "PALETTE",
    "bar_chart",
    "color_map",
    "event_colors",
    "facet_bars",
    "heatmap",
    "line_chart",
    "network",
    "new_figure",
    "topic_colors",
    "by_name",
    "register_cjk_font",
    "save",
    "stacked_bar_chart",
    "use_house_style",
    "word_clouds",
]


_CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"

FIGSIZE = (13.333, 7.5)
"""Figure size in inches: 16:9, the shape of a slide."""

DPI = 200
"""Resolution of saved PNG files."""

_SVG_HASHSALT = "analysis-plots"

PALETTE = _PALETTE
"""Twenty distinct colours (analysis/palette.py); :func:`color_map` assigns them by position."""

_SLUG = re.compile(r"[a-z0-9][a-z0-9_\-]*")

_GRID_COLOR = "#dddddd"
_SUBTITLE_COLOR = "#666666"
_TITLE_SIZE = 22
_SUBTITLE_SIZE = 15

# Space around the title block, in inches.
_TOP_PAD = 0.15
_TITLE_GAP = 0.06
_BELOW_TITLES = 0.12


def register_cjk_font() -> Path:
    """Register Noto Sans CJK SC with matplotlib and make it the default font.

    The font file is taken from the installed ``mplfonts`` package without
    running its ``init`` command, which would rewrite matplotlib's installation.
    Only that one font is registered: ``mplfonts`` also ships SimHei, whose
    licence is doubtful. Calling this again is cheap: the font is added once
    and the rcParams are simply set again.

    Returns:
        Path of the font file, e.g. for ``WordCloud(font_path=...)``.

    Raises:
        RuntimeError: If ``mplfonts`` or its Noto Sans CJK SC file is missing.
    """
    path = _cjk_font_path()
    if not any(os.fsdecode(entry.fname) == str(path) for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)

    sans = [name for name in mpl.rcParams["font.sans-serif"] if name != CJK_FONT_FAMILY]
    mpl.rcParams.update(
        {
            "font.family": ["sans-serif"],
            "font.sans-serif": [CJK_FONT_FAMILY, *sans],
            # The font has U+2212 but slides mix fonts; a hyphen is always safe.
            "axes.unicode_minus": False,
            # Keep Type 3: Type 42 embedding of this CFF-flavoured OpenType font
            # produces PDFs whose text does not show up in viewers.
            "pdf.fonttype": 3,
            # Glyphs as paths: the SVG looks the same without the font installed.
            "svg.fonttype": "path",
            # A fixed salt makes SVG element ids, hence the files, deterministic.
            "svg.hashsalt": _SVG_HASHSALT,
        }
    )
    return path


def _cjk_font_path() -> Path:
    """Locate the Noto Sans CJK SC file inside the installed mplfonts package."""
    fix = "install it with: pip install mplfonts"
    spec = importlib.util.find_spec("mplfonts")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The Chinese chart font comes from the mplfonts package; {fix}")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "fonts" / _CJK_FONT_FILE
        if candidate.is_file():
            return candidate.resolve()
    raise RuntimeError(
        f"{_CJK_FONT_FILE} was not found in the mplfonts package "
        f"({', '.join(spec.submodule_search_locations)}); {fix}"
    )


def use_house_style() -> None:
    """Apply the slide house style to matplotlib's rcParams.

    Registers the Chinese font (see :func:`register_cjk_font`) and sets a 16:9
    figure size, font sizes legible when projected, a white background, a light
    grid, no top/right spines, constrained layout and the :data:`PALETTE`
    colour cycle. Call it once at the top of a notebook; calling it again
    resets any rcParams it sets.
    """
    register_cjk_font()
    mpl.rcParams.update(
        {
            "figure.figsize": FIGSIZE,
            "figure.facecolor": "white",
            "figure.edgecolor": "white",
            "figure.constrained_layout.use": True,
            "figure.constrained_layout.h_pad": 0.08,
            "figure.constrained_layout.w_pad": 0.08,
            "figure.titlesize": _TITLE_SIZE,
            # The font has no bold face: asking for one makes matplotlib log a
            # "Failed to find font weight bold" warning. new_figure emulates
            # bold for the figure title instead.
            "figure.titleweight": "normal",
            "font.size": 14,
            "axes.facecolor": "white",
            "axes.edgecolor": "#333333",
            "axes.titlesize": 18,
            "axes.titleweight": "normal",
            "axes.labelsize": 16,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.grid.axis": "y",
            "axes.axisbelow": True,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "grid.color": _GRID_COLOR,
            "grid.linewidth": 0.8,
            "xtick.labelsize": 14,
            "ytick.labelsize": 14,
            "legend.fontsize": 14,
            "legend.title_fontsize": 14,
            "legend.frameon": False,
            "savefig.dpi": DPI,
            "savefig.facecolor": "white",
        }
    )


def color_map(keys: Iterable[str]) -> dict[str, str]:
    """Map keys to :data:`PALETTE` colours by position.

    The i-th key gets ``PALETTE[i % len(PALETTE)]``. Pass the keys in an order
    that never changes, such as the order of the metadata file (which only grows
    by appending), so that a given event or topic keeps its colour in every
    chart and every run.

    Args:
        keys: Unique keys (event ids, topic ids) in their stable order.

    Returns:
        Dict from key to hex colour, in the order of ``keys``.

    Raises:
        ValueError: If a key appears twice, which would make positions ambiguous.
    """
    mapping: dict[str, str] = {}
    for position, key in enumerate(keys):
        if key in mapping:
            raise ValueError(f"color_map keys must be unique; {key!r} appears twice")
        mapping[key] = PALETTE[position % len(PALETTE)]
    return mapping


def event_colors(events: pd.DataFrame, *, key: str = "event_id") -> dict[str, str]:
    """One colour per event, by the order of the metadata file (which only grows, so an
    event keeps its colour), keyed by the column `key` (`event_id`, or `label` for charts
    whose categories are the events' labels)."""
    if "metadata_order" in events:
        events = events.sort_values("metadata_order")
    by_id = color_map(events["event_id"])
    return dict(zip(events[key], events["event_id"].map(by_id)))


def topic_colors(project=None) -> dict[str, str]:
    """One colour per topic id of a project's codebook (its `color:`, else one derived from
    the id), the same in every chart whatever topics are added."""
    from analysis.coding import codebook

    return codebook(project).colors()


def by_name(names: Mapping[str, str], colors: Mapping[str, str]) -> dict[str, str]:
    """Colours keyed by display name (what a chart's categories are) instead of by id."""
    return {names[key]: color for key, color in colors.items() if key in names}


def new_figure(
    title: str, subtitle: str | None = None, *, nrows: int = 1, ncols: int = 1, **kw
) -> tuple[Figure, Axes | np.ndarray]:
    """Create a 16:9 figure with a Chinese title and an optional English subtitle.

    The title is bold and large; the subtitle is smaller and grey, just under
    it. Constrained layout places the axes below both so nothing overlaps.

    Args:
        title: Main title, usually Chinese.
        subtitle: Optional smaller grey line under the title, usually English.
        nrows: Rows of axes.
        ncols: Columns of axes.
        **kw: ``figsize`` (default :data:`FIGSIZE`); everything else goes to
            :meth:`matplotlib.figure.Figure.subplots` (``sharex``,
            ``width_ratios``, ``squeeze``, ...).

    Returns:
        ``(fig, ax)`` with a single Axes, or ``(fig, axes)`` with an array of
        Axes when there are several.
    """
    register_cjk_font()
    figsize = kw.pop("figsize", FIGSIZE)
    fig = Figure(figsize=figsize, layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)  # gives fig.canvas.draw() and a renderer to measure text
    axes = fig.subplots(nrows, ncols, **kw)
    _add_titles(fig, title, subtitle)
    return fig, axes


def _add_titles(fig: Figure, title: str, subtitle: str | None) -> None:
    """Place title and subtitle at the top and keep the layout below them.

    Constrained layout reserves room for a suptitle but not for a second line
    under it, so both texts are placed by hand and the layout is confined to
    the rest of the figure.
    """
    height_in = fig.get_figheight()
    renderer = fig.canvas.get_renderer()
    y = 1 - _TOP_PAD / height_in
    heading = fig.suptitle(
        title,
        y=y,
        va="top",
        fontsize=_TITLE_SIZE,
        # Noto Sans CJK SC ships in Regular only (requesting "bold" only logs a
        # warning); a thin outline in the text colour makes it look bold.
        fontweight="normal",
        path_effects=[patheffects.withStroke(linewidth=0.6, foreground=mpl.rcParams["text.color"])],
    )
    heading.set_in_layout(False)
    fig.subtitle = subtitle  # read by save() as the default caption
    y -= heading.get_window_extent(renderer).height / fig.bbox.height
    if subtitle:
        y -= _TITLE_GAP / height_in
        sub = fig.text(0.5, y, subtitle, ha="center", va="top", fontsize=_SUBTITLE_SIZE, color=_SUBTITLE_COLOR)
        sub.set_in_layout(False)
        y -= sub.get_window_extent(renderer).height / fig.bbox.height
    y -= _BELOW_TITLES / height_in
    fig.get_layout_engine().set(rect=(0, 0, 1, y))
    fig.title_band = 1 - y  # read by save(): the slide deck crops the titles off this band


def save(fig: Figure, name: str, *, caption: str | None = None, notes: str = "",
         finding: bool = True, folder: str | os.PathLike | None = None) -> list[Path]:
    """Write a figure as ``<folder>/<name>.png`` (200 dpi) and ``<folder>/<name>.svg``.

    The figure's title and ``caption`` (default: its subtitle) are written into both
    files' metadata (and ``notes``, the slide's speaker notes, into the PNG's); the figure manifest and the slide deck read them from there. The PNG
    also records ``TitleBand``, the share of its height above the plot that the titles
    take, so the deck can show the chart under its own slide title without repeating it.

    The PNG records the versions of the packages that shaped it (``Versions``, see
    :mod:`analysis.project.versions`), so a failed comparison can say what moved.

    The files are byte-stable: no timestamp or matplotlib version string is embedded and
    SVG ids come from a fixed salt, so re-running a notebook leaves unchanged
    charts unchanged in git. The saved area is the whole figure (constrained
    layout keeps labels inside it), never a "tight" box whose size varies.

    Args:
        fig: Figure to save.
        name: File stem, a stable snake_case slug such as ``"turns_per_speaker"``.
        folder: Output folder. Defaults to the current project's figures folder
            (``Project.figures_dir``: ``figures/`` for the example project,
            ``<project>/output/figures/`` for any other). Created if missing.

    Returns:
        Paths of the PNG and SVG files.

    Raises:
        ValueError: If ``name`` is not a slug matching ``^[a-z0-9][a-z0-9_\\-]*$``.
    """
    if not isinstance(name, str) or not _SLUG.fullmatch(name):
        raise ValueError(
            f"Figure name {name!r} is not a stable slug: use lowercase ASCII letters, digits, "
            "'_' and '-', starting with a letter or digit (regex ^[a-z0-9][a-z0-9_\\-]*$), "
            "e.g. 'turns_per_speaker'."
        )
    from analysis.project.versions import versions_line

    png, svg = figure_paths(name, folder)
    png.parent.mkdir(parents=True, exist_ok=True)
    stable = {"savefig.bbox": "standard", "svg.hashsalt": _SVG_HASHSALT, "svg.fonttype": "path"}
    title = fig._suptitle.get_text() if fig._suptitle is not None else name
    caption = caption or getattr(fig, "subtitle", None) or ""
    with mpl.rc_context(stable):
        band = f"{getattr(fig, 'title_band', 0.0):.4f}"
        png_bytes, svg_bytes = io.BytesIO(), io.BytesIO()
        fig.savefig(png_bytes, format="png", dpi=DPI, facecolor="white",
                    metadata={"Software": None, "Title": title, "Description": caption,
                              "TitleBand": band, "Comment": notes,
                              "Finding": "1" if finding else "0",
                              "Versions": versions_line()})
        fig.savefig(svg_bytes, format="svg", facecolor="white",
                    metadata={"Date": None, "Creator": None, "Title": title,
                              "Description": caption})
    atomic_write(png, png_bytes.getvalue())  # a killed run leaves the old chart, never half
    atomic_write(svg, svg_bytes.getvalue())
    return [png, svg]


def figure_paths(name: str, folder: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """Where :func:`save` writes a figure's PNG and SVG."""
    out = Path(folder) if folder is not None else _default_figures_dir()
    return out / f"{name}.png", out / f"{name}.svg"


def _default_figures_dir() -> Path:
    """The current project's figures folder (`Project.figures_dir`): `figures/` of the
    notebook collection for the example project, `<project>/output/figures/` for others."""
    from analysis.project.folder import Project

    return Project.find().figures_dir


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
    _style_category_axis(fig, ax, positions, categories, horizontal)
    _style_value_axis(ax, values, horizontal)
    if annotate:
        labels = ["" if math.isnan(v) else fmt.format(v) for v in values]
        ax.bar_label(bars, labels=labels, padding=4, fontsize=mpl.rcParams["xtick.labelsize"])
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

    if horizontal and len(segment_keys) <= 4:
        # direct labels inside segments wide enough to hold them; a legend only when some
        # category could not be labelled anywhere
        total = float(base.max()) or 1.0
        left = np.zeros(len(bar_keys))
        labelled = set()
        for key in segment_keys:
            part = table[key].to_numpy(dtype=float)
            dark = sum(int(palette[str(key)][k:k + 2], 16) for k in (1, 3, 5)) < 380
            for i, width in enumerate(part):
                if width / total >= 0.12:
                    ax.text(left[i] + width / 2, positions[i], str(key), ha="center",
                            va="center", fontsize=10, color="white" if dark else "#222222")
                    labelled.add(key)
            left += part
        if labelled == set(segment_keys):
            if xlabel:
                ax.set_xlabel(xlabel)
            if ylabel:
                ax.set_ylabel(ylabel)
            return fig

    handles, labels = ax.get_legend_handles_labels()
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


def _ordered_unique(column: pd.Series) -> list:
    """Distinct non-null values: category order if categorical, else first appearance."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        present = set(column.dropna())
        return [c for c in column.cat.categories if c in present]
    return list(pd.unique(column.dropna()))


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


def _wrap(label: str, width: int) -> str:
    """Wrap each line of a label to ``width`` characters (Chinese text breaks anywhere);
    line breaks already in the label are kept."""
    return "\n".join("\n".join(textwrap.wrap(line, width=width, break_on_hyphens=False)) or line
                     for line in str(label).split("\n"))


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


def _panels(title: str, subtitle: str | None, count: int, ncols: int, **kw
            ) -> tuple[Figure, np.ndarray]:
    """A grid of small multiples for `count` panels (at most `ncols` a row); axes past the
    last panel are hidden."""
    nrows = max(1, math.ceil(count / ncols))
    fig, axes = new_figure(title, subtitle, nrows=nrows, ncols=min(ncols, max(count, 1)),
                           squeeze=False, **kw)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, axes


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
            ax.bar_label(bars, labels=[str(v) for v in part[annotate]], padding=2, fontsize=9,
                         color="#444444")
        if reference:
            ax.axvline(reference[0], color="#444444", linestyle="--", linewidth=0.9)
        ax.set_yticks(positions, [str(v) for v in part[label]])
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0, labelsize=12)
        ax.tick_params(axis="x", labelsize=11)
        ax.grid(False)
        ax.grid(True, axis="x", color=_GRID_COLOR)
        ax.set_title(_wrap(str((facet_titles or {}).get(key, key)), 14), fontsize=15)
        if xlabel:
            ax.set_xlabel(xlabel, fontsize=12)
    if reference:
        fig.legend(handles=[mpl.lines.Line2D([], [], color="#444444", linestyle="--",
                                             label=reference[1])],
                   loc="outside lower center", frameon=False, fontsize=11)
    return fig


STANCE_COLORS = {"con": "#D55E00", "mixed": "#8C8C8C", "pro": "#0072B2"}
"""Against / mixed / for: Okabe-Ito vermillion and blue (apart for red-green colour-blind
viewers), grey between."""
MUTED = "#F2F2F2"
MUTED_CELL = "#DADADA"


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
) -> Figure:
    """Stances as splits: per panel (a target), one row per group with its units against
    (left), mixed (grey, straddling 0) and for (right), the counts written on the bars and n
    at the row label. Rows resting on fewer than `min_n` units are drawn in muted grey and
    say so. `quotes` puts the strongest evidence under each panel's title.

    `df` columns: facet, label, n_con, n_neutral, n_pro."""
    facets = _facets(df, facet, order)
    fig, axes = _panels(title, subtitle, len(facets), ncols, sharex=True)
    limit = float((df["n_con"] + df["n_neutral"] / 2).max()
                  if len(df) else 1) or 1.0
    limit = max(limit, float((df["n_pro"] + df["n_neutral"] / 2).max() if len(df) else 1))
    for ax, key in zip(axes.flat, facets):
        part = df[df[facet] == key].reset_index(drop=True)
        y = np.arange(len(part))
        n = (part["n_con"] + part["n_neutral"] + part["n_pro"]).to_numpy(int)
        few = n < min_n
        half = part["n_neutral"].to_numpy(float) / 2
        con, pro = part["n_con"].to_numpy(float), part["n_pro"].to_numpy(float)
        for start, width, color in ((-half - con, con, STANCE_COLORS["con"]),
                                    (-half, 2 * half, STANCE_COLORS["mixed"]),
                                    (half, pro, STANCE_COLORS["pro"])):
            for i in range(len(part)):
                if few[i]:  # too few units to read: muted, hatched, outlined
                    ax.barh(y[i], width[i], left=start[i], color=MUTED, hatch="///",
                            edgecolor="#AAAAAA", linewidth=0.6)
                else:
                    ax.barh(y[i], width[i], left=start[i], color=color)
        for i in range(len(part)):
            for value, x in ((con[i], -half[i] - con[i] / 2), (pro[i], half[i] + pro[i] / 2)):
                if value:
                    ax.text(x, i, f"{int(value)}", ha="center", va="center", fontsize=10,
                            color="#333333" if few[i] else "white")
        ax.axvline(0, color="#555555", linewidth=0.8)
        labels = [f"{l} (n={k}{'，不足' + str(min_n) if f else ''})"
                  for l, k, f in zip(part[label], n, few)]
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(-limit * 1.1, limit * 1.1)
        ax.tick_params(axis="y", length=0, labelsize=10)
        ax.tick_params(axis="x", labelsize=9)
        ax.grid(False)
        heading = _wrap(str((facet_titles or {}).get(key, key)), 16)
        quote = (quotes or {}).get(key)
        ax.set_title(heading + (f"\n“{_wrap(quote, 15)}”" if quote else ""), fontsize=11)
    handles = [mpl.patches.Patch(color=STANCE_COLORS["con"], label="反对"),
               mpl.patches.Patch(color=STANCE_COLORS["mixed"], label="中立/两面"),
               mpl.patches.Patch(color=STANCE_COLORS["pro"], label="支持"),
               mpl.patches.Patch(facecolor=MUTED, edgecolor="#AAAAAA", hatch="///",
                                 label=f"不足 {min_n} 个单元")]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)
    return fig


def share_bars(rows: list[tuple[str, list[tuple[str, float, str]]]], *, title: str,
               subtitle: str | None = None, xlabel: str | None = None,
               legend: Mapping[str, str] | None = None, min_label: float = 0.07) -> Figure:
    """100 % bars: one row per group, segments (name, share, colour) in the given order,
    each segment wide enough (`min_label`) labelled with its name and share inside it
    (direct labels instead of a legend; `legend` adds entries for colours that mean a kind,
    such as pools)."""
    fig, ax = new_figure(title, subtitle)
    for i, (_, segments) in enumerate(rows):
        left = 0.0
        for name, share, color in segments:
            ax.barh(i, share * 100, left=left * 100, color=color, edgecolor="white",
                    linewidth=0.8)
            if share >= min_label:
                dark = sum(int(color[k:k + 2], 16) for k in (1, 3, 5)) < 380
                ax.text((left + share / 2) * 100, i, f"{_wrap(name, 10)}\n{share * 100:.0f}%",
                        ha="center", va="center", fontsize=9,
                        color="white" if dark else "#222222")
            left += share
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.tick_params(axis="y", length=0)
    ax.grid(False)
    if xlabel:
        ax.set_xlabel(xlabel)
    if legend:
        handles = [mpl.patches.Patch(color=c, label=l) for l, c in legend.items()]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   frameon=False)
    return fig


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
        ax.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns], fontsize=8)
        if number % axes.shape[1] == 0:
            ax.set_yticks(range(matrix.shape[0]), [str(r) for r in matrix.index], fontsize=9)
        else:
            ax.set_yticks([])
        ax.set_title(_wrap(str(key), 16), fontsize=12)
        ax.grid(False)
        if xlabel:
            ax.set_xlabel(xlabel, fontsize=9)
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
) -> Figure:
    """A labelled heatmap of `matrix` (rows x columns, in their order).

    `annotations` (same shape) is written in the cells (default: the values, with `fmt`);
    `diverging=True` centres the colour scale on 0 (red-blue, for stances); `scale_ends`
    names the two ends of the colour bar (e.g. 反对, 支持). Cells where `faded` is True (too
    few units to read) are muted to grey, their numbers kept; every cell of a row where
    `faded_rows` is True keeps its colour under thin stripes (an inferred speaker); a missing
    value shows a grey dash. A legend under the chart names each encoding used. `vmax` caps
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
        ax.set_xticks(np.arange(matrix.shape[1]), [str(c) for c in matrix.columns],
                      rotation=35, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(np.arange(matrix.shape[1]), [_wrap(str(c), 14) for c in matrix.columns])
    ax.set_yticks(np.arange(matrix.shape[0]), [str(r) for r in matrix.index])
    ax.tick_params(length=0, labelsize=12)
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
            if not np.isfinite(value):  # no data: a dash on white, unlike any value
                ax.text(j, i, "—", ha="center", va="center", fontsize=10, color="#BBBBBB")
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
            ax.text(j, i, text, ha="center", va="center", fontsize=11,
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
                   frameon=False, fontsize=11)
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


def word_clouds(
    frequencies: Mapping[str, Mapping[str, float]],
    *,
    title: str,
    subtitle: str | None = None,
    colors: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
    ncols: int = 3,
    max_words: int = 80,
    seed: int = 2023,
) -> Figure:
    """One word cloud per key of `frequencies` (word -> weight), in the CJK font, each in
    its key's colour; a fixed `seed` makes the layout identical on every run."""
    from wordcloud import WordCloud

    keys = list(frequencies)
    nrows = max(1, math.ceil(len(keys) / ncols))
    fig, axes = new_figure(title, subtitle, nrows=nrows, ncols=ncols, squeeze=False)
    font = str(register_cjk_font())
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, key in zip(axes.flat, keys):
        colour = (colors or {}).get(key, PALETTE[0])
        cloud = WordCloud(font_path=font, width=800, height=500, background_color="white",
                          max_words=max_words, random_state=seed, prefer_horizontal=1.0,
                          color_func=lambda *args, c=colour, **kw: c)
        words = {w: float(v) for w, v in frequencies[key].items() if v > 0}
        if words:
            cloud.generate_from_frequencies(words)
            ax.imshow(cloud.to_array(), interpolation="bilinear")
        ax.set_title(str((titles or {}).get(key, key)), fontsize=16)
    return fig


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
        locator = mdates.AutoDateLocator(minticks=3, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        span = max(positions.values()) - min(positions.values()) or 30.0
        ax.set_xlim(min(positions.values()) - 0.02 * span, max(positions.values()) + 0.02 * span)
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


def network(
    graph,
    *,
    title: str,
    subtitle: str | None = None,
    colors: Mapping[str, str] | None = None,
    type_names: Mapping[str, str] | None = None,
) -> Figure:
    """Draw a networkx graph: node size by the `count` attribute, colour by `type` (legend
    names from `type_names`), edge width by `weight`. :func:`stress_layout` spreads nodes
    by graph distance, the same on every machine; labels sit beside their nodes with a
    white halo and are pushed apart by adjustText so that none overlaps another (a
    fixed number of iterations, not its default time limit, keeps the picture repeatable)."""
    import networkx as nx
    from adjustText import adjust_text

    fig, ax = new_figure(title, subtitle)
    ax.set_axis_off()
    if graph.number_of_nodes() == 0:
        return fig
    nodes = sorted(graph.nodes)
    pos = stress_layout(graph)
    counts = np.array([graph.nodes[n].get("count", 1) for n in nodes], dtype=float)
    sizes = 120 + 1100 * (counts / counts.max())
    types = [graph.nodes[n].get("type", "") for n in nodes]
    palette = colors or color_map(sorted(set(types)))
    edges = sorted(tuple(sorted(e)) for e in graph.edges)
    weights = np.array([graph.edges[e].get("weight", 1) for e in edges], dtype=float)
    widths = 0.6 + 4 * (weights / weights.max()) if len(weights) else []
    nx.draw_networkx_edges(graph, pos, edgelist=edges, ax=ax, width=widths,
                           edge_color="#c8c8c8", alpha=0.8)
    nx.draw_networkx_nodes(graph, pos, nodelist=nodes, ax=ax, node_size=sizes,
                           node_color=[palette[t] for t in types], alpha=0.9,
                           edgecolors="white", linewidths=1.0)
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    texts = [ax.text(*pos[n], str(n), fontsize=13, ha="center", va="center", path_effects=halo)
             for n in nodes]
    xs, ys = np.array([pos[n] for n in nodes]).T
    ax.set_xlim(xs.min() - 0.15, xs.max() + 0.15)
    ax.set_ylim(ys.min() - 0.1, ys.max() + 0.1)
    adjust_text(texts, x=list(xs), y=list(ys), ax=ax, expand=(1.15, 1.3), iter_lim=100,
                arrowprops={"arrowstyle": "-", "color": "#888888", "lw": 0.6})
    for kind in sorted(set(types)):
        ax.scatter([], [], s=120, color=palette[kind], label=(type_names or {}).get(kind, kind))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="类型")
    return fig


def stress_layout(graph, *, sweeps: int = 500, tolerance: float = 1e-6) -> dict:
    """Node positions in [-1, 1] whose distances follow the graph's hop distances
    (localized stress majorization, Gansner, Koren & North 2004, as Kamada-Kawai does).

    Written so that every machine of a kind draws the same picture: no BLAS (networkx's
    Kamada-Kawai minimises through scipy's L-BFGS-B, whose OpenBLAS kernels differ with
    the processor, so the network moved between machines), sums through `math.fsum`
    (exact, so independent of the summation order), only element-wise arithmetic that
    IEEE rounds the same everywhere, a start on a circle in sorted node order and a
    stopping rule that depends on nothing but these numbers. Components that do not
    touch are kept one hop further apart than the longest path."""
    import networkx as nx

    nodes = sorted(graph.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: np.zeros(2)}
    index = {node: i for i, node in enumerate(nodes)}
    hops = np.zeros((n, n))
    for source, lengths in nx.all_pairs_shortest_path_length(graph):
        for target, length in lengths.items():
            hops[index[source], index[target]] = length
    apart = hops.max() + 1
    hops[(hops == 0) & ~np.eye(n, dtype=bool)] = apart
    weights = np.zeros((n, n))
    np.divide(1.0, hops * hops, out=weights, where=hops > 0)
    # 12 decimals: libm's cos and sin may differ in the last bit between processors
    x = np.array([round(math.cos(2 * math.pi * i / n), 12) for i in range(n)]) * apart / 2
    y = np.array([round(math.sin(2 * math.pi * i / n), 12) for i in range(n)]) * apart / 2
    for _ in range(sweeps):
        moved = 0.0
        for i in range(n):
            dx, dy = x[i] - x, y[i] - y
            length = np.sqrt(dx * dx + dy * dy)
            scale = np.zeros(n)
            np.divide(hops[i], length, out=scale, where=length > 0)
            w = weights[i]
            total = math.fsum(w)
            new_x = math.fsum(w * (x + scale * dx)) / total
            new_y = math.fsum(w * (y + scale * dy)) / total
            moved = max(moved, abs(new_x - x[i]), abs(new_y - y[i]))
            x[i], y[i] = new_x, new_y
        if moved < tolerance * apart:
            break
    x -= math.fsum(x) / n
    y -= math.fsum(y) / n
    extent = max(float(np.abs(x).max()), float(np.abs(y).max())) or 1.0
    return {node: np.array([x[i] / extent, y[i] / extent]) for i, node in enumerate(nodes)}
