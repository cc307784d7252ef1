"""Word clouds: one per group, in the CJK font and the group's colour, laid out the same
on every run."""

from __future__ import annotations

import math
from collections.abc import Mapping

from matplotlib.figure import Figure

from analysis.charts.style import PALETTE, new_figure, register_cjk_font

__all__ = ["word_clouds"]


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
