"""Figures of notebook 05, the cross-event comparison: distinctive terms per event, terms
over time, topics that go together and the network of entities named together."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.charts.bars import facet_bars
from analysis.charts.heatmaps import heatmap
from analysis.charts.lines import line_chart
from analysis.charts.networks import network
from analysis.charts.registry import Chart, Context, figure
from analysis.charts.style import event_colors
from analysis.coding import MIN_UNITS
from analysis.measures import describe


@figure("05_fightin_words_by_event", "05_cross_event.ipynb", "跨场对比")
def fightin_words(ctx: Context) -> Chart:
    from analysis.measures.compare import keyness_by

    few, panels = ctx.few, ctx.pooled_few
    key = keyness_by(panels, "event_id", groups=few.order, top=10, min_count=5,
                     tokens=ctx.tokens)
    best = key.sort_values(["z", "event_id", "term"], ascending=[False, True, True]).head(1)
    title = (f"最有区分度的词：{few.labels[best['event_id'].iloc[0]]} 的「{best['term'].iloc[0]}」"
             f"（z = {best['z'].iloc[0]:.1f}）" if len(best) else "各场活动的特征词")
    key = key.assign(count=key["target_count"].astype(int))
    fig = facet_bars(key, facet="event_id", label="term", value="z",
                     colors=event_colors(panels.events), facet_titles=few.labels,
                     order=few.order, xlabel="对数几率 z 值", title=title,
                     annotate="count", reference=(1.96, "z = 1.96（p < 0.05）；条末数字为该场出现次数"),
                     subtitle=few.caption("Distinctive terms: each event vs the rest "
                                          "(weighted log-odds z-score, Monroe et al. "
                                          "2008)"))
    top3 = key.groupby("event_id", sort=False).head(3)
    return Chart(fig, title, "每场活动相对其余活动最有区分度的 10 个词（加权对数几率 z 值，Monroe 等 2008）。",
                 notes="；".join(f"{few.labels[e]}：" + "、".join(part["term"])
                                for e, part in top3.groupby("event_id", sort=False)),
                 finding=bool(len(best)))


def _dated_enough(ctx: Context) -> bool:
    """Time charts only where dates mean time: at least 6 distinct periods spanning a year."""
    dates = pd.to_datetime(ctx.corpus.events["date"]).drop_duplicates()
    return len(dates) >= 6 and (dates.max() - dates.min()).days >= 365


@figure("05_term_trajectories", "05_cross_event.ipynb", "跨场对比", available=_dated_enough,
        unavailable="the events have fewer than six dates spanning a year")
def term_trajectories(ctx: Context) -> Chart:
    from analysis.measures.compare import event_timeline, moving_terms, term_trajectory

    over_time = ctx.pooled_many
    timeline = event_timeline(over_time)
    terms = term_trajectory(over_time, moving_terms(over_time, 6, tokens=ctx.tokens),
                            tokens=ctx.tokens)
    terms = terms.assign(when=terms["event_id"].map(timeline.set_index("event_id")["date"]))
    title = "关键词走势"
    fig = line_chart(terms, x="when", y="per_10k_chars", series="term",
                     ylabel="每万字出现次数", title=title,
                     subtitle=ctx.many.caption("Six terms varying most between events, "
                                               "per 10,000 characters, by date"))
    return Chart(fig, title, "在各场活动间变化最大的 6 个词，每万字出现次数，按真实日期排列。",
                 finding=False)


@figure("05_topic_cooccurrence", "05_cross_event.ipynb", "跨场对比")
def topic_cooccurrence(ctx: Context) -> Chart:
    from analysis.measures.compare import topic_association

    names = ctx.topic_names
    lift, pairs = topic_association(ctx.corpus, topics=ctx.topics)
    solid = pairs[pairs["both"] >= MIN_UNITS]
    if len(solid):
        best = solid.sort_values(["lift", "left", "right"], ascending=[False, True, True]).iloc[0]
        title = (f"「{names[best['left']]}」与「{names[best['right']]}」最常一起出现"
                 f"（提升度 {best['lift']:.1f}）")
    else:
        title = "话题共现"
    mask = np.triu(np.ones(lift.shape, dtype=bool))  # lower triangle only
    shown = lift.mask(mask)
    n = pd.DataFrame(pairs.pivot(index="left", columns="right", values="both")).reindex(
        index=lift.index, columns=lift.columns)
    n = n.combine_first(n.T).mask(mask)
    fig = heatmap(shown.rename(index=names, columns=names), fmt="{:.1f}", cmap="Oranges",
                  annotations=shown.round(1), faded=(n < MIN_UNITS).fillna(False),
                  colorbar_label="提升度", title=title,
                  subtitle="Lift of topic pairs: units carrying both over what their "
                           "frequencies predict (1 = independent; grey: < 3 units)")
    return Chart(fig, title, "两个话题同时出现在一个单元中的次数与各自频率所预期的比值（提升度，1 表示无关）；"
                             "只画下三角。",
                 notes="；".join(f"{names[r.left]}×{names[r.right]} 提升度 {r.lift:.1f}（{int(r.both)} 个单元）"
                                for r in solid.sort_values("lift", ascending=False).head(5)
                                .itertuples()), finding=title != "话题共现")


@figure("05_entity_network", "05_cross_event.ipynb", "跨场对比",
        available=lambda ctx: ctx.entity_graph.number_of_edges() > 0,
        unavailable="no two entities mentioned 4 times or more are mentioned together in "
                    "2 utterances or more")
def entity_network(ctx: Context) -> Chart:
    graph = ctx.entity_graph
    hub = max(graph.degree, key=lambda d: (d[1], d[0]))[0] if graph.number_of_nodes() else None
    title = f"实体共现网络：{hub} 连接最多" if hub else "实体共现网络"
    fig = network(graph, type_names=describe.display_names("entity_types"), title=title,
                  subtitle="Entities co-mentioned in an utterance: node size = mentions, "
                           "edge width = co-mentions")
    return Chart(fig, title, "在同一话语中一起被提及的实体：节点大小为提及次数，连线粗细为共同提及次数。",
                 notes=f"{graph.number_of_nodes()} 个实体，{graph.number_of_edges()} 条连线",
                 finding=hub is not None)
