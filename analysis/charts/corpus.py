"""Figures of notebook 01, the corpus overview: who spoke, how much, in which role, how
evenly, in turns of what length, who answers whom and who asks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.charts.bars import bar_chart, share_bars, stacked_bar_chart
from analysis.charts.registry import FINDING_MIN_UNITS, Chart, Context, _pct, figure
from analysis.charts.style import SMALL_PT, by_name, color_map, event_colors
from analysis.coding import MIN_UNITS
from analysis.estimates.intervals import wilson_low
from analysis.measures import describe


@figure("01_speakers_by_role", "01_corpus_overview.ipynb", "语料概览")
def speakers_by_role(ctx: Context) -> Chart:
    book = ctx.roles
    groups = ctx.many
    pooled = groups.kind != "event"
    table = describe.speakers_by_role(ctx.corpus)
    if pooled:
        # pooled groups hold different numbers of events: speakers per event, averaged over
        # the group's events, so a busy quarter does not look crowded for that reason alone
        table = (table.assign(label=table["event_id"].map(groups.of).map(groups.labels))
                 .groupby(["label", "role", "role_name"], sort=False, observed=True)[
                     "n_speakers"].sum().reset_index())
        size = {groups.labels[g]: n for g, n in groups.sizes.items()}
        table["n_speakers"] = table["n_speakers"] / table["label"].map(size)
        order = [groups.labels[g] for g in groups.order]
        table = table.set_index("label").loc[[k for k in order if k in set(table["label"])]] \
            .reset_index()
    # anonymous or collective seats (the codebook's pools) in greys, named as seats
    seat = table["role"].isin(book.pools)
    # every seat kind in one grey: an audience cannot tell four greys apart
    table["role_name"] = table["role_name"].astype(str).where(~seat, SEATS)
    table = (table.groupby(["label", "role_name"], sort=False)["n_speakers"].sum().reset_index()
             .assign(role=lambda d: d["role_name"].map({SEATS: "seats"}).fillna("person")))
    seat = table["role"] == "seats"
    colors = by_name(book.names(), book.colors())
    colors[SEATS] = POOL_COLOR
    table = pd.concat([table[~seat], table[seat]], ignore_index=True)  # seats stack last
    seat = table["role"] == "seats"
    drawn = table.groupby("label", sort=False)["n_speakers"].sum()
    per_event = table[~seat].groupby("label", sort=False)["n_speakers"].sum().reindex(
        drawn.index).fillna(0)
    # who has most speakers follows from the format (a panel against a two-person talk):
    # a description, not a finding
    title = ("各组活动平均每场的发言者" if pooled else
             f"各场活动的发言者：{int(per_event.min())}–{int(per_event.max())} 人" if len(per_event)
             else "各场活动的发言者构成")
    number = (lambda v: f"{v:.1f}") if pooled else (lambda v: f"{int(v)}")
    fig = stacked_bar_chart(
        table, index="label", columns="role_name", values="n_speakers", colors=colors,
        title=title, subtitle=groups.caption("平均每场开口发言的人数，按角色；灰：匿名或集体席位"
                                             if pooled else "开口发言的人数，按角色；灰：匿名或集体席位"),
        xlabel="平均每场发言者人数" if pooled else "发言者人数",
        totals={k: f"{number(per_event.get(k, 0))} 人" + (
            f" + {number(v - per_event.get(k, 0))} 个席位" if v > per_event.get(k, 0) + 1e-9 else "")
            for k, v in drawn.items()})
    return Chart(fig, title, ("各组活动平均每场" if pooled else "各场活动中")
                 + "开口发言的人数，按角色着色（角色来自项目代码本的角色表）；灰色为匿名或集体席位，不是具体的人。",
                 notes="人数：说过话的发言者；" + "，".join(f"{k} {number(v)} 人"
                                                  for k, v in per_event.items()),
                 finding=False)


@figure("01_characters_per_event", "01_corpus_overview.ipynb", "语料概览")
def characters_per_event(ctx: Context) -> Chart:
    kinds = describe.utterances_by_kind(ctx.pooled_many)
    kinds = kinds[kinds["kind"].isin(("speech", "question"))]
    groups = ctx.many
    pooled = groups.kind != "event"
    if pooled:
        # pooled groups hold different numbers of events: characters per event, averaged
        # over the group's events, so a busy quarter is not long for that reason alone
        size = {groups.labels[g]: n for g, n in groups.sizes.items()}
        kinds = kinds.assign(n_chars=kinds["n_chars"] / kinds["label"].map(size))
    totals = kinds.groupby("label", sort=False)["n_chars"].sum()
    top = totals.idxmax()
    title = (f"{top} 的转写最长：{int(totals.max()):,} 字（占全部 {_pct(totals.max() / totals.sum())}）"
             if not pooled else "各组活动平均每场的发言字数")
    fig = stacked_bar_chart(
        kinds, index="label", columns="kind_name", values="n_chars",
        colors=color_map(kinds["kind_name"].unique()), legend=True, segment_labels=False,
        title=title, subtitle=groups.caption("平均每场发言与提问的字数" if pooled
                                             else "各场活动发言与提问的字数"),
        xlabel="平均每场字数" if pooled else "字数",
        totals={k: f"{int(v):,}" + ("" if pooled else f"（{_pct(v / totals.sum())}）")
                for k, v in totals.items()})
    return Chart(fig, title, ("各组活动平均每场" if pooled else "各场活动")
                 + "的发言与提问字数（笔记和元信息不计）；字数不受转写切分粗细的影响。",
                 notes="字数：" + "，".join(f"{k} {int(v):,}" for k, v in totals.items()),
                 finding=not pooled)


@figure("01_characters_per_speaker", "01_corpus_overview.ipynb", "语料概览")
def characters_per_speaker(ctx: Context) -> Chart:
    speakers = describe.speaker_table(ctx.corpus).set_index("speaker_id")
    # inferred speakers by their expected characters (the model's posterior), as 01_talk_time
    expected = ctx.speaker_time.set_index("speaker_id")
    speakers["n_chars"] = expected["chars"].reindex(speakers.index).fillna(speakers["n_chars"])
    top = (speakers[(speakers["n_chars"] > 0) & speakers["is_person"]].reset_index()
           .sort_values(["n_chars", "speaker_id"], ascending=[False, True], kind="stable")
           .head(20).copy())
    inferred = top["speaker_id"].map(expected["inferred"]).fillna(False).astype(bool)
    share = top["speaker_id"].map(expected["estimate"])
    low = (top["n_chars"] * top["speaker_id"].map(expected["low"]) / share).round(-2)
    high = (top["n_chars"] * top["speaker_id"].map(expected["high"]) / share).round(-2)
    if inferred.any():
        top.loc[inferred, "display"] = (top.loc[inferred, "display"] + "（推断，约 "
                                        + low[inferred].astype(int).map("{:,}".format) + "–"
                                        + high[inferred].astype(int).map("{:,}".format) + " 字）")
    colors = event_colors(ctx.corpus.events)
    one_colour = len(set(colors.values())) == 1 and len(colors) > 1
    # an inferred speaker's characters are an expectation: said to the hundred, "约"
    said = [f"约 {round(v, -2):,.0f}" if inf else f"{v:,.0f}"
            for v, inf in zip(top["n_chars"], inferred)]
    # a count across events of different length: who talks most follows from the longest
    # event, so the title describes (talk time compares shares within an event)
    title = f"单场发言字数最多的 {len(top)} 人" if len(top) else "单场发言字数最多的发言者"
    fig = bar_chart(
        top, x="display", y="n_chars", horizontal=True,
        colors=dict(zip(top["display"], top["event_id"].map(colors))),
        hatched=list(inferred), hatch_label="推断的发言者（期望字数，名后为 90% 区间）",
        labels=said,
        title=title, subtitle="每人在一场活动中的发言字数（不计匿名或集体席位）"
                        + ("" if one_colour else "，颜色表示活动")
                        + "；推断的发言者为期望字数及 90% 区间",
        xlabel="字数")
    ax = fig.axes[0]
    ax.xaxis.set_major_formatter("{x:,.0f}")
    shown = list(dict.fromkeys(top["event_id"]))
    if not one_colour and len(shown) <= 8:  # a key to the event colours
        from matplotlib.patches import Patch

        label_of = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
        ax.legend(handles=[Patch(color=colors[e], label=label_of[e]) for e in shown],
                  loc="lower right", frameon=False)
    return Chart(fig, title, "发言字数最多的 20 位发言者（只计具名或推断出的个人；推断出的发言者按模型给每句话的"
                             "概率计入期望字数）" + ("，活动写在名字后。" if one_colour else "，按活动着色。"),
                 notes="；".join(f"{r.display} {int(r.n_chars):,} 字" for r in top.head(5).itertuples()),
                 finding=False)


@figure("01_attribution_coverage", "01_corpus_overview.ipynb", "语料概览")
def attribution_coverage(ctx: Context) -> Chart:
    coverage = describe.attribution_coverage(ctx.pooled_many)
    labels = list(dict.fromkeys(coverage["label"]))
    named = (coverage[coverage["status"] == "named"].groupby("label", sort=False)["share"].sum()
             .reindex(labels).fillna(0.0))
    # every event at the lowest share (as the chart rounds it), not one of a tie
    lowest = [k for k, v in named.items() if len(named) and _pct(v) == _pct(named.min())]
    title = ((f"{'、'.join(lowest)} 没有字数归于具名发言者" if _pct(named.min()) == "0%" else
              f"{'、'.join(lowest)} 只有 {_pct(named.min())} 的字数归于具名发言者")
             if lowest and named.min() < 0.5 and len(lowest) <= 3 and ctx.many.kind == "event"
             else f"各组归于具名发言者的字数占 {_pct(named.min())}–{_pct(named.max())}"
             if ctx.many.kind != "event" else "各场活动的发言归属")
    # each row says its named share, the number the title quotes
    sep = "\n" if len(labels) <= 8 else " · "
    named_label = {k: f"{k}{sep}具名 {_pct(v)}" for k, v in named.items()}
    fig = stacked_bar_chart(
        coverage.assign(share=coverage["share"] * 100, label=coverage["label"].map(named_label)),
        index="label", columns="status_name",
        values="share", colors=describe.coverage_colors(), title=title,
        subtitle=ctx.many.caption("各场活动的字数中，具名个人、推断的个人和无法归于个人的部分"),
        xlabel="字数占比 %", legend=True)
    ax = fig.axes[0]
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100])
    return Chart(fig, title, "各场活动的字数中，具名个人、推断出的个人（模型把握足够的话）和无法归属的部分"
                             "（合并：匿名、集体和未标注的话）各占多少。谈话时间和个人字数两张图另按模型的"
                             "期望计：每句话按各人的概率分给各人，所以没有“未归属”。",
                 notes="具名占比：" + "，".join(f"{k} {_pct(v)}" for k, v in named.items()),
                 finding=ctx.many.kind == "event" and title != "各场活动的发言归属")


PERSON_COLORS = ("#0072B2", "#56B4E9")  # named people: two blues, alternating
POOL_COLOR, OTHERS_COLOR = "#9E9E9E", "#D0D0D0"
SEATS = "匿名或集体席位"
NAMED_SHARE = 0.1  # a talk-time segment narrower than this has no room for a name
MAX_ROWS = 16
"""Most rows a bar or box chart draws at SMALL_PT: more events are shown by their largest
MAX_ROWS (the notebook's table lists all) or pooled into series or periods."""


def gini(values) -> float:
    """Gini coefficient of non-negative shares: 0 when everyone says as much, towards 1 when
    one person says everything."""
    x = np.sort(np.asarray(list(values), dtype=float))
    if len(x) < 2 or x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))


