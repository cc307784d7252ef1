"""What an editor checks before a chart goes on a slide, measured on the rendered figure.

`problems(fig)` lists, from matplotlib's own text extents after a draw:

- `overlap`: two visible texts whose boxes overlap (more than a sliver);
- `clipped`: a text that runs past the figure's edge, so the saved image cuts it;
- `small`: a text smaller than `MIN_SLIDE_PT` once the figure is placed on a 16:9 slide the
  way the deck places it (`slide_scale`);
- `unlabelled`: a categorical axis (text tick labels) that draws more bars or heatmap rows
  and columns than it labels.

Texts that are never drawn are skipped: invisible or empty texts, tick labels of ticks
outside the view and of hidden axes. The tests run it on every chart at 5 and 80 events.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from matplotlib.text import Text

MIN_SLIDE_PT = 12
"""Smallest font an audience reads on a projected 16:9 slide."""

SLIDE_W_IN, SLIDE_H_IN = 13.333, 7.5
SLIDE_TITLE_IN = 0.8     # the slide's own title, above the picture
SLIDE_CAPTION_IN = 0.62  # the caption under the picture (two lines at 13 pt)
SLIDE_SIDE_IN = 0.25


def slide_box(fig_w_in: float, fig_h_in: float, band: float) -> tuple[float, float]:
    """Width and height (inches) of a chart on a deck slide: the chart without its title band
    (the slide has its own title), as large as fits between the slide title and caption."""
    shown_h = fig_h_in * (1 - band)
    room_h = SLIDE_H_IN - SLIDE_TITLE_IN - SLIDE_CAPTION_IN
    width = min(SLIDE_W_IN - 2 * SLIDE_SIDE_IN, room_h * fig_w_in / shown_h)
    return width, width * shown_h / fig_w_in


def slide_scale(fig: Figure) -> float:
    """How much the deck scales this figure's fonts: its width on the slide / its own width."""
    width, _ = slide_box(fig.get_figwidth(), fig.get_figheight(), getattr(fig, "title_band", 0.0))
    return width / fig.get_figwidth()


def min_font_pt(fig: Figure) -> float:
    """The smallest font size (points, in the figure) that reaches MIN_SLIDE_PT on a slide."""
    return MIN_SLIDE_PT / slide_scale(fig)


_NUMBER = re.compile(r"^[\s\-−+$\\{}^0-9.,%×mathdefault]*$")


def _drawn_texts(fig: Figure) -> list[Text]:
    hidden = set()
    for ax in fig.axes:
        for axis, (lo, hi), which in ((ax.xaxis, ax.get_xlim(), 0), (ax.yaxis, ax.get_ylim(), 1)):
            lo, hi = sorted((lo, hi))
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                labels = (tick.label1, tick.label2)
                outside = not (lo - 1e-9 <= tick.get_loc() <= hi + 1e-9)
                if outside or not ax.axison or not axis.get_visible() or not tick.get_visible():
                    hidden.update(id(label) for label in labels)
    texts = []
    for text in fig.findobj(Text):
        if id(text) in hidden or not text.get_visible() or not text.get_text().strip():
            continue
        if text.axes is not None and not text.axes.get_visible():
            continue
        texts.append(text)
    return texts


def _label(text: Text) -> str:
    return text.get_text().replace("\n", " ")[:30]


def problems(fig: Figure, *, min_pt: float | None = None) -> list[tuple[str, str]]:
    """Every legibility fault of `fig`, as (kind, what): see the module docstring."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    min_pt = min_font_pt(fig) if min_pt is None else min_pt
    found = []
    boxes = []
    for text in _drawn_texts(fig):
        box = text.get_window_extent(renderer)
        if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1:
            found.append(("clipped", _label(text)))
        if text.get_fontsize() < min_pt - 0.05:
            found.append(("small", f"{_label(text)} ({text.get_fontsize():.0f} pt)"))
        boxes.append((text, box))
    shapes = [(text, _corners(text, box, renderer)) for text, box in boxes]
    for (a, corners_a), (b, corners_b) in itertools.combinations(shapes, 2):
        if _intersect(corners_a, corners_b):
            found.append(("overlap", f"{_label(a)} | {_label(b)}"))
    for ax in fig.axes:
        found += _unlabelled(ax)
    return found


def _corners(text: Text, box, renderer, shrink: float = 0.5) -> np.ndarray:
    """The four corners (pixels) of a text's own rectangle, rotated as drawn and shrunk by
    `shrink` pixels a side (touching is not overlapping): a slanted label's axis-aligned box
    would overlap its neighbours' even where the glyphs do not."""
    angle = math.radians(text.get_rotation())
    if abs(math.sin(angle)) < 1e-6:
        w, h = box.width, box.height
    else:
        text.set_rotation(0)
        flat = text.get_window_extent(renderer)
        text.set_rotation(math.degrees(angle))
        w, h = flat.width, flat.height
    u = np.array([math.cos(angle), math.sin(angle)]) * max(w / 2 - shrink, 0)
    v = np.array([-math.sin(angle), math.cos(angle)]) * max(h / 2 - shrink, 0)
    centre = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
    return np.array([centre - u - v, centre + u - v, centre + u + v, centre - u + v])


def _intersect(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two convex quadrilaterals overlap (separating axis test)."""
    for shape in (a, b):
        for i in range(4):
            edge = shape[(i + 1) % 4] - shape[i]
            normal = np.array([-edge[1], edge[0]])
            if not normal.any():
                return False
            pa, pb = a @ normal, b @ normal
            if pa.max() <= pb.min() or pb.max() <= pa.min():
                return False
    return True


def _categories(labels: list[Text]) -> list[str] | None:
    """The tick labels' texts if the axis is categorical (some label is not a number)."""
    texts = [t.get_text() for t in labels]
    return texts if any(t.strip() and not _NUMBER.match(t) for t in texts) else None


def _unlabelled(ax: Axes) -> list[tuple[str, str]]:
    if not ax.axison or not ax.get_visible():
        return []
    found = []
    for axis, which in ((ax.yaxis, "y"), (ax.xaxis, "x")):
        if not axis.get_visible():
            continue
        labels = axis.get_ticklabels()
        names = _categories(labels)
        if names is None:
            continue
        drawn = _positions(ax, which)
        lo, hi = sorted(ax.get_ylim() if which == "y" else ax.get_xlim())
        ticks = {round(float(loc), 3) for loc, label in zip(axis.get_ticklocs(), names)
                 if label.strip() and lo <= loc <= hi}
        missing = sorted(p for p in drawn if lo <= p <= hi and p not in ticks)
        if missing:
            found.append(("unlabelled", f"{ax.get_title()[:20] or which}: {len(missing)} of "
                                        f"{len(drawn)} {which} positions without a label"))
    return found


def _positions(ax: Axes, which: str) -> set[float]:
    """Category positions the axes draws something at: bar centres and heatmap cells."""
    found: set[float] = set()
    for container in ax.containers:
        for patch in container:
            if isinstance(patch, Rectangle) and patch.get_width() and patch.get_height():
                if which == "y" and getattr(container, "orientation", "") == "horizontal":
                    found.add(round(patch.get_y() + patch.get_height() / 2, 3))
                elif which == "x" and getattr(container, "orientation", "") == "vertical":
                    found.add(round(patch.get_x() + patch.get_width() / 2, 3))
    for image in ax.get_images():
        if isinstance(image, AxesImage):
            rows, cols = image.get_array().shape[:2]
            found.update(float(i) for i in range(rows if which == "y" else cols))
    return found
