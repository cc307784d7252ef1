"""Stage 8, charts: every figure of the project, in the house style.

`style` is the house style (fonts, sizes, colours, titles, saving PNG and SVG) and the chart
kinds; `registry` holds every registered figure: `draw(name, ctx)` renders one, titles it with
its finding and exports it. Notebooks, the main job, the deck and the baseline check all
call the same functions:

    >>> from analysis import charts, load_corpus
    >>> ctx = charts.Context(load_corpus())
    >>> charts.draw("03_topics_by_event", ctx)

May import: `analysis.validation`, `analysis.measures`, `analysis.coding`, `analysis.corpus`
and below; never `analysis.ingest` (charts draw frames, they do not read files) nor
`analysis.explorer`.
"""

from analysis.charts.registry import (Chart, Context, FigureSpec, REGISTRY, draw, figure, render,
                                      show)
from analysis.charts.style import (CJK_FONT_FAMILY, DPI, FIGSIZE, PALETTE, bar_chart, by_name,
                                   color_map, event_colors, facet_bars, heatmap, line_chart,
                                   network, new_figure, register_cjk_font, save,
                                   stacked_bar_chart, topic_colors, use_house_style, word_clouds)

__all__ = ["CJK_FONT_FAMILY", "Chart", "Context", "DPI", "FIGSIZE", "FigureSpec", "PALETTE",
    "REGISTRY", "bar_chart", "by_name", "color_map", "draw", "event_colors", "facet_bars",
    "figure", "heatmap", "line_chart", "network", "new_figure", "register_cjk_font", "render",
    "save", "show", "stacked_bar_chart", "topic_colors", "use_house_style", "word_clouds"]