def talk_time_table(ctx: Context) -> pd.DataFrame:
    """Every event's floor, the table beside the talk-time chart (which draws at most
    MAX_ROWS events): event, date, characters, people, Gini over people, the person with the
    largest share and that share with its 90 % interval, the share no one person holds."""
    shares, speakers = ctx.speaker_time, ctx.speakers
    person = shares["speaker_id"].map(speakers["is_person"]).fillna(False).astype(bool)
    rows = []
    for event in ctx.corpus.events.itertuples():
        part = shares[shares["event_id"] == event.event_id]
        people = part[person[part.index]].sort_values(["estimate", "speaker_id"],
                                                      ascending=[False, True])
        top = people.iloc[0] if len(people) else None
        rows.append({"event": event.label, "date": event.date, "n_chars": int(event.n_chars),
                     "n_people": len(people),
                     "gini": round(gini(people["chars"]), 2) if len(people) >= 2 else None,
                     "top_speaker": ctx.who(top["speaker_id"]) if top is not None else "",
                     "top_share": round(float(top["estimate"]), 3) if top is not None else None,
                     "top_low": round(float(top["low"]), 3) if top is not None else None,
                     "top_high": round(float(top["high"]), 3) if top is not None else None,
                     "unattributed": round(float(part.loc[~person[part.index], "estimate"].sum()), 3)})
    return pd.DataFrame(rows)


