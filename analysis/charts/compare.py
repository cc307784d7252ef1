"""Figures of notebook 05, the cross-event comparison: distinctive terms per event, terms
over time, topics that go together (entities named together are a table in the notebook)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.charts.bars import facet_bars
from analysis.charts.heatmaps import heatmap
from analysis.charts.registry import Chart, Context, Evidence, figure, validated_zh
from analysis.charts.style import event_colors
from analysis.coding import MIN_UNITS


@figure("05_fightin_words_by_event", "05_cross_event.ipynb", "跨场对比")
def fightin_words(ctx: Context) -> Chart:
    from analysis.measures.compare import MIN_TERM_COUNT, keyness_by

    few, panels = ctx.few, ctx.pooled_few
    key = keyness_by(panels, "event_id", groups=few.order, top=10, min_count=5,
                     min_target=MIN_TERM_COUNT, tokens=ctx.tokens)
    # a term in the event's own name (「GPT-4」 in 拾象 GPT-4 纪要) is distinctive because the
    # event is about it: true by design, so it is not drawn; nor is a term below z = 1.96
    named = pd.Series([term.lower() in str(few.labels[group]).lower()
                       for group, term in zip(key["event_id"], key["term"])],
                      index=key.index, dtype=bool)
    left_out = key[named]
    # speakers' names say who spoke, not what was said
    people = {str(n).lower() for n in ctx.speakers["name"]}
    key = key[~named & (key["z"] >= 1.96) & ~key["term"].str.lower().isin(people)]
    ranked = key.sort_values(["z", "event_id", "term"], ascending=[False, True, True])
    best = ranked.head(1)
    # the difference of two z-scores has sd sqrt(2): the top word is a finding only when it
    # stands clear of the runner-up at 90 %
    clear = len(ranked) >= 2 and ranked["z"].iloc[0] - ranked["z"].iloc[1] > 1.645 * 2 ** 0.5
    title = (f"最有区分度的词：{few.labels[best['event_id'].iloc[0]]} 的「{best['term'].iloc[0]}」"
             if len(best) and clear else
             f"各{'场活动' if few.kind == 'event' else '组'}的特征词（z 值相近，没有一个词突出）"
             if len(best) else "各场活动的特征词")
    key = key.assign(count=key["target_count"].astype(int).map("{} 次".format))
    fig = facet_bars(key, facet="event_id", label="term", value="z",
                     colors=event_colors(panels.events), facet_titles=few.labels,
                     order=few.order, xlabel="对数几率 z 值", title=title,
                     annotate="count", reference=(1.96, "z = 1.96（p < 0.05）；条末为该场出现次数"
                                                        f"（至少 {MIN_TERM_COUNT} 次）"),
                     subtitle=few.caption("每场活动相对其余活动的特征词（加权对数几率 z 值，"
                                          "Monroe 等 2008）"))
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
    return Chart(fig, title, "每场活动相对其余活动最有区分度的词（最多 10 个，z ≥ 1.96；加权对数几率 z 值，Monroe 等 2008）；"
                             "活动名称里的词（如「" + "、".join(sorted(set(left_out["term"]))[:3]) + "」）因活动本身就谈它而不列。"
                             if len(left_out) else
                             "每场活动相对其余活动最有区分度的词（最多 10 个，z ≥ 1.96；加权对数几率 z 值，Monroe 等 2008）。",
                 notes=(f"{evidence.measure}；例：{evidence.quote}（{evidence.speaker}）。"
                        if evidence is not None else "") + "；".join(f"{few.labels[e]}：" + "、".join(part["term"])
                                             for e, part in top3.groupby("event_id", sort=False)),
                 # a finding, not a takeaway: a distinctive word says what an event is about,
                 # not what its speakers think (the evidence stays in the notes)
                 finding=bool(len(best)) and clear)


LIFT_MIN = 1.25  # a pair's lift must hold at this at the low end of its 90 % interval


def _related_pairs(ctx: Context) -> bool:
    """Topic lift earns a chart where some pair's interval lies beyond LIFT_MIN (or below its
    inverse) on MIN_UNITS units; otherwise every cell would be grey."""
    from analysis.estimates.cooccurrence import topic_lift

    pairs = topic_lift(ctx.unit_probabilities, list(ctx.book.ids))
    enough = pairs["both"] >= MIN_UNITS
    return bool((enough & ((pairs["low"] >= LIFT_MIN) | (pairs["high"] <= 1 / LIFT_MIN))).any())


@figure("05_topic_cooccurrence", "05_cross_event.ipynb", "跨场对比", available=_related_pairs,
        unavailable="no pair of topics is related or apart beyond 0.8-1.25 times independence "
                    "(the table of pairs below has their intervals)")
def topic_cooccurrence(ctx: Context) -> Chart:
    from analysis.estimates.cooccurrence import topic_lift

    names, ids = ctx.topic_names, list(ctx.book.ids)
    pairs = topic_lift(ctx.unit_probabilities, ids)
    calibrated = pairs["low"].notna().any()
    # a pair is a finding when its interval lies LIFT_MIN above independence, rests on enough
    # units, and its lift is not tied (as the chart rounds it) with another sure pair's
    sure = pairs[(pairs["both"] >= MIN_UNITS) & (pairs["low"] >= LIFT_MIN)]
    if len(sure):
        best = sure.sort_values(["low", "left", "right"], ascending=[False, True, True]).iloc[0]
        tied = (sure["lift"].round(1) == round(best["lift"], 1)).sum() > 1
    if len(sure) and not tied:
        title = (f"「{names[best['left']]}」与「{names[best['right']]}」同在一个单元的次数是独立时的 "
                 f"{best['lift']:.1f} 倍")
    elif len(sure):
        title = "话题共现：几对话题的关联强度相当，没有一对突出"
        sure = sure.iloc[:0]
    elif calibrated:
        title = (f"话题共现：没有一对话题的区间完全落在 {1 / LIFT_MIN:.1f}–{LIFT_MIN:g} 倍之外")
    else:
        title = "话题共现（按关键词，未校准）"

    def grid(column: str) -> pd.DataFrame:
        frame = pairs.pivot(index="left", columns="right", values=column).reindex(index=ids,
                                                                                  columns=ids)
        return frame.combine_first(frame.T)

    mask = np.triu(np.ones((len(ids), len(ids)), dtype=bool))  # lower triangle only
    lift = grid("lift").mask(mask)
    # coloured only where the title's rule would call the pair related (or apart): the
    # interval beyond LIFT_MIN (or below its inverse)
    unsure = ((grid("both") < MIN_UNITS) | ((grid("low") < LIFT_MIN) & (grid("high") > 1 / LIFT_MIN))
              if calibrated else grid("both") < MIN_UNITS).mask(mask, False)
    rows, columns = ids[1:], ids[:-1]  # the triangle without its empty first row and last column
    grey = (f"区间与 {1 / LIFT_MIN:.1f}–{LIFT_MIN:g} 倍重叠或不足 {MIN_UNITS} 个单元" if calibrated
            else f"不足 {MIN_UNITS} 个单元")
    fig = heatmap(np.log2(lift.clip(lower=0.125, upper=8)).loc[rows, columns]
                  .rename(index=names, columns=names), fmt="{:.1f}", diverging=True, vmax=2.0,
                  blank=pd.DataFrame(mask, index=ids, columns=ids).loc[rows, columns],
                  ticks={-2.0: "¼", -1.0: "½", 0.0: "1（无关）", 1.0: "2", 2.0: "4 倍"},
                  annotations=lift.round(1).loc[rows, columns].rename(index=names, columns=names),
                  faded=unsure.loc[rows, columns].rename(index=names, columns=names),
                  few_label=f"{grey}（灰）",
                  colorbar_label="提升度（对数刻度）", title=title,
                  subtitle="两个话题同在一个单元的次数与各自频率预期之比（1 = 互不相关）\n"
                           + validated_zh(ctx.topic_estimates("corpus")["validated_on"].iloc[0]))
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
                                     f"{best['lift']:.1f} 倍（90% 区间 {best['low']:.1f}–{best['high']:.1f} 倍），"
                                     f"约 {best['both']:.0f} 段发言两者都谈"),
                            quote=quote, speaker=speaker)
    shown = pairs[pairs["both"] >= MIN_UNITS].sort_values(["lift", "left", "right"],
                                                          ascending=[False, True, True]).head(5)
    return Chart(fig, title, "两个话题在同一单元中一起出现的次数与各自频率所预期的比值（提升度，1 表示无关；"
                             "颜色按对数刻度，蓝为多于独立，红为少于独立）；只画下三角（上三角与之对称）。"
                             f"{grey}的格子为灰色。",
                 notes="；".join(f"{names[r.left]}×{names[r.right]} 提升度 {r.lift:.1f}"
                                + (f"（{r.low:.1f}–{r.high:.1f}）" if calibrated else "")
                                + f"，约 {r.both:.0f} 个单元" for r in shown.itertuples()),
                 finding=len(sure) > 0, evidence=evidence)
