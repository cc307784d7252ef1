"""Charts: every figure of the project, in the house style.

Inside the package, imports go one way, top to bottom:

- the figure families, one module per notebook, each figure a registered function that
  titles its chart with the finding: `corpus` (01), `terms` (02), `topics` (03),
  `stances` (04), `compare` (05);
- `registry`: `figure`, `REGISTRY`, `Context` (the tables charts share) and `draw(name, ctx)`,
  which renders one figure, titles it and exports it;
- the chart kinds: `bars`, `heatmaps`, `lines`, `clouds`, `networks`;
- `style`: the house style (fonts, sizes, colours, titles, saving PNG and SVG).

Notebooks, the main job, the deck and the baseline check all call the same functions:

    >>> from analysis import charts, load_corpus
    >>> ctx = charts.Context(load_corpus())
    >>> charts.draw("03_topics_by_event", ctx)

May import: `analysis.validation`, `analysis.measures`, `analysis.coding`, `analysis.corpus`
and below; never `analysis.ingest` (charts draw frames, they do not read files) nor
`analysis.explorer`.
"""

from analysis.charts.bars import bar_chart, facet_bars, stacked_bar_chart
from analysis.charts.clouds import word_clouds
from analysis.charts.heatmaps import heatmap
from analysis.charts.lines import line_chart
from analysis.charts.networks import network
from analysis.charts.registry import (Chart, Context, FigureSpec, REGISTRY, draw, figure, render,
                                      show)
from analysis.charts.style import (CJK_FONT_FAMILY, DPI, FIGSIZE, PALETTE, by_name, color_map,
                                   event_colors, new_figure, register_cjk_font, save,
                                   topic_colors, use_house_style)

# The figure families register their figures when imported: in notebook order, which is the
# order of REGISTRY, hence of the manifest and the deck.
from analysis.charts import corpus, terms, topics, stances, compare  # isort: skip (order matters)

_FAMILIES = (corpus, terms, topics, stances, compare)
talk_time_table = corpus.talk_time_table  # the table beside 01_talk_time (every event)

__all__ = ["CJK_FONT_FAMILY", "Chart", "Context", "DPI", "FIGSIZE", "FigureSpec", "PALETTE",
    "REGISTRY", "bar_chart", "by_name", "color_map", "draw", "event_colors", "facet_bars",
    "figure", "heatmap", "line_chart", "network", "new_figure", "register_cjk_font", "render",
    "save", "show", "stacked_bar_chart", "talk_time_table", "topic_colors", "use_house_style",
    "word_clouds"]
