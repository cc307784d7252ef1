"""Figures of notebook 03, topics: how much of the talk each topic takes, overall and by
event, speaker and role, how topics move through an event, and what the coding leaves
uncovered."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.charts.bars import bar_chart, facet_bars
from analysis.charts.heatmaps import heatmap, panel_heatmaps, with_n
from analysis.charts.registry import FINDING_MIN_UNITS, Chart, Context, _pct, figure, validated_zh
from analysis.coding import MIN_UNITS, topic_frequencies
from analysis.estimates import WIDE, leader

Z90 = 1.645  # a normal 90 % interval's half-width in sds


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
    return f"{validated_zh(estimates['validated_on'].iloc[0])}。" if len(estimates) else ""


def _units_label(row, calibrated: bool) -> str:
    """A topic's n: units a reader would tag (summed probabilities) when calibrated, else the
    units the keyword coder counts."""
    return f"n≈{row.expected_units:,.0f}" if calibrated else f"n={row.n_units:,}"


@figure("03_topics_overall", "03_topics.ipynb", "话题")
def topics_overall(ctx: Context) -> Chart:
    names = ctx.topic_names
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
    fig = bar_chart(est, x="name", y="share", horizontal=True, fmt="{:.0f}%",
                    interval=("low_pct", "high_pct") if calibrated else None,
                    xlabel="文本占比 %", title=title,
                    subtitle=("全部发言中各话题所占比例的估计及 90% 区间（n = 读者会标注的单元数；"
                              "一个单元可有多个话题）" if calibrated
                              else "全部发言中按关键词编码到各话题的单元所占比例（n = 编码单元数）")
                    + f"\n{validated_zh(est['validated_on'].iloc[0])}")
    top = est.iloc[0]
    evidence = (ctx.topic_evidence(top["topic"], {**top.to_dict(), "n_units": len(ctx.corpus.units)})
                if found else None)
    return Chart(fig, title, ("全部发言文本中，各话题所占字数比例的估计（每个单元按读者会标注该话题的"
                              "概率计入），横线为 90% 区间。" if calibrated else
                              "全部发言文本中，按关键词编码到各话题的分析单元所占的字数比例（未校准）。"),
                 finding=found, evidence=evidence,
                 notes=_calibration_note(est) + "；".join(
                     f"{names[r.topic]} {r.share:.1f}%" + (f"（{r.low_pct:.1f}–{r.high_pct:.1f}%）"
                                                           if calibrated else "")
                     for r in est.head(5).itertuples()))


@figure("03_topics_by_event", "03_topics.ipynb", "话题")
def topics_by_event(ctx: Context) -> Chart:
    names, groups = ctx.topic_names, ctx.many
    topics = list(ctx.book.ids)
    est = ctx.topic_estimates("event_group")
    calibrated = est["low"].notna().all()
    share = _estimate_grid(est, "event_group", "estimate", topics, groups.order,
                           topics_on_rows=True) * 100
    faded, grey = _faded(est, "event_group", topics, groups.order, topics_on_rows=True)
    row_n = _estimate_grid(est, "event_group", "expected_units", topics, groups.order,
                           topics_on_rows=True).sum(axis=1).round()
    sizes = est.groupby("event_group")["n_units"].first()
    columns = with_n(groups.labels, sizes.reindex(groups.order))
    counted = _leaders_counted(est, "event_group", sizes)
    title, found, best = _group_leader_title(
        est, "event_group", groups.labels, names, sizes,
        nobody=f"各场活动的话题分布：没有一场的领先话题可以确定{_SURE_RULE}",
        what="场活动" if groups.kind == "event" else "组")
    fig = heatmap(share.rename(index=with_n(names, row_n.astype(int), sep=" "), columns=columns),
                  fmt="{:.0f}%", cmap="Blues", faded=faded, few_label=f"{grey}（灰）",
                  colorbar_label="文本占比 %（估计）" if calibrated else "文本占比 %", title=title,
                  subtitle=groups.caption(
                      "各场活动发言中各话题所占比例的估计（n = 读者会标注的单元数；一个单元可有多个话题，"
                      "一列之和可超过 100%）" if calibrated else "各场活动发言中按关键词编码到各话题的单元"
                      "所占比例（n = 编码单元数）") + counted + "\n"
                  + validated_zh(est["validated_on"].iloc[0]))
    measure = "各话题所占比例的估计" if calibrated else "按关键词编码到各话题的单元所占比例（未校准）"
    return Chart(fig, title, f"各场活动的发言文本中，{measure}；{grey}的格子为灰色。",
                 notes=_calibration_note(est) + f"灰色：{grey}。", finding=found,
                 evidence=best and ctx.topic_evidence(best[1]["topic"], best[1], by="event_group",
                                                      group=best[0], where=groups.labels[best[0]]))


UNKNOWN_ROLE = "unknown"  # the role table's id for a person whose role is not known
_SURE_RULE = f"（需≥{FINDING_MIN_UNITS} 个单元、区间≤{WIDE * 100:.0f} 个百分点）"
"""What a heatmap's title rule asks of a group before it names its leader, said in the title
that names none."""


def _group_leader_title(est: pd.DataFrame, by: str, labels: dict, names: dict,
                        sizes: pd.Series, *, nobody: str, what: str = "组"
                        ) -> tuple[str, bool, tuple | None]:
    """'X 以「T」为主（share 的发言）' for the group whose sure leader (analysis.estimates.leader)
    is largest, among groups large enough (FINDING_MIN_UNITS) whose leader's interval is
    readable (no wider than WIDE): said within the group, never as the chart's largest cell.
    Without such a group, `nobody` says so; uncalibrated, nothing is a finding. Returns the
    title, whether it is a finding, and (group, its leader's row) when it is."""
    if est["low"].isna().all():
        return nobody.split("：")[0] + "（按关键词，未校准）", False, None
    best, leaders, readable = None, {}, 0
    for group, rows in est.groupby(by, sort=True):
        if sizes.get(group, 0) < FINDING_MIN_UNITS:
            continue
        readable += 1
        top, sure = leader(rows)
        if sure and top["high"] - top["low"] <= WIDE:
            leaders[group] = top["topic"]
            if best is None or top["estimate"] > best[1]["estimate"]:
                best = (group, top)
    if best is None:
        return nobody, False, None
    group, top = best
    if len(leaders) >= 2 and len(set(leaders.values())) == 1:
        # the same topic leads wherever a leader is sure: that, not one group, is the finding
        return f"「{names[top['topic']]}」在各{what}都是占比最高的话题"  \
            + ("" if len(leaders) == readable else "（领先可以确定的，见副标题）"), True, best
    return (f"{labels.get(group, group)} 的发言中「{names[top['topic']]}」最多"
            f"（{_pct(top['estimate'])}）"), True, best


def _leaders_counted(est: pd.DataFrame, by: str, sizes: pd.Series) -> str:
    """'；16 组中 7 组可以确定领先话题' for a subtitle: how many groups a leader title covers."""
    if est["low"].isna().all():
        return ""
    readable = [g for g, rows in est.groupby(by, sort=True) if sizes.get(g, 0) >= FINDING_MIN_UNITS]
    sure = [g for g, rows in est.groupby(by, sort=True) if g in readable
            and (lambda t: t[1] and t[0]["high"] - t[0]["low"] <= WIDE)(leader(rows))]
    return f"；{len(readable)} 组中 {len(sure)} 组可以确定领先话题"


def _estimate_grid(est: pd.DataFrame, by: str, column: str, rows: list, columns: list,
                   *, topics_on_rows: bool) -> pd.DataFrame:
    """One column of `topic_shares` as a topics x groups (or groups x topics) matrix."""
    if topics_on_rows:
        return est.pivot(index="topic", columns=by, values=column).reindex(index=rows, columns=columns)
    return est.pivot(index=by, columns="topic", values=column).reindex(index=rows, columns=columns)


def _faded(est: pd.DataFrame, by: str, rows: list, columns: list, *, topics_on_rows: bool
           ) -> tuple[pd.DataFrame, str]:
    """The cells to grey and what grey means: calibrated, intervals wider than WIDE;
    uncalibrated, fewer than MIN_UNITS coded units; either way every cell of a group under
    FINDING_MIN_UNITS units (a share of a handful of units says nothing of the group, even
    when readers labelled them all)."""
    grid = lambda column: _estimate_grid(est, by, column, rows, columns,  # noqa: E731
                                         topics_on_rows=topics_on_rows)
    small = grid("n_units") < FINDING_MIN_UNITS
    if est["low"].notna().all():
        return (((grid("high") - grid("low")) > WIDE) | small,
                f"90% 区间宽于 {WIDE * 100:.0f} 个百分点，或该组不足 {FINDING_MIN_UNITS} 个单元")
    return ((grid("expected_units") < MIN_UNITS) | small,
            f"不足 {MIN_UNITS} 个单元，或该组不足 {FINDING_MIN_UNITS} 个单元")


def _group_topic_heatmap(ctx: Context, est: pd.DataFrame, by: str, shown: list,
                         labels: dict, title: str, *, cmap: str, subtitle: str,
                         faded_rows=None) -> tuple[Figure, str]:
    """Groups (speakers, roles) x topics: the estimated share of each group's text about the
    topic (`topic_shares`), units on rows, expected units on columns, unreadable cells grey;
    returns the figure and what grey means."""
    topics = list(ctx.book.ids)
    calibrated = est["low"].notna().all()
    matrix = _estimate_grid(est, by, "estimate", shown, topics, topics_on_rows=False) * 100
    faded, grey = _faded(est, by, shown, topics, topics_on_rows=False)
    expected = _estimate_grid(est, by, "expected_units", shown, topics, topics_on_rows=False)
    units = est.groupby(by)["n_units"].first().reindex(shown)
    fig = heatmap(matrix.rename(index=with_n(labels, units, sep=" "),
                                columns=with_n(ctx.topic_names, expected.sum().round())),
                  fmt="{:.0f}%", cmap=cmap,
                  colorbar_label="文本占比 %（估计）" if calibrated else "文本占比 %",
                  faded=faded, faded_rows=faded_rows, few_label=f"{grey}（灰）", title=title,
                  subtitle=subtitle + "\n" + validated_zh(ctx.topic_estimates("corpus")["validated_on"].iloc[0]))
    return fig, grey


def _group_subtitle(est: pd.DataFrame, what: str) -> str:
    if est["low"].notna().all():
        return (f"每个{what}的发言中各话题所占比例的估计（列上 n = 读者会标注的单元数；"
                "一个单元可有多个话题，一行之和可超过 100%）")
    return (f"每个{what}的发言中按关键词编码到各话题的单元所占比例（列上 n = 编码单元数；"
            "一个单元可有多个话题）")


@figure("03_topics_by_role", "03_topics.ipynb", "话题")
def topics_by_role(ctx: Context) -> Chart:
    est = ctx.topic_estimates("role")
    role_names = ctx.roles.names()
    # a role with a handful of units would print 100% from one remark: not drawn
    sizes = est.groupby("role")["n_units"].first()
    small = sorted(r for r, n in sizes.items() if n < FINDING_MIN_UNITS)
    # seats (anonymous, editors, unlabelled) and people of unknown role hold no role: not drawn
    est = est[~est["role"].isin(small) & ~est["role"].isin(ctx.roles.pools)
              & (est["role"] != UNKNOWN_ROLE)]
    shown = [r for r in role_names if r in set(est["role"])]
    people = est[~est["role"].isin(ctx.roles.pools)]
    title, found, best = _group_leader_title(
        people, "role", role_names, ctx.topic_names, people.groupby("role")["n_units"].first(),
        nobody=f"不同角色的话题占比：没有一个角色的领先话题可以确定{_SURE_RULE}", what="角色")
    fig, grey = _group_topic_heatmap(
        ctx, est, "role", shown, role_names, title, cmap="Blues",
        subtitle=_group_subtitle(est, "角色") + _leaders_counted(
            est, "role", est.groupby("role")["n_units"].first()))
    measure = "各话题所占比例的估计" if est["low"].notna().all() else "按关键词编码到各话题的比例（未校准）"
    return Chart(fig, title, f"各角色（不含身份未知的人和匿名、编者、未标注等席位）的发言中{measure}；{grey}的格子为灰色"
                             + (f"；不足 {FINDING_MIN_UNITS} 个单元的角色（{'、'.join(role_names.get(r, r) for r in small)}）不画。"
                                if small else "。"),
                 notes=_calibration_note(est) + f"灰色：{grey}。", finding=found,
                 evidence=best and ctx.topic_evidence(best[1]["topic"], best[1], by="role",
                                                      group=best[0], where=role_names[best[0]]))


FLOW_PANELS = 3


def _flow(ctx: Context) -> dict:
    """Each event's topic shares by tenth and its largest rise (computed once per context):
    panels by event, moves [label, topic, rise, falling topic, low end, late units], whether
    the event has a clock, and units per event."""
    if "_flow" in ctx.__dict__:
        return ctx.__dict__["_flow"]
    units, names = ctx.corpus.units, ctx.topic_names
    labels = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
    sizes = units.groupby("event_id").size().sort_values(ascending=False, kind="stable")
    chosen = [e for e in ctx.corpus.events.sort_values(["date", "metadata_order"])["event_id"]
              if e in sizes.index and sizes[e] >= 20]
    # each unit counts with its chance of each topic (analysis.estimates), as the shares do
    chances = ctx.unit_probabilities.pivot(index="unit_id", columns="topic",
                                           values="probability").reindex(columns=list(ctx.book.ids))
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
        variance = pd.DataFrame(0.0, index=list(ctx.book.ids), columns=range(1, 11))
        for b in range(10):
            piece = part[bins == b]
            weights = piece["n_chars"].to_numpy(float) / (piece["n_chars"].sum() or 1) * 100
            p = chances.reindex(piece["unit_id"]).fillna(0.0).to_numpy()
            matrix[b + 1] = weights @ p
            # which units a reader would tag, and which units a tenth happened to hold
            spread_of = p * (1 - p) + (p - (weights @ p) / 100) ** 2
            variance[b + 1] = (weights ** 2 * spread_of.T).sum(axis=1)
        first, last = matrix.iloc[:, :3].mean(axis=1), matrix.iloc[:, -3:].mean(axis=1)
        shift = last - first
        spread = np.sqrt(variance.sum(axis=1)) / 3  # sd of the difference of the two means
        if len(part) >= 50:  # a tenth of fewer than five units says little
            up, down = shift.idxmax(), shift.idxmin()
            moves.append([labels[event_id], up, shift[up], down, spread[up], part[bins >= 7]])
        panels[event_id] = matrix.rename(index=names)
    # the largest of many rises (events x topics) is searched for: its interval is widened
    # for the search (Bonferroni), so a finding is not the chance extreme of many
    z = NormalDist().inv_cdf(1 - 0.05 / max(1, len(moves) * len(ctx.book.ids)))
    for move in moves:
        move[4] = move[2] - z * move[4]
    ctx.__dict__["_flow"] = {"panels": panels, "moves": moves, "timed": timed, "sizes": sizes}
    return ctx.__dict__["_flow"]


def _flows(ctx: Context) -> bool:
    """Topic flow earns a chart where some event's rise holds beyond its widened interval."""
    return any(m[4] > 0 for m in _flow(ctx)["moves"])


FLOW_UNAVAILABLE = ("no event's topics shift between its first and last three tenths beyond "
                    "the uncertainty (widened for the many events and topics compared)")


@figure("03_topic_flow", "03_topics.ipynb", "话题", available=_flows,
        unavailable=FLOW_UNAVAILABLE)
def topic_flow(ctx: Context) -> Chart:
    flow, names = _flow(ctx), ctx.topic_names
    labels = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
    panels, moves, timed, sizes = flow["panels"], flow["moves"], flow["timed"], flow["sizes"]
    by_label = {m[0]: m for m in moves}
    headings, rank = {}, {}
    for event_id in panels:
        move = by_label.get(labels[event_id])
        if move is not None and move[4] > 0:  # the panel says its sure rise, as the title
            headings[event_id] = f"{labels[event_id]}\n后段「{names[move[1]]}」+{move[2]:.0f} 个百分点"
            rank[event_id] = (1, move[2], sizes[event_id])
        else:
            headings[event_id] = f"{labels[event_id]}\n无确定变化"
            rank[event_id] = (0, 0.0, sizes[event_id])
    # FLOW_PANELS panels (a row, legible at SMALL_PT): the largest sure rises, then the
    # events with most units; in date order
    keep = set(sorted(panels, key=lambda e: rank[e], reverse=True)[:FLOW_PANELS])
    panels = {headings[e]: m for e, m in panels.items() if e in keep}
    sure = [m for m in moves if m[4] > 0]  # the rise's 90 % interval lies above zero
    if sure:
        event, topic, rise, _, low, late = max(sure, key=lambda m: (m[2], m[0]))
        title = f"最大变化：{event} 后段比前段多谈「{names[topic]}」{rise:.0f} 个百分点"
        row = {"estimate": rise / 100, "low": low / 100, "high": (2 * rise - low) / 100,
               "n_units": int(sizes[late["event_id"].iloc[0]])}
        evidence = ctx.topic_evidence(topic, row, units=late, where=f"{event} 后三成比前三成")
        evidence.measure = (f"{event} 的最后三成比最初三成多谈「{names[topic]}」{rise:.0f} 个百分点"
                            f"（90% 区间：至少 {low:.0f} 个百分点，已计入比较了许多场与话题），"
                            f"共 {row['n_units']} 段发言")
        evidence.effect = min(1.0, low / 100 * 2)  # a sure rise of 50 points counts as 1
    else:
        title = "话题在活动中的走向：前后段的差别都在不确定范围内" if moves else "话题在活动中的走向"
        low = None
        evidence = None
    fig = panel_heatmaps(panels, title=title,
                         subtitle="每场按先后十等分，各段中各话题占比的估计；前段 / 后段 = 第 1–3 / 8–10 段",
                         xlabel="活动进程（按时间十等分）" if timed else "活动进程（十分位）",
                         colorbar_label="文本占比 %（估计）")
    return Chart(fig, title, "每场活动按先后分成十段，各段发言中各话题所占比例的估计（每个单元按读者会标注"
                             "该话题的概率计入），可见讨论从哪里走向哪里。",
                 notes=_calibration_note(ctx.topic_estimates("corpus")) + "；".join(
                     f"{m[0]}：最后三成比最初三成增加最多「{names[m[1]]}」（+{m[2]:.0f} 个百分点，"
                     f"校正多重比较后 90% 区间下限 {m[4]:+.0f}），减少最多「{names[m[3]]}」"
                     for m in sorted(moves, key=lambda m: -m[4])[:10]),
                 finding=bool(sure), evidence=evidence)


@figure("03_coding_coverage", "03_topics.ipynb", "话题")
def coding_coverage(ctx: Context) -> Chart:
    units = ctx.corpus.units
    with_topic = set(ctx.topics["unit_id"])
    with_stance = set(ctx.stances["unit_id"])
    groups = ctx.many  # at most 20 rows: events, else series or periods
    parts = dict(list(units.groupby(units["event_id"].map(groups.of), sort=False)))
    rows = []
    for group in groups.order:
        if group not in parts:
            continue
        part = parts[group]
        total = part["n_chars"].sum() or 1
        rows.append({"event": groups.labels[group], "measure": "没有话题",
                     "share": part.loc[~part["unit_id"].isin(with_topic), "n_chars"].sum()
                     / total * 100})
        rows.append({"event": groups.labels[group], "measure": "没有立场",
                     "share": part.loc[~part["unit_id"].isin(with_stance), "n_chars"].sum()
                     / total * 100})
    frame = pd.DataFrame(rows)
    frame["label"] = frame["share"].map(lambda v: f"{v:.0f}%")
    none = frame[frame["measure"] == "没有话题"].set_index("event")["share"]
    top = none.idxmax()
    # pooled, the largest share belongs to a period, not an event one could fix: descriptive
    stance = frame[frame["measure"] == "没有立场"]["share"]
    title = ((f"{top} 有 {none.max():.0f}% 的发言不属于任何话题" if groups.kind == "event" else
              f"各组没有话题的发言占 {none.min():.0f}–{none.max():.0f}%")
             + f"；没有立场的占 {stance.min():.0f}–{stance.max():.0f}%")
    fig = facet_bars(frame, facet="measure", label="event", value="share",
                     colors={"没有话题": "#0072B2", "没有立场": "#D55E00"}, ncols=2,
                     xlabel="文本占比 %", order=["没有话题", "没有立场"], title=title, annotate="label",
                     subtitle=groups.caption("各场活动发言中没有任何话题、没有任何立场的单元所占字数比例"))
    return Chart(fig, title, "各场活动的发言中，没有任何话题、没有任何立场的单元所占字数比例：编码没覆盖到的部分。",
                 notes="无话题：" + "，".join(f"{k} {v:.0f}%" for k, v in none.items()),
                 finding=groups.kind == "event")
