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

    from analysis import charts

    charts.use_house_style()
    fig = charts.bar_chart(df, x="speaker", y="n_turns", title="发言次数",
                           subtitle="Turns per speaker", horizontal=True)
    charts.save(fig, "turns_per_speaker")
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import os
import re
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager, patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.project.palette import CJK_FONT_FAMILY
from analysis.project.palette import PALETTE as _PALETTE
from analysis.project.folder import atomic_write

__all__ = [
    "CJK_FONT_FAMILY",
    "DPI",
    "SMALL_PT",
    "FIGSIZE",
    "MUTED",
    "MUTED_CELL",
    "PALETTE",
    "STANCE_COLORS",
    "by_name",
    "color_map",
    "event_colors",
    "figure_paths",
    "new_figure",
    "register_cjk_font",
    "save",
    "topic_colors",
    "use_house_style",
]


_CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"

FIGSIZE = (13.333, 7.5)
"""Figure size in inches: 16:9, the shape of a slide."""

DPI = 200
"""Resolution of saved PNG files."""

_SVG_HASHSALT = "analysis-plots"

PALETTE = _PALETTE
"""Twenty distinct colours (analysis/project/palette.py); :func:`color_map` assigns them by position."""

_SLUG = re.compile(r"[a-z0-9][a-z0-9_\-]*")

_GRID_COLOR = "#dddddd"
_SUBTITLE_COLOR = "#666666"
_TITLE_SIZE = 22
_SUBTITLE_SIZE = 15
SMALL_PT = 14
"""The smallest text any chart draws: 12 pt once the deck scales the chart onto a 16:9 slide
(analysis.charts.legibility checks every chart against it)."""

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


HOUSE_RC = {
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
"""The rcParams of the house style (see :func:`use_house_style`)."""


def use_house_style() -> None:
    """Apply the slide house style to matplotlib's rcParams.

    Registers the Chinese font (see :func:`register_cjk_font`) and sets a 16:9
    figure size, font sizes legible when projected, a white background, a light
    grid, no top/right spines, constrained layout and the :data:`PALETTE`
    colour cycle. Call it once at the top of a notebook; calling it again
    resets any rcParams it sets.
    """
    register_cjk_font()
    mpl.rcParams.update(HOUSE_RC)


def house_style():
    """The house style for the duration of a `with` block (rcParams restored after), so a
    chart renders the same whether or not its caller applied the style."""
    register_cjk_font()
    return mpl.rc_context(HOUSE_RC)


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
    whose categories are the events' labels); one shared colour when there are more events
    than PALETTE has colours."""
    if "metadata_order" in events:
        events = events.sort_values("metadata_order")
    if len(events) > len(PALETTE):
        # more events than distinct colours: one colour for all, the labels name the event
        # (cycling would give two events one colour)
        return dict.fromkeys(events[key], PALETTE[0])
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


STANCE_COLORS = {"con": "#D55E00", "mixed": "#8C8C8C", "pro": "#0072B2"}
"""Against / mixed / for: Okabe-Ito vermillion and blue (apart for red-green colour-blind
viewers), grey between."""
MUTED = "#F2F2F2"
MUTED_CELL = "#DADADA"


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
    fig.title_text = title  # read by save(): the title as one line, however it is wrapped
    wide = heading.get_window_extent(renderer).width / (0.96 * fig.bbox.width)
    if wide > 1:  # a long title wraps onto two lines rather than run past the edges
        heading.set_text(_wrap(title, math.ceil(len(title) / math.ceil(wide)) + 2))
    fig.subtitle = subtitle  # read by save() as the default caption
    y -= heading.get_window_extent(renderer).height / fig.bbox.height
    # the slide deck crops the title off this band (its own title replaces it); the
    # subtitle stays on the slide, with the keys and the n it states
    fig.title_band = 1 - y + _TITLE_GAP / 2 / height_in
    if subtitle:
        y -= _TITLE_GAP / height_in
        sub = fig.text(0.5, y, subtitle, ha="center", va="top", fontsize=_SUBTITLE_SIZE, color=_SUBTITLE_COLOR)
        sub.set_in_layout(False)
        wide = sub.get_window_extent(renderer).width / (0.94 * fig.bbox.width)
        if wide > 1:  # wrap at words (or characters) rather than run past the edge
            lines = math.ceil(wide)
            sub.set_text(_wrap(subtitle, math.ceil(len(subtitle) / lines) + 4))
        y -= sub.get_window_extent(renderer).height / fig.bbox.height
    y -= _BELOW_TITLES / height_in
    fig.get_layout_engine().set(rect=(0, 0, 1, y))


def save(fig: Figure, name: str, *, caption: str | None = None, notes: str = "",
         finding: bool = True, folder: str | os.PathLike | None = None,
         evidence: Mapping[str, object] | None = None) -> list[Path]:
    """Write a figure as ``<folder>/<name>.png`` (200 dpi) and ``<folder>/<name>.svg``.

    The figure's title and ``caption`` (default: its subtitle) are written into both
    files' metadata (and ``notes``, the slide's speaker notes, into the PNG's); the figure manifest and the slide deck read them from there. The PNG
    also records ``TitleBand``, the share of its height above the plot that the titles
    take, so the deck can show the chart under its own slide title without repeating it.

    ``evidence`` (effect, n, measure, quote, speaker: a takeaway candidate, see
    ``charts.registry.Evidence``) goes into the PNG's metadata as ``Evidence`` (JSON), for the
    deck's takeaway slides.

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
    title = getattr(fig, "title_text", None) or (
        fig._suptitle.get_text() if fig._suptitle is not None else name)
    caption = caption or getattr(fig, "subtitle", None) or ""
    with mpl.rc_context(stable):
        band = f"{getattr(fig, 'title_band', 0.0):.4f}"
        png_bytes, svg_bytes = io.BytesIO(), io.BytesIO()
        fig.savefig(png_bytes, format="png", dpi=DPI, facecolor="white",
                    metadata={"Software": None, "Title": title, "Description": caption,
                              "TitleBand": band, "Comment": notes,
                              "Finding": "1" if finding else "0",
                              "Evidence": json.dumps(dict(evidence), ensure_ascii=False,
                                                     sort_keys=True) if evidence else "",
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


# --- helpers the chart kinds share: category order, wrapped labels, panel grids -------------------

def _ordered_unique(column: pd.Series) -> list:
    """Distinct non-null values: category order if categorical, else first appearance."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        present = set(column.dropna())
        return [c for c in column.cat.categories if c in present]
    return list(pd.unique(column.dropna()))


def _wrap(label: str, width: int) -> str:
    """Wrap each line of a label to ``width`` characters (Chinese text breaks anywhere);
    line breaks already in the label are kept."""
    return "\n".join("\n".join(textwrap.wrap(line, width=width, break_on_hyphens=False)) or line
                     for line in str(label).split("\n"))


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
