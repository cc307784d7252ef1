"""Figures of notebook 05, the cross-event comparison: distinctive terms per event, terms
over time, topics that go together and the network of entities named together."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.charts.bars import facet_bars
from analysis.charts.heatmaps import heatmap
from analysis.charts.lines import line_chart
from analysis.charts.networks import network
from analysis.charts.registry import Chart, Context, Evidence, figure
from analysis.charts.style import event_colors
from analysis.coding import MIN_UNITS
from analysis.measures import describe


@figure("05_fightin_words_by_event", "05_cross_event.ipynb", "跨场对比")
def fightin_words(ctx: Context) -> Chart:
    from analysis.measures.compare import MIN_TERM_COUNT, keyness_by

    few, panels = ctx.few, ctx.pooled_few
    key = keyness_by(panels, "event_id", groups=few.order, top=10, min_count=5,
                     min_target=MIN_TERM_COUNT, tokens=ctx.tokens)
    # a term in the event's own name (「GPT-4」 in 拾象 GPT-4 纪要) is distinctive because the
    # event is about it: true by design, so never the title's finding
    named = [term.lower() in str(few.labels[group]).lower()
             for group, term in zip(key["event_id"], key["term"])]
    best = key[~pd.Series(named, index=key.index, dtype=bool)].sort_values(
        ["z", "event_id", "term"], ascending=[False, True, True]).head(1)
    title = (f"最有区分度的词：{few.labels[best['event_id'].iloc[0]]} 的「{best['term'].iloc[0]}」"
             if len(best) else "各场活动的特征词")
    key = key.assign(count=key["target_count"].astype(int))
    fig = facet_bars(key, facet="event_id", label="term", value="z",
                     colors=event_colors(panels.events), facet_titles=few.labels,
                     order=few.order, xlabel="对数几率 z 值", title=title,
                     annotate="count", reference=(1.96, f"z = 1.96（p < 0.05）；条末数字为该场出现次数"
                                                        f"（至少 {MIN_TERM_COUNT} 次）"),
                     subtitle=few.caption("Distinctive terms: each event vs the rest "
                                          "(weighted log-odds z-score, Monroe et al. "
                                          "2008)"))
    top3 = key.groupby("event_id", sort=False).head(3)
    evidence = None
    if len(best):
        group, term, z = best["event_id"].iloc[0], best["term"].iloc[0], float(best["z"].iloc[0])
        in_group = ctx.corpus.units["event_id"].map(few.of) == group
        quote, speaker = ctx.quote(ctx.corpus.units[in_group], term)
        evidence = Evidence(effect=max(0.0, 1 - 1.96 / z), n=int(best["target_count"].iloc[0]),
                            measure=(f"「{term}」在{few.labels[group]}出现 "
                                     f"{int(best['target_count'].iloc[0])} 次，加权对数几率 z = {z:.1f}"
                                     f"（90% 区间 {z - 1.645:.1f}–{z + 1.645:.1f}；z ≥ 1.96 即 p < 0.05）"),
                            quote=quote, speaker=speaker)
    return Chart(fig, title, "每场活动相对其余活动最有区分度的 10 个词（加权对数几率 z 值，Monroe 等 2008）。",
                 notes=(f"最高：「{best['term'].iloc[0]}」z = {best['z'].iloc[0]:.1f}。" if len(best)
                        else "") + "；".join(f"{few.labels[e]}：" + "、".join(part["term"])
                                             for e, part in top3.groupby("event_id", sort=False)),
                 finding=bool(len(best)), evidence=evidence)


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
    from analysis.estimates.cooccurrence import topic_lift

    names, ids = ctx.topic_names, list(ctx.book.ids)
    pairs = topic_lift(ctx.unit_probabilities, ids)
    calibrated = pairs["low"].notna().any()
    # a pair is a finding when its interval lies above independence and it rests on enough units
    sure = pairs[(pairs["both"] >= MIN_UNITS) & (pairs["low"] > 1)]
    if len(sure):
        best = sure.sort_values(["low", "left", "right"], ascending=[False, True, True]).iloc[0]
        title = (f"「{names[best['left']]}」与「{names[best['right']]}」同在一个单元的次数是独立时的 "
                 f"{best['lift']:.1f} 倍")
    elif calibrated:
        title = "话题共现：没有一对话题的关联超出不确定范围"
    else:
        title = "话题共现（按关键词，未校准）"

    def grid(column: str) -> pd.DataFrame:
        frame = pairs.pivot(index="left", columns="right", values=column).reindex(index=ids,
                                                                                  columns=ids)
        return frame.combine_first(frame.T)

    mask = np.triu(np.ones((len(ids), len(ids)), dtype=bool))  # lower triangle only
    lift = grid("lift").mask(mask)
    unsure = ((grid("both") < MIN_UNITS) | ((grid("low") <= 1) & (grid("high") >= 1))
              if calibrated else grid("both") < MIN_UNITS).mask(mask, False)
    rows, columns = ids[1:], ids[:-1]  # the triangle without its empty first row and last column
    grey = "区间包含 1 或不足 3 个单元" if calibrated else "不足 3 个单元"
    fig = heatmap(np.log2(lift.clip(lower=0.125, upper=8)).loc[rows, columns]
                  .rename(index=names, columns=names), fmt="{:.1f}", diverging=True, vmax=2.0,
                  annotations=lift.round(1).loc[rows, columns].rename(index=names, columns=names),
                  faded=unsure.loc[rows, columns].rename(index=names, columns=names),
                  few_label=f"{grey}（灰）",
                  colorbar_label="log2 提升度（0 无关，1 两倍，−1 一半）", title=title,
                  subtitle="Lift of topic pairs: units a reader would tag with both over what "
                           "their frequencies predict (1 = independent)\n"
                           + ctx.topic_estimates("corpus")["validated_on"].iloc[0])
    evidence = None
    if len(sure):
        chances = ctx.unit_probabilities.pivot(index="unit_id", columns="topic",
                                               values="probability")
        both = (chances[best["left"]] * chances[best["right"]]).rename("p")
        units = ctx.corpus.units
        ranked = units.assign(p=units["unit_id"].map(both).fillna(0.0)).sort_values(
            ["p", "unit_id"], ascending=[False, True])
        quote, speaker = ctx.quote(ranked[ranked["n_chars"] >= 20])
        evidence = Evidence(effect=float(1 - 1 / best["low"]), n=int(round(best["both"])),
                            measure=(f"「{names[best['left']]}」与「{names[best['right']]}」的提升度 "
                                     f"{best['lift']:.1f}（90% 区间 {best['low']:.1f}–{best['high']:.1f}），"
                                     f"约 {best['both']:.0f} 个单元两者都谈"),
                            quote=quote, speaker=speaker)
    shown = pairs[pairs["both"] >= MIN_UNITS].sort_values(["lift", "left", "right"],
                                                          ascending=[False, True, True]).head(5)
    return Chart(fig, title, "两个话题在同一单元中一起出现的次数与各自频率所预期的比值（提升度，1 表示无关；"
                             "颜色按对数刻度，蓝为多于独立，红为少于独立）；只画下三角。"
                             f"{grey}的格子为灰色。",
                 notes="；".join(f"{names[r.left]}×{names[r.right]} 提升度 {r.lift:.1f}"
                                + (f"（{r.low:.1f}–{r.high:.1f}）" if calibrated else "")
                                + f"，约 {r.both:.0f} 个单元" for r in shown.itertuples()),
                 finding=len(sure) > 0, evidence=evidence)


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