@figure("01_talk_time", "01_corpus_overview.ipynb", "语料概览")
def talk_time(ctx: Context) -> Chart:
    speakers = ctx.speakers
    shares = ctx.speaker_time
    rows, spans = [], []
    events = ctx.corpus.events[ctx.corpus.events["event_id"].isin(set(shares["event_id"]))]
    person = shares["speaker_id"].map(speakers["is_person"]).fillna(False).astype(bool)
    # events where no one person can be named have nothing to show about the floor
    with_people = set(shares.loc[person, "event_id"])
    faceless = events[~events["event_id"].isin(with_people)]
    events = events[events["event_id"].isin(with_people)]
    largest = events.sort_values(["n_chars", "event_id"], ascending=[False, True])
    keep = list(largest["event_id"])[:MAX_ROWS]
    events = events[events["event_id"].isin(set(keep))].sort_values(["date", "metadata_order"])
    two_lines = len(events) <= 8
    if not two_lines:  # many rows: the most dominated floors first, where the title's count is
        top_share = shares[person].groupby("event_id")["estimate"].max()
        events = events.assign(_top=events["event_id"].map(top_share)).sort_values(
            ["_top", "event_id"], ascending=[False, True])
    dominated = crowded = 0
    for event in events.itertuples():
        part = shares[shares["event_id"] == event.event_id]
        is_person = person[part.index]
        people = part[is_person].sort_values(["estimate", "speaker_id"], ascending=[False, True],
                                             kind="stable")
        pools = part.loc[~is_person, "estimate"].sum()
        # with two people one always has half: only floors of three or more people count
        crowded += len(people) >= 3
        dominated += bool(len(people) >= 3 and people["estimate"].iloc[0] > 0.5)
        segments = []
        # a person is named where a name fits: at least NAMED_SHARE of the floor, at most
        # 6 a row (3 when many rows); the others are one light-grey segment
        most = 6 if two_lines else 3
        named = people[people["estimate"] >= NAMED_SHARE].head(most)
        for i, r in enumerate(named.itertuples()):
            name = ctx.who(r.speaker_id)
            segments.append((name, r.estimate, PERSON_COLORS[i % 2], (r.low, r.high),
                             bool(r.inferred)))
            if r.inferred:
                spans.append(f"{event.label} {name} {r.estimate:.0%}（{r.low:.0%}–{r.high:.0%}）")
        rest = people["estimate"].iloc[len(named):].sum()
        if rest:
            segments.append((f"其他 {len(people) - len(named)} 人", rest, OTHERS_COLOR))
        if pools:
            segments.append(("未归属", pools, POOL_COLOR))
        rows.append((f"{event.label}{chr(10) if two_lines else ' · '}{len(people)} 人", segments))
    # a context chart, not a finding: how even a floor is depends on how many people share it
    within = f"字数最多的 {len(rows)} 场" if len(rows) < len(largest) else ""
    some = ("都是三人以上的讨论，其中 " if within and crowded == len(rows)
            else f"中，{crowded} 场三人以上的讨论有 " if within
            else f"{crowded} 场三人以上的讨论中，")
    title = (f"各场活动谁在说话：{within}{some}"
             + (f"{dominated} 场由一人说了一半以上" if dominated else "没有人说过一半")
             if crowded else "各场活动的发言时间分配")
    inferred = bool(spans)
    total = len(ctx.corpus.events) - len(faceless)
    shown = (f"；{total} 场中字数最多的 {len(rows)} 场" if len(rows) < total else "") + (
        "，按说得最多的一人所占比例排列" if not two_lines else "")
    fig = share_bars(rows, title=title,
                     subtitle="每人占本场发言字数的比例（列出占 10% 以上的人；浅灰：其他个人；深灰：无法归于个人）"
                              + shown + ("；斜线：推断的发言者（期望字数）" if inferred else ""),
                     xlabel="字数占比 %", legend={
                         "具名的个人（深浅蓝交替，名字写在条内）": PERSON_COLORS[0],
                         **({"推断的发言者": (PERSON_COLORS[0], "//")} if inferred else {}),
                         **({"其他个人": OTHERS_COLOR} if any(
                             seg[2] == OTHERS_COLOR for _, segs in rows for seg in segs) else {}),
                         **({"未归属（匿名、未标注）": POOL_COLOR} if any(
                             seg[2] == POOL_COLOR for _, segs in rows for seg in segs) else {})})
    ax = fig.axes[0]
    ax.axvline(50, color="#333333", linestyle="--", linewidth=1, zorder=2)  # half; under the text
    ax.annotate("50%", (50, 1), xycoords=("data", "axes fraction"), xytext=(0, 2),
                textcoords="offset points", ha="center", va="bottom", fontsize=SMALL_PT)
    label_of = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
    ginis = {label_of[e]: gini(part["chars"]) for e, part in shares[person].groupby("event_id")
             if len(part) >= 2}
    return Chart(fig, title, (f"字数最多的 {len(rows)} 场活动（全部见笔记本中的表）：" if shown else "")
                 + "各场活动中每位发言者所占字数比例（最多列出 6 人，灰色为无法归于个人的部分）。"
                 + (f"另有 {len(faceless)} 场没有可归于个人的发言，未画出。" if len(faceless) else "")
                 + ("推断出的发言者按模型给每句话的概率计入（期望字数），不按阈值取舍。"
                    if inferred else ""),
                 notes="基尼系数（个人之间，人数不同的活动不可直接比较）：" + "，".join(
                     f"{e} {v:.2f}" for e, v in sorted(ginis.items()))
                 + ("。推断的发言者（90% 区间）：" + "；".join(spans) if spans else ""),
                 finding=False)


