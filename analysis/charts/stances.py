"""Figures of notebook 04, stances: units against, mixed and for on each target, by speaker
and by event."""

from __future__ import annotations

from analysis.charts.bars import diverging_bars
from analysis.charts.registry import Chart, Context, figure
from analysis.coding import MIN_UNITS, stance_summary


def _stance_splits(ctx: Context, by: str, fallback: str, subtitle: str, caption: str) -> Chart:
    """Diverging bars per target: each group's units against / mixed / for."""
    stances = ctx.stances
    speakers = ctx.speakers
    if by == "speaker_id":
        summary = stance_summary(ctx.corpus, "speaker_id", stances=stances, quotes=1)
        counts = summary.groupby("speaker_id")["n_units"].sum()
        shown = [s for s in speakers.index if counts.get(s, 0) >= 3
                 and speakers.at[s, "is_person"]][:12]
        inferred = speakers["inferred_share"].fillna(0) > 0.5
        labels = {s: speakers.at[s, "name"] + ("（推断）" if inferred.get(s, False) else "")
                  for s in shown}
    else:
        summary = stance_summary(ctx.corpus, "event_group", stances=stances,
                                 groups=ctx.many.of, quotes=1)
        shown = [g for g in ctx.many.order if g in set(summary["event_group"])]
        labels = ctx.many.labels
    summary = summary[summary[by].isin(shown)].copy()
    summary["_row"] = summary[by].map({k: i for i, k in enumerate(shown)})
    summary = summary.sort_values(["target", "_row"])
    summary["label"] = summary[by].map(labels)
    solid = summary[summary["n_units"] >= MIN_UNITS]
    solid = solid.assign(lean=(solid["n_pro"] - solid["n_con"]) / solid["n_units"])
    solid = solid[solid["lean"].abs() >= 0.5]  # a clear majority one way
    found = not solid.empty
    if found:
        best = solid.assign(strength=solid["lean"].abs()).sort_values(
            ["strength", "n_units", by], ascending=[False, False, True]).iloc[0]
        side = "支持" if best["lean"] > 0 else "反对" if best["lean"] < 0 else "两面看待"
        who = labels[best[by]]
        title = (f"{who} 最明确{side}「{ctx.target_names[best['target']]}」"
                 f"（{int(max(best['n_pro'], best['n_con']))}/{int(best['n_units'])} 个单元）")
        evidence = best["evidence"]
    else:
        title, evidence = fallback, ""
    quotes = {}
    for target, part in summary.groupby("target"):
        strongest = part.sort_values(["n_units"], ascending=False).iloc[0]["evidence"]
        text = strongest.split("] ", 1)[-1] if strongest else ""
        quotes[target] = text[:28] + ("…" if len(text) > 28 else "")
    fig = diverging_bars(summary, facet="target", label="label", title=title,
                         subtitle=subtitle, facet_titles=ctx.target_names, quotes=quotes,
                         order=list(ctx.cues.ids), min_n=MIN_UNITS)
    return Chart(fig, title, caption, notes=f"依据：{evidence}" if evidence else "",
                 finding=found)


@figure("04_stances_by_speaker", "04_stances.ipynb", "立场")
def stances_by_speaker(ctx: Context) -> Chart:
    return _stance_splits(ctx, "speaker_id", "发言者立场",
                          "Units against / mixed / for per person and target (n = scored "
                          "units; grey: fewer than 3; （推断）: speaker inferred)",
                          "有至少 3 个表态单元的个人在各议题上的表态：左为反对、右为支持、灰为两面，"
                          "数字为单元数；每个议题下引一句最有力的原话。")


@figure("04_stances_by_event", "04_stances.ipynb", "立场")
def stances_by_event(ctx: Context) -> Chart:
    return _stance_splits(ctx, "event_group", "各场活动的立场",
                          ctx.many.caption("Units against / mixed / for per event and target "
                                           "(n = scored units; grey: fewer than 3)"),
                          "各场活动在各议题上的表态单元（低契合的活动不计）：左为反对、右为支持、"
                          "灰为两面。")
