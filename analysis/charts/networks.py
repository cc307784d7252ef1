"""Network charts: a graph drawn with a layout that is the same on every machine
(`stress_layout`) and labels pushed apart so none overlaps another."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure

from analysis.charts.style import SMALL_PT, color_map, new_figure

__all__ = ["network", "stress_layout"]


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
    texts = [ax.text(*pos[n], str(n), fontsize=SMALL_PT, ha="center", va="center", path_effects=halo)
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
