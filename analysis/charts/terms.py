"""Figures of notebook 02, terms and entities: entity mentions per event (frequent terms
are a table in the notebook, distinctive terms a chart of notebook 05)."""

from __future__ import annotations

import numpy as np

from analysis.charts.heatmaps import heatmap
from analysis.charts.registry import Chart, Context, Evidence, figure


ENTITY_ROWS = 20  # entities the heatmap draws, the most mentioned (one row each at SMALL_PT)
DENSER = 1.25  # a densest cell is a finding when its interval's low end is this far above the rest


@figure("02_entity_heatmap", "02_terms_and_entities.ipynb", "词语与实体")
def entity_heatmap(ctx: Context) -> Chart:
    from analysis.measures.terms import entity_counts, entity_mentions

    columns = ctx.pooled_many
    mentions = entity_mentions(columns)
    counts = entity_counts(columns, "event_id", mentions=mentions)
    order = mentions.groupby("entity").size().sort_values(ascending=False, kind="stable")
    # many columns: fewer rows, so the slide is not a wall of numbers
    top_entities = order.head(ENTITY_ROWS if columns.events.shape[0] <= 8 else 12).index
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
    # a rate resting on fewer than MIN_TERM_COUNT mentions is muted, its number kept
    from analysis.measures.compare import MIN_TERM_COUNT

    mentioned = (counts[counts["entity"].isin(top_entities)]
                 .pivot(index="entity", columns="event_id", values="n")
                 .reindex(index=top_entities, columns=columns.events["event_id"]).fillna(0))
    # the colour scale ends at the 95th percentile: one outlier cell takes the darkest blue
    # (its number still says its value) instead of paling every other cell
    values = matrix.to_numpy().ravel()
    cap = float(np.percentile(values[values > 0], 95)) if (values > 0).any() else None
    fig = heatmap(matrix.rename(columns=labels), fmt="{:.1f}", cmap="Blues", vmax=cap,
                  faded=(mentioned < MIN_TERM_COUNT).rename(columns=labels),
                  few_label=f"不足 {MIN_TERM_COUNT} 次提及（灰）",
                  colorbar_label="每万字提及次数", title=title,
                  subtitle=ctx.many.caption("各场活动每万字提及各实体的次数；灰：不足 5 次；最深的蓝为第 95 百分位及以上"))
    return Chart(fig, title, f"提及最多的 {len(top_entities)} 个实体在各场活动中每万字被提及的次数（各种写法归为同一名称）。",
                 notes=(f"{evidence.measure}；例：{evidence.quote}（{evidence.speaker}）。"
                        if evidence is not None else "") + (f"最密的格子：{best['entity']} 在 {labels[best['event_id']]} 共 "
                        f"{int(best['n'])} 次。" if best is not None else "")
                 + "提及次数：" + "，".join(f"{k} {int(v)}" for k, v in order.head(8).items()),
                 # a finding, not a takeaway: how densely a word is said leans on how long
                 # and on what subject a text is (the evidence stays in the notes)
                 finding=evidence is not None)


def _densest_title(counts, matrix, labels) -> tuple[str, object]:
    """'「E」在 X 被提及最密：每万字 R 次' for the darkest drawn cell with at least
    MIN_TERM_COUNT mentions, when the low end of its 90 % Poisson interval (as a rate) is
    DENSER times the entity's rate in every other column; else a descriptive title."""
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
    # denser beyond doubt, and by a margin worth a title: its low end 25 % above the rest
    if len(others) and low > DENSER * others.max():
        return (f"「{best['entity']}」在 {labels[best['event_id']]} 被提及最密：每万字 "
                f"{rate:.1f} 次"), best
    return "各场活动每万字提及实体的次数：没有实体明显集中在某一场或某一组", best
