"""Figures of notebook 03, topics: how much of the talk each topic takes, overall and by
event, speaker and role, how topics move through an event, and what the coding leaves
uncovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.charts.bars import bar_chart, facet_bars
from analysis.charts.heatmaps import heatmap, panel_heatmaps, with_n
from analysis.charts.registry import FINDING_MIN_UNITS, Chart, Context, _pct, figure
from analysis.coding import MIN_UNITS, topic_frequencies


def _topic_cell_finding(freq: pd.DataFrame, by: str, labels: dict, names: dict,
                        fallback: str) -> tuple[str, bool]:
    """'X 谈「topic」最多（share）' for the strongest cell resting on enough units, in a group
    large enough (FINDING_MIN_UNITS) that a share means something."""
    solid = freq[(freq["n_units"] >= MIN_UNITS) & (freq["group_units"] >= FINDING_MIN_UNITS)]
    if solid.empty:
        return fallback, False
    best = solid.sort_values(["share_chars", by, "topic"], ascending=[False, True, True]).iloc[0]
    return (f"{labels.get(best[by], best[by])} 谈「{names[best['topic']]}」最多"
            f"（{_pct(best['share_chars'])} 的发言）", True)


@figure("03_topics_overall", "03_topics.ipynb", "话题")
def topics_overall(ctx: Context) -> Chart:
    names, book = ctx.topic_names, ctx.book
    overall = topic_frequencies(ctx.corpus, "corpus", topics=ctx.topics)
    overall = overall.assign(share=overall["share_chars"] * 100,
                             name=[f"{names[t]} (n={n})" for t, n in
                                   zip(overall["topic"], overall["n_units"])])
    overall = overall.sort_values("share", ascending=False, kind="stable")
    lead = overall.iloc[0]
    title = f"「{names[lead['topic']]}」占了 {lead['share']:.0f}% 的发言"
    fig = bar_chart(overall, x="name", y="share", horizontal=True, fmt="{:.1f}%",
                    colors=dict(zip(overall["name"], overall["topic"].map(book.colors()))),
                    xlabel="文本占比 %", title=title,
                    subtitle=f"Share of all spoken text in units discussing each topic "
                             f"(n = units; {len(ctx.corpus.units):,} units in all)")
    return Chart(fig, title, "全部发言文本中，讨论各话题的分析单元所占的字数比例（n 为单元数）。",
                 notes="；".join(f"{names[r.topic]} {r.share:.1f}%（n={r.n_units}）"
                                for r in overall.head(5).itertuples()))


@figure("03_topics_by_event", "03_topics.ipynb", "话题")
def topics_by_event(ctx: Context) -> Chart:
    names, groups = ctx.topic_names, ctx.many
    topics = list(ctx.book.ids)
    freq = topic_frequencies(ctx.corpus, "event_group", topics=ctx.topics, groups=groups.of)
    share = (freq.pivot(index="topic", columns="event_group", values="share_chars")
             .reindex(index=topics, columns=groups.order) * 100)
    n = freq.pivot(index="topic", columns="event_group", values="n_units").reindex(
        index=topics, columns=groups.order)
    columns = with_n(groups.labels, freq.groupby("event_group")["group_units"].first()
                     .reindex(groups.order))
    title, found = _topic_cell_finding(freq, "event_group", groups.labels, names,
                                       "各场活动的话题分布")
    fig = heatmap(share.rename(index=with_n(names, n.sum(axis=1), sep=" "),
                               columns=columns),
                  fmt="{:.0f}%", cmap="Blues", faded=(n < MIN_UNITS),
                  colorbar_label="文本占比 %", title=title,
                  subtitle=groups.caption("Share of each event's spoken text in units "
                                          "discussing the topic (n = units; grey: < 3 "
                                          "units)"))
    return Chart(fig, title, "各场活动的发言文本中，讨论各话题的单元所占比例；不足 3 个单元的格子为灰色。",
                 notes=f"度量：文本占比；n：单元数；阈值 {MIN_UNITS} 个单元。", finding=found)


def _group_topic_heatmap(ctx: Context, freq: pd.DataFrame, by: str, shown: list,
                         labels: dict, title: str, *, cmap: str, subtitle: str,
                         faded_rows=None) -> Figure:
    """Groups (speakers, roles) x topics: share of each group's text in units discussing
    the topic, n on rows and columns, cells under MIN_UNITS muted."""
    topics = list(ctx.book.ids)
    matrix = (freq.pivot(index=by, columns="topic", values="share_chars")
              .reindex(index=shown, columns=topics) * 100)
    n = freq.pivot(index=by, columns="topic", values="n_units").reindex(index=shown,
                                                                        columns=topics)
    rows = with_n(labels, freq.groupby(by)["group_units"].first().reindex(shown), sep=" ")
    return heatmap(matrix.rename(index=rows, columns=with_n(ctx.topic_names,
                                                            n.sum())),
                   fmt="{:.0f}%", cmap=cmap, colorbar_label="文本占比 %",
                   faded=(n < MIN_UNITS), faded_rows=faded_rows, title=title,
                   subtitle=subtitle)


@figure("03_topics_by_speaker", "03_topics.ipynb", "话题")
def topics_by_speaker(ctx: Context) -> Chart:
    speakers = ctx.speakers
    enough = list(speakers[(speakers["n_chars"] >= 1000) & speakers["is_person"]].index[:25])
    freq = topic_frequencies(ctx.corpus, "speaker_id", topics=ctx.topics)
    freq = freq[freq["speaker_id"].isin(enough)]
    title, found = _topic_cell_finding(freq, "speaker_id", speakers["name"].to_dict(),
                                       ctx.topic_names, "发言者 × 话题")
    fig = _group_topic_heatmap(
        ctx, freq, "speaker_id", enough, speakers["display"].to_dict(), title, cmap="Purples",
        faded_rows=speakers["inferred_share"].reindex(enough).fillna(0) > 0.5,
        subtitle="Share of each speaker's text in units discussing the topic "
                 "(n = units; grey: < 3 units; striped: inferred speaker)")
    return Chart(fig, title, "发言超过 1,000 字的个人：其发言中讨论各话题的比例；推断出的发言者加斜线，不足 3 个单元的格子为灰色。",
                 notes=f"度量：文本占比；n：单元数；阈值 {MIN_UNITS} 个单元。", finding=found)


@figure("03_topics_by_role", "03_topics.ipynb", "话题")
def topics_by_role(ctx: Context) -> Chart:
    freq = topic_frequencies(ctx.corpus, "role", topics=ctx.topics)
    role_names = ctx.roles.names()
    shown = [r for r in role_names if r in set(freq["role"])]
    people = freq[~freq["role"].isin(ctx.roles.pools)]
    title, found = _topic_cell_finding(people, "role", role_names, ctx.topic_names,
                                       "不同角色的话题占比")
    fig = _group_topic_heatmap(ctx, freq, "role", shown, role_names, title, cmap="Greens",
                               subtitle="Share of each role's text in units discussing the "
                                        "topic (n = units; grey: < 3 units)")
    return Chart(fig, title, "各角色的发言中讨论各话题的比例；不足 3 个单元的格子为灰色。",
                 notes=f"度量：文本占比；n：单元数；阈值 {MIN_UNITS} 个单元。", finding=found)


@figure("03_topic_flow", "03_topics.ipynb", "话题")
def topic_flow(ctx: Context) -> Chart:
    units, topics, names = ctx.corpus.units, ctx.topics, ctx.topic_names
    labels = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
    sizes = units.groupby("event_id").size().sort_values(ascending=False, kind="stable")
    chosen = [e for e in ctx.corpus.events.sort_values(["date", "metadata_order"])["event_id"]
              if e in sizes.index[:6] and sizes[e] >= 20]
    carried = topics.groupby("unit_id")["topic"].agg(set)
    panels, moves = {}, []
    timed = False
    for event_id in chosen:
        part = units[units["event_id"] == event_id].sort_values("seq")
        if part["start_s"].notna().all() and part["start_s"].nunique() >= 10:
            # a recording's clock: ten equal stretches of time
            bins = pd.cut(part["start_s"].to_numpy(float), 10, labels=False)
            timed = True
        else:  # no clock: ten equal runs of units
            bins = pd.qcut(np.arange(len(part)), 10, labels=False)
        matrix = pd.DataFrame(0.0, index=list(ctx.book.ids), columns=range(1, 11))
        for b in range(10):
            piece = part[bins == b]
            total = piece["n_chars"].sum() or 1
            for unit_id, chars in zip(piece["unit_id"], piece["n_chars"]):
                for topic in carried.get(unit_id, ()):
                    matrix.loc[topic, b + 1] += chars / total * 100
        first, last = matrix.iloc[:, :3].mean(axis=1), matrix.iloc[:, -3:].mean(axis=1)
        shift = (last - first)
        if len(part) >= 50:  # a tenth of fewer than five units says little
            moves.append((labels[event_id], shift.idxmax(), shift.max(), shift.idxmin()))
        panels[labels[event_id]] = matrix.rename(index=names)
    if moves:
        event, topic, rise, _ = max(moves, key=lambda m: (m[2], m[0]))
        title = f"{event} 越谈越多「{names[topic]}」（后段比前段多 {rise:.0f} 个百分点）"
    else:
        title = "话题在活动中的走向"
    fig = panel_heatmaps(panels, title=title,
                         subtitle="Share of each tenth of the event (by time where the "
                                  "transcript has timestamps, else by position) "
                                  "discussing the topic; the six largest events",
                         xlabel="活动进程（按时间十等分）" if timed else "活动进程（十分位）",
                         colorbar_label="文本占比 %")
    return Chart(fig, title, "每场活动按先后分成十段，各段发言中讨论各话题的比例，可见讨论从哪里走向哪里。",
                 notes="；".join(f"{m[0]}：后段增加最多「{names[m[1]]}」，减少最多「{names[m[3]]}」"
                                for m in moves), finding=bool(moves))


@figure("03_coding_coverage", "03_topics.ipynb", "话题")
def coding_coverage(ctx: Context) -> Chart:
    units = ctx.corpus.units
    with_topic = set(ctx.topics["unit_id"])
    with_stance = set(ctx.stances["unit_id"])
    labels = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
    rows = []
    for event_id, part in units.groupby("event_id", sort=False):
        total = part["n_chars"].sum() or 1
        rows.append({"event": labels[event_id], "measure": "没有话题",
                     "share": part.loc[~part["unit_id"].isin(with_topic), "n_chars"].sum()
                     / total * 100})
        rows.append({"event": labels[event_id], "measure": "没有立场",
                     "share": part.loc[~part["unit_id"].isin(with_stance), "n_chars"].sum()
                     / total * 100})
    frame = pd.DataFrame(rows)
    none = frame[frame["measure"] == "没有话题"].set_index("event")["share"]
    top = none.idxmax()
    title = f"{top} 有 {none.max():.0f}% 的发言不属于任何话题"
    fig = facet_bars(frame, facet="measure", label="event", value="share",
                     colors={"没有话题": "#0072B2", "没有立场": "#D55E00"}, ncols=2,
                     xlabel="文本占比 %", order=["没有话题", "没有立场"], title=title,
                     subtitle="Share of each event's spoken text in units with no "
                              "discussed topic, and with no stance")
    return Chart(fig, title, "各场活动的发言中，没有任何话题、没有任何立场的单元所占字数比例：编码没覆盖到的部分。",
                 notes="无话题：" + "，".join(f"{k} {v:.0f}%" for k, v in none.items()))