def _askers(ctx: Context) -> bool:
    """Questions vs statements need at least three people with three turns each, in events
    whose transcripts show questions."""
    turns = ctx.asking_turns
    return int((turns.groupby("speaker_id").size() >= MIN_UNITS).sum()) >= 3


@figure("01_questions_by_speaker", "01_corpus_overview.ipynb", "语料概览", available=_askers,
        unavailable="fewer than three people with three turns in transcripts that mark "
                    "questions (speech recognition without punctuation shows none)")
def questions_by_speaker(ctx: Context) -> Chart:
    turns = ctx.asking_turns
    per = turns.groupby("speaker_id").agg(turns=("question", "size"),
                                          questions=("question", "sum"))
    per = per[per["turns"] >= MIN_UNITS].sort_values(["turns", "questions"], ascending=False).head(20)
    per["answers"] = per["turns"] - per["questions"]
    share = per["questions"] / per["turns"]
    per = per.assign(share=share).sort_values(["share", "turns"], ascending=False)
    display = ctx.speakers["display"]  # names recur across events: each with its event
    who = {sid: display.get(sid, ctx.who(sid)) for sid in per.index}
    rows = []
    for sid, row in per.iterrows():
        label = f"{who[sid]}（{int(row['turns'])} 个话轮）"
        rows.append((label, [("提问", row["questions"] / row["turns"], "#E69F00"),
                             ("", row["answers"] / row["turns"], "#0072B2")]))
    # a finding only when the most questioning person's share holds at the low end of its
    # 90 % Wilson interval above everyone else's share
    found = False
    if len(per) >= 2 and per["questions"].iloc[0] > 0:
        low = wilson_low(int(per["questions"].iloc[0]), int(per["turns"].iloc[0]))
        found = low > per["share"].iloc[1] and per["turns"].iloc[0] >= FINDING_MIN_UNITS
    top = per.index[0] if len(per) else None
    title = (f"提问最多的是 {who[top]}：{per['share'].iloc[0] * 100:.0f}% 的话轮" if found else
             f"话轮最多的 {len(per)} 人，提问都不超过话轮的 {per['share'].max() * 100:.0f}%"
             if len(per) else "提问与陈述")
    fig = share_bars(rows, title=title,
                     subtitle="每人话轮中提问（以？结尾或标为提问）的比例，按提问比例排列；"
                              "标出问号的转写中话轮最多的 20 人（至少 3 个话轮）",
                     xlabel="话轮占比 %", min_label=0.12,
                     legend={"提问": "#E69F00", "陈述": "#0072B2"})
    return Chart(fig, title, "每人的话轮里提问与陈述各占多少（至少 3 个话轮的人；只计标出问号的转写，"
                             "无标点的语音识别看不出提问；标“推断”的发言者由模型推断）。",
                 notes="；".join(f"{who[s]} {v * 100:.0f}% 提问（{int(per.at[s, 'turns'])} 个话轮）"
                                for s, v in per["share"].head(5).items()), finding=found)
