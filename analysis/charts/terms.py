"""Figures of notebook 02, terms and entities: frequent terms per event, entity mentions
and word clouds of each event's distinctive terms."""

from __future__ import annotations

from analysis.charts.bars import facet_bars
# the figure `word_clouds` below takes the chart kind's name
from analysis.charts.clouds import word_clouds as draw_word_clouds
from analysis.charts.heatmaps import heatmap
from analysis.charts.registry import Chart, Context, figure
from analysis.charts.style import event_colors


@figure("02_top_terms_per_event", "02_terms_and_entities.ipynb", "词语与实体")
def top_terms_per_event(ctx: Context) -> Chart:
    from analysis.measures.terms import term_frequencies

    panels = ctx.pooled_few
    top = term_frequencies(panels, "event_id", tokens=ctx.tokens, top=12)
    labels = dict(zip(panels.events["event_id"], panels.events["label"]))
    firsts = top.groupby("event_id", sort=False).head(1)
    shared = firsts["token"].value_counts()
    title = (f"「{shared.index[0]}」是 {shared.iloc[0]} 场活动的第一高频词"
             if len(shared) and shared.iloc[0] >= 2 else "各场活动的高频词")
    fig = facet_bars(top, facet="event_id", label="token", value="per_10k",
                     colors=event_colors(panels.events), facet_titles=labels,
                     xlabel="每万词", order=panels.events["event_id"], title=title,
                     subtitle=ctx.few.caption("Top 12 content terms per event, per "
                                              "10,000 content tokens"))
    return Chart(fig, title, "各场活动出现最多的 12 个实词（每万个实词中的次数）。",
                 notes="第一高频词：" + "，".join(f"{labels[e]}「{t}」" for e, t in
                                            zip(firsts["event_id"], firsts["token"])),
                 finding=title != "各场活动的高频词")


@figure("02_entity_heatmap", "02_terms_and_entities.ipynb", "词语与实体")
def entity_heatmap(ctx: Context) -> Chart:
    from analysis.measures.terms import entity_counts, entity_mentions

    columns = ctx.pooled_many
    mentions = entity_mentions(columns)
    counts = entity_counts(columns, "event_id", mentions=mentions)
    order = mentions.groupby("entity").size().sort_values(ascending=False, kind="stable")
    top_entities = order.head(25).index
    matrix = (counts[counts["entity"].isin(top_entities)]
              .pivot(index="entity", columns="event_id", values="per_10k_chars")
              .reindex(index=top_entities, columns=columns.events["event_id"]).fillna(0))
    labels = dict(zip(columns.events["event_id"], columns.events["label"]))
    # the title names the darkest cell the chart draws, among cells of at least 5 mentions
    cells = counts[counts["entity"].isin(top_entities) & (counts["n"] >= 5)]
    if len(cells):
        best = cells.sort_values(["per_10k_chars", "entity", "event_id"],
                                 ascending=[False, True, True]).iloc[0]
        title = (f"「{best['entity']}」在{labels[best['event_id']]}被提及最密：每万字 "
                 f"{matrix.at[best['entity'], best['event_id']]:.1f} 次（{int(best['n'])} 次）")
    else:
        title = "实体提及热度"
    fig = heatmap(matrix.rename(columns=labels), fmt="{:.1f}", cmap="Blues",
                  colorbar_label="每万字提及次数", title=title,
                  subtitle=ctx.many.caption("Entity mentions per 10,000 characters, "
                                            "by event"))
    return Chart(fig, title, "提及最多的 25 个实体在各场活动中每万字被提及的次数（各种写法归为同一名称）。",
                 notes="提及次数：" + "，".join(f"{k} {int(v)}" for k, v in order.head(8).items()),
                 finding=bool(len(cells)))


@figure("02_word_clouds", "02_terms_and_entities.ipynb", "词语与实体")
def word_clouds(ctx: Context) -> Chart:
    from analysis.measures.compare import MIN_TERM_COUNT, keyness_by

    panels, few = ctx.pooled_few, ctx.few
    key = keyness_by(panels, "event_id", groups=few.order, top=40, min_count=5,
                     min_target=MIN_TERM_COUNT, tokens=ctx.tokens)
    key = key[key["z"] >= 1.96]  # only terms that stand out beyond chance
    clouds = {e: dict(zip(part["term"], part["z"])) for e, part in
              key.groupby("event_id", sort=False)}
    clouds = {e: clouds[e] for e in few.order if e in clouds}
    title = "各场活动的特色词云"
    fig = draw_word_clouds(clouds, colors=event_colors(panels.events), titles=few.labels,
                           title=title, subtitle=few.caption("Word clouds of each event's "
                                                             "distinctive terms, sized by "
                                                             "log-odds z against the rest"))
    return Chart(fig, title, "各场活动相对其余活动最有区分度的词（z ≥ 1.96，本场至少出现 "
                             f"{MIN_TERM_COUNT} 次），字号按加权对数几率 z 值"
                             "（不是词频：人人都说的词不会出现）；布局随机种子固定。", finding=False)
