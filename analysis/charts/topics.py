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
from analysis.estimates import WIDE, leader


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


def _leaders_title(rows: pd.DataFrame, names: dict, what: str) -> tuple[str, bool]:
    """'「X」…最多' when X is the largest in nearly every simulation (analysis.estimates.leader);
    else the topics whose intervals reach X's, named together as within the uncertainty."""
    top, sure = leader(rows)
    if sure:
        return f"「{names[top['topic']]}」{what}最多（{_pct(top['estimate'])}）", True
    close = rows[(rows["high"] >= top["low"])].sort_values(
        ["estimate", "topic"], ascending=[False, True], kind="stable")["topic"].head(3)
    return ("、".join(f"「{names[t]}」" for t in close) + f"{what}最多，差距在不确定范围内",
            False)


def _calibration_note(estimates: pd.DataFrame) -> str:
    return f"依据：{estimates['validated_on'].iloc[0]}。"


def _units_label(row, calibrated: bool) -> str:
    """A topic's n: units a reader would tag (summed probabilities) when calibrated, else the
    units the keyword coder counts."""
    return f"n≈{row.expected_units:,.0f}" if calibrated else f"n={row.n_units:,}"


@figure("03_topics_overall", "03_topics.ipynb", "话题")
def topics_overall(ctx: Context) -> Chart:
    names, book = ctx.topic_names, ctx.book
    coded = topic_frequencies(ctx.corpus, "corpus", topics=ctx.topics).set_index("topic")
    est = ctx.topic_estimates("corpus")
    est = est.assign(share=est["estimate"] * 100, low_pct=est["low"] * 100,
                     high_pct=est["high"] * 100, n_units=est["topic"].map(coded["n_units"]))
    calibrated = est["low"].notna().all()
    est = est.assign(name=[f"{names[r.topic]} ({_units_label(r, calibrated)})"
                           for r in est.itertuples()])
    est = est.sort_values(["share", "topic"], ascending=[False, True], kind="stable")
    if calibrated:
        title, found = _leaders_title(est, names, "占的发言")
    else:  # no interval to support a finding: no topic is called the largest
        title, found = "各话题的发言占比（按关键词，未校准）", False
    fig = bar_chart(est, x="name", y="share", horizontal=True, fmt="{:.1f}%",
                    colors=dict(zip(est["name"], est["topic"].map(book.colors()))),
                    interval=("low_pct", "high_pct") if calibrated else None,
                    xlabel="文本占比 %", title=title,
                    subtitle=("Estimated share of all spoken text per topic, 90 % intervals "
                              "(n = units a reader would tag; topics overlap)" if calibrated
                              else "Share of all spoken text in units coded with each topic "
                              "(n = coded units)") + f"\n{est['validated_on'].iloc[0]}")
    return Chart(fig, title, ("全部发言文本中，各话题所占字数比例的估计（每个单元按读者会标注该话题的"
                              "概率计入），横线为 90% 区间。" if calibrated else
                              "全部发言文本中，按关键词编码到各话题的分析单元所占的字数比例（未校准）。"),
                 finding=found,
                 notes=_calibration_note(est) + "；".join(
                     f"{names[r.topic]} {r.share:.1f}%" + (f"（{r.low_pct:.1f}–{r.high_pct:.1f}%）"
                                                           if calibrated else "")
                     for r in est.head(5).itertuples()))


@figure("03_topics_by_event", "03_topics.ipynb", "话题")
def topics_by_event(ctx: Context) -> Chart:
    names, groups = ctx.topic_names, ctx.many
    topics = list(ctx.book.ids)
    freq = topic_frequencies(ctx.corpus, "event_group", topics=ctx.topics, groups=groups.of)
    est = ctx.topic_estimates("event_group")

    def grid(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        return frame.pivot(index="topic", columns="event_group", values=column).reindex(
            index=topics, columns=groups.order)

    share = grid(est, "estimate") * 100
    wide = (grid(est, "high") - grid(est, "low")) > WIDE
    calibrated = est["low"].notna().all()
    n = grid(freq, "n_units")
    row_n = (grid(est, "expected_units").sum(axis=1).round() if calibrated else n.sum(axis=1))
    sizes = freq.groupby("event_group")["group_units"].first()
    columns = with_n(groups.labels, sizes.reindex(groups.order))
    found, best = False, None
    for group, rows in est.groupby("event_group", sort=False):
        top, sure = leader(rows)
        # a headline needs a sure leader whose own share is readable (not a greyed cell)
        if (sure and top["high"] - top["low"] <= WIDE
                and sizes.get(group, 0) >= FINDING_MIN_UNITS
                and (best is None or top["estimate"] > best[1]["estimate"])):
            best = (group, top)
    if best is not None:
        group, top = best  # said within its own column, not as the largest cell of the chart
        title, found = (f"{groups.labels.get(group, group)} 以「{names[top['topic']]}」为主"
                        f"（{_pct(top['estimate'])} 的发言）"), True
    elif est["low"].isna().all():
        title = "各场活动的话题分布（按关键词，未校准）"
    else:
        title = "各场活动的话题分布：没有一场的领先话题超出不确定范围"
    # calibrated, a cell is as reliable as its interval; uncalibrated, as its count of units
    fig = heatmap(share.rename(index=with_n(names, row_n.astype(int), sep=" "), columns=columns),
                  fmt="{:.0f}%", cmap="Blues", faded=wide if calibrated else (n < MIN_UNITS),
                  few_label=(f"90% 区间宽于 {WIDE * 100:.0f} 个百分点（灰）" if calibrated
                             else f"不足 {MIN_UNITS} 个单元（灰）"),
                  colorbar_label="文本占比 %（估计）" if calibrated else "文本占比 %", title=title,
                  subtitle=groups.caption(
                      "Estimated share of each event's text per topic (n = units a reader would "
                      "tag)" if calibrated else "Share of each event's text in units coded with "
                      "each topic (n = coded units)") + "\n" + est["validated_on"].iloc[0])
    grey = (f"90% 区间宽于 {WIDE * 100:.0f} 个百分点" if calibrated
            else f"不足 {MIN_UNITS} 个单元")
    measure = "各话题所占比例的估计" if calibrated else "按关键词编码到各话题的单元所占比例（未校准）"
    return Chart(fig, title, f"各场活动的发言文本中，{measure}；{grey}的格子为灰色。",
                 notes=_calibration_note(est) + f"灰色：{grey}。", finding=found)


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
