"""Figures of notebook 02, terms and entities: frequent terms per event, entity mentions
and word clouds of each event's distinctive terms."""

from __future__ import annotations

from analysis.charts.bars import facet_bars
from analysis.charts.heatmaps import heatmap
from analysis.charts.registry import Chart, Context, Evidence, figure
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


ENTITY_ROWS = 20  # entities the heatmap draws, the most mentioned (one row each at SMALL_PT)


@figure("02_entity_heatmap", "02_terms_and_entities.ipynb", "词语与实体")
def entity_heatmap(ctx: Context) -> Chart:
    from analysis.measures.terms import entity_counts, entity_mentions

    columns = ctx.pooled_many
    mentions = entity_mentions(columns)
    counts = entity_counts(columns, "event_id", mentions=mentions)
    order = mentions.groupby("entity").size().sort_values(ascending=False, kind="stable")
    top_entities = order.head(ENTITY_ROWS).index
    matrix = (counts[counts["entity"].isin(top_entities)]
              .pivot(index="entity", columns="event_id", values="per_10k_chars")
              .reindex(index=top_entities, columns=columns.events["event_id"]).fillna(0))
    labels = dict(zip(columns.events["event_id"], columns.events["label"]))
    title, best = _densest_title(counts[counts["entity"].isin(top_entities)], matrix, labels)
    evidence = None
    if best is not None and title.startswith("「"):
        from analysis.estimates.intervals import poisson_interval

        rate = matrix.at[best["entity"], best["event_id"]]
        low = poisson_interval(int(best["n"]))[0] * rate / best["n"]
        others = matrix.loc[best["entity"]].drop(best["event_id"]).max()
        in_group = ctx.corpus.units["event_id"].map(ctx.many.of) == best["event_id"]
        surfaces = mentions[(mentions["entity"] == best["entity"])
                            & (mentions["event_id"] == best["event_id"])]["surface"]
        term = surfaces.mode().iloc[0] if len(surfaces) else best["entity"]
        quote, speaker = ctx.quote(ctx.corpus.units[in_group], term)
        evidence = Evidence(effect=float(1 - others / low), n=int(best["n"]),
                            measure=(f"「{best['entity']}」在{labels[best['event_id']]}每万字 "
                                     f"{rate:.1f} 次（90% 区间下限 {low:.1f}，共 {int(best['n'])} 次），"
                                     f"别处最多 {others:.1f}"),
                            quote=quote, speaker=speaker)
    fig = heatmap(matrix.rename(columns=labels), fmt="{:.1f}", cmap="Blues",
                  colorbar_label="每万字提及次数", title=title,
                  subtitle=ctx.many.caption("Entity mentions per 10,000 characters, "
                                            "by event"))
    return Chart(fig, title, f"提及最多的 {ENTITY_ROWS} 个实体在各场活动中每万字被提及的次数（各种写法归为同一名称）。",
                 notes=(f"最密的格子：{best['entity']} 在 {labels[best['event_id']]} 共 "
                        f"{int(best['n'])} 次。" if best is not None else "")
                 + "提及次数：" + "，".join(f"{k} {int(v)}" for k, v in order.head(8).items()),
                 finding=title.startswith("「"), evidence=evidence)


def _densest_title(counts, matrix, labels) -> tuple[str, object]:
    """'「E」在 X 被提及最密：每万字 R 次' for the darkest drawn cell with at least
    MIN_TERM_COUNT mentions, when the low end of its 90 % Poisson interval (as a rate) is
    above the entity's rate in every other column; else a descriptive title."""
    from analysis.estimates.intervals import poisson_interval
    from analysis.measures.compare import MIN_TERM_COUNT

    cells = counts[counts["n"] >= MIN_TERM_COUNT]
    if cells.empty:
        return "各场活动每万字提及实体的次数", None
    best = cells.sort_values(["per_10k_chars", "entity", "event_id"],
                             ascending=[False, True, True]).iloc[0]
    rate = matrix.at[best["entity"], best["event_id"]]
    low = poisson_interval(int(best["n"]))[0] * rate / best["n"]
    others = matrix.loc[best["entity"]].drop(best["event_id"])
    if len(others) and low > others.max():
        return (f"「{best['entity']}」在{labels[best['event_id']]}被提及最密：每万字 "
                f"{rate:.1f} 次"), best
    return (f"各场活动每万字提及实体的次数：「{best['entity']}」在{labels[best['event_id']]}最密"
            f"（{rate:.1f}），但不比它在别处明显更多"), best
