"""Figures of notebook 01, the corpus overview: who spoke, how much, in which role, how
evenly, in turns of what length, who answers whom and who asks."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd

from analysis.charts.bars import bar_chart, share_bars, stacked_bar_chart
from analysis.charts.heatmaps import panel_heatmaps
from analysis.charts.registry import FINDING_MIN_UNITS, Chart, Context, _pct, figure
from analysis.charts.style import by_name, color_map, event_colors, new_figure
from analysis.coding import MIN_UNITS
from analysis.estimates.intervals import median_interval
from analysis.measures import describe


@figure("01_speakers_by_role", "01_corpus_overview.ipynb", "语料概览")
def speakers_by_role(ctx: Context) -> Chart:
    book = ctx.roles
    table = describe.speakers_by_role(ctx.pooled_many)
    people = table[~table["role"].isin(book.pools)] if "role" in table else table
    per_event = people.groupby("label", sort=False)["n_speakers"].sum()
    drawn = table.groupby("label", sort=False)["n_speakers"].sum()
    top = per_event.idxmax() if len(per_event) else None
    # pooled groups (periods, series) hold different numbers of events: a count across them
    # says how many events a group has, not who talks, so no finding is named
    pooled = len(set(ctx.many.of.values())) < len(ctx.corpus.events)
    if top is not None and not pooled and (per_event == per_event.max()).sum() == 1:
        others = int(drawn[top] - per_event[top])
        title = (f"{top} 的发言者最多：{int(per_event[top])} 人"
                 + (f"（另有 {others} 个匿名或集体席位）" if others else ""))
    else:
        title = "各场活动的发言者构成"
    fig = stacked_bar_chart(
        table, index="label", columns="role_name", values="n_speakers",
        colors=by_name(book.names(), book.colors()),
        title=title, subtitle=ctx.many.caption("Speakers who spoke, by role"),
        xlabel="发言者人数",
        totals={k: f"{int(per_event.get(k, 0))} 人" + (f" + {int(v - per_event.get(k, 0))} 个席位"
                                                         if v > per_event.get(k, 0) else "")
                for k, v in drawn.items()})
    return Chart(fig, title, "各场活动中开口发言的人数，按角色着色（角色来自项目代码本的角色表）。",
                 notes="人数：说过话的发言者；" + "，".join(f"{k} {int(v)} 人"
                                                  for k, v in per_event.items()),
                 finding=title != "各场活动的发言者构成")


@figure("01_characters_per_event", "01_corpus_overview.ipynb", "语料概览")
def characters_per_event(ctx: Context) -> Chart:
    kinds = describe.utterances_by_kind(ctx.pooled_many)
    kinds = kinds[kinds["kind"].isin(("speech", "question"))]
    totals = kinds.groupby("label", sort=False)["n_chars"].sum()
    top = totals.idxmax()
    # pooled groups hold different numbers of events: the largest total is the busiest
    # period, not the talkiest event, so no finding is named
    pooled = len(set(ctx.many.of.values())) < len(ctx.corpus.events)
    title = (f"{top} 说得最多：{int(totals.max()):,} 字（占全部 {_pct(totals.max() / totals.sum())}）"
             if not pooled else "各组活动的发言字数")
    fig = stacked_bar_chart(
        kinds, index="label", columns="kind_name", values="n_chars",
        colors=color_map(kinds["kind_name"].unique()),
        title=title, subtitle=ctx.many.caption("Characters of speech and questions per event"),
        xlabel="字数", totals={k: f"{int(v):,}（{_pct(v / totals.sum())}）" for k, v in totals.items()})
    return Chart(fig, title, "各场活动的发言与提问字数（笔记和元信息不计）；字数不受转写切分粗细的影响。",
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
    # a name can recur across events: the title names the person with their event
    named = dict(zip(top["speaker_id"], top["display"].str.split("（推断").str[0]))
    lead = top.iloc[0] if len(top) else None
    title = (f"{named[lead['speaker_id']]} 单场说得最多："
             f"{'约 ' if inferred.iloc[0] else ''}{int(lead['n_chars']):,} 字"
             if lead is not None else "单场发言字数最多的发言者")
    if lead is not None and inferred.iloc[0] and len(top) > 1 and high.iloc[1] >= low.iloc[0]:
        title = (f"{named[lead['speaker_id']]} 与 {named[top['speaker_id'].iloc[1]]} "
                 "单场说得最多，差距在不确定范围内")
    fig = bar_chart(
        top, x="display", y="n_chars", horizontal=True,
        colors=dict(zip(top["display"], top["event_id"].map(colors))),
        title=title, subtitle="Characters per person (unattributed pools left out)"
                        + ("" if one_colour else ", coloured by event")
                        + "; inferred: expected characters, 90 % range",
        xlabel="字数")
    return Chart(fig, title, "发言字数最多的 20 位发言者（只计具名或推断出的个人；推断出的发言者按模型给每句话的"
                             "概率计入期望字数）" + ("，活动写在名字后。" if one_colour else "，按活动着色。"),
                 notes="；".join(f"{r.display} {int(r.n_chars):,} 字" for r in top.head(5).itertuples()))


@figure("01_attribution_coverage", "01_corpus_overview.ipynb", "语料概览")
def attribution_coverage(ctx: Context) -> Chart:
    coverage = describe.attribution_coverage(ctx.pooled_many)
    named = coverage[coverage["status"] == "named"].set_index("label")["share"]
    low = named.idxmin() if len(named) else None
    title = (f"{low} 只有 {_pct(named.min())} 的字数归于具名发言者" if low is not None
             and named.min() < 0.5 else "各场活动的发言归属")
    # each row says its named share, the number the title quotes
    named_label = {k: f"{k} · 具名 {_pct(v)}" for k, v in named.items()}
    fig = stacked_bar_chart(
        coverage.assign(share=coverage["share"] * 100,
                        label=coverage["label"].map(lambda k: named_label.get(k, f"{k} · 具名 0%"))),
        index="label", columns="status_name",
        values="share", colors=describe.coverage_colors(), title=title,
        subtitle=ctx.many.caption("Share of each event's characters said by named people, "
                            "inferred people, or no one person (pools)"),
        xlabel="字数占比 %")
    return Chart(fig, title, "各场活动的字数中，具名个人、推断出的个人和无法归属的部分各占多少；"
                             "个人层面的图只基于前两者。",
                 notes="具名占比：" + "，".join(f"{k} {_pct(v)}" for k, v in named.items()),
                 finding=title != "各场活动的发言归属")


PERSON_COLORS = ("#0072B2", "#56B4E9")  # named people: two blues, alternating
POOL_COLOR, OTHERS_COLOR = "#9E9E9E", "#D0D0D0"
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
    ginis = {e: gini(part["chars"]) if len(part) >= 2 else float("nan")
             for e, part in shares[person].groupby("event_id")}
    labels = dict(zip(events["event_id"], events["label"]))
    scored = {labels[e]: v for e, v in ginis.items() if v == v}
    top = max(scored, key=lambda k: (scored[k], k)) if scored else None
    # the largest events, and always the one the title names
    largest = events.sort_values(["n_chars", "event_id"], ascending=[False, True])
    keep = [e for e in largest["event_id"] if labels[e] == top][:1]
    keep += [e for e in largest["event_id"] if e not in keep][:MAX_ROWS - len(keep)]
    events = events[events["event_id"].isin(set(keep))].sort_values(["date", "metadata_order"])
    two_lines = len(events) <= 8
    for event in events.itertuples():
        part = shares[shares["event_id"] == event.event_id]
        is_person = person[part.index]
        people = part[is_person].sort_values(["estimate", "speaker_id"], ascending=[False, True],
                                             kind="stable")
        pools = part.loc[~is_person, "estimate"].sum()
        segments = []
        for i, r in enumerate(people.head(6).itertuples()):
            name = ctx.who(r.speaker_id)
            segments.append((name, r.estimate, PERSON_COLORS[i % 2], (r.low, r.high)))
            if r.inferred:
                spans.append(f"{event.label} {name} {r.estimate:.0%}（{r.low:.0%}–{r.high:.0%}）")
        rest = people["estimate"].iloc[6:].sum()
        if rest:
            segments.append((f"其他 {len(people) - 6} 人", rest, OTHERS_COLOR))
        if pools:
            segments.append(("未归属", pools, POOL_COLOR))
        g = ginis.get(event.event_id, float("nan"))
        rows.append((f"{event.label}{chr(10) if two_lines else ' · '}基尼 {g:.2f}" if g == g
                     else event.label, segments))
    title = (f"{top} 的发言最不均衡（基尼系数 {scored[top]:.2f}）" if top
             else "各场活动的发言时间分配")
    inferred = bool(spans)
    shown = (f"; the {len(rows)} largest of {ctx.corpus.events['event_id'].nunique()} events"
             if len(rows) < len(ctx.corpus.events) else "")
    fig = share_bars(rows, title=title,
                     subtitle="Share of each event's spoken characters by person (largest six "
                              "named; light grey: the others; dark grey: no one person); Gini "
                              "over people" + shown
                              + ("\nInferred speakers (推断): expected characters under the "
                                 "attribution model's posterior" if inferred else ""),
                     xlabel="字数占比 %", legend={"具名的个人（蓝，名字写在条内）": PERSON_COLORS[0],
                                              "其他个人": OTHERS_COLOR,
                                              "未归属（匿名、未标注）": POOL_COLOR})
    return Chart(fig, title, ("" if not shown else f"字数最多的 {len(rows)} 场活动（全部见笔记本中的表）：")
                 + "各场活动中每位发言者所占字数比例（最多列出 6 人，灰色为无法归于个人的部分）；"
                             "基尼系数衡量个人之间发言的不均衡程度。"
                             + ("推断出的发言者按模型给每句话的概率计入（期望字数），不按阈值取舍。"
                                if inferred else ""),
                 notes="基尼系数：" + "，".join(f"{k} {v:.2f}" for k, v in scored.items())
                 + ("。推断的发言者（90% 区间）：" + "；".join(spans) if spans else ""),
                 finding=bool(scored))


def _longest_turns_title(medians: dict, spans: dict, what: str) -> tuple[str, bool]:
    """'X 的话轮最长（中位数 N 字，90% 区间 a–b）' when X has FINDING_MIN_UNITS turns and the
    low end of its median's interval is above every other median; else descriptive."""
    if not medians:
        return "话轮长度", False
    top = max(medians, key=lambda k: (medians[k], k))
    n, low, high = spans[top]
    others = [v for k, v in medians.items() if k != top]
    if n >= FINDING_MIN_UNITS and others and low > max(others):
        return (f"{top} 的话轮最长：中位数 {medians[top]:.0f} 字，"
                f"其余{what}不超过 {max(others):.0f} 字"), True
    return (f"各{what}话轮长度的中位数在 {min(medians.values()):.0f}–"
            f"{max(medians.values()):.0f} 字之间，没有哪{'场' if what == '活动' else '组'}明显更长"), False


@figure("01_turn_lengths", "01_corpus_overview.ipynb", "语料概览")
def turn_lengths(ctx: Context) -> Chart:
    turns = ctx.turns
    labels = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
    counts = turns.groupby("event_id").size()
    enough = [e for e in turns["event_id"].drop_duplicates() if counts[e] >= MIN_UNITS]
    pooled = len(enough) > MAX_ROWS  # many events: one box per series or period instead
    if pooled:
        groups = ctx.many
        key = turns["event_id"].map(groups.of)
        labels = groups.labels
    else:
        key = turns["event_id"]
    # people's own boxes only while there is room: up to 6 per event, shared out evenly
    per_event = 0 if pooled else min(6, (MAX_ROWS - len(enough)) // max(len(enough), 1))
    data, rows, medians, spans = [], [], {}, {}
    parts = dict(list(turns.groupby(key, sort=False)))
    for group in (groups.order if pooled else parts):
        part = parts.get(group, turns.iloc[:0])
        if len(part) < MIN_UNITS:
            continue
        data.append(part["n_chars"].to_numpy())
        rows.append(f"{labels[group]}（{len(part)} 个话轮，中位数 {part['n_chars'].median():.0f}）")
        medians[labels[group]] = float(part["n_chars"].median())
        spans[labels[group]] = (len(part), *median_interval(part["n_chars"]))
        by_person = part.groupby("speaker_id")["n_chars"]
        for speaker_id, lengths in sorted(by_person, key=lambda kv: -len(kv[1]))[:per_event]:
            if len(lengths) >= MIN_UNITS:  # a person's spread needs a few turns
                data.append(lengths.to_numpy())
                rows.append(f"· {ctx.who(speaker_id)}（{len(lengths)} 个话轮）")
    title, found = _longest_turns_title(medians, spans, "活动" if not pooled else "组")
    fig, ax = new_figure(title, ctx.many.caption("Characters per turn, per event and per person "
                                                 "with 3+ turns (推断: speaker inferred from "
                                                 "the text)") if pooled else
                         "Characters per turn, per event and per person with 3+ turns "
                         "(推断: speaker inferred from the text)")
    if data:
        ax.boxplot(data, orientation="horizontal", tick_labels=rows, showfliers=True,
                   medianprops={"color": "#D55E00"}, flierprops={"markersize": 3})
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("每个话轮的字数（对数刻度）")
    return Chart(fig, title, "标注了发言者的活动中，每个话轮（同一人连续发言）的字数分布，按活动及话轮较多的个人；橙色竖线为中位数。",
                 notes="话轮中位数（90% 区间）：" + "，".join(
                     f"{k} {v:.0f} 字（{spans[k][1]:.0f}–{spans[k][2]:.0f}，{spans[k][0]} 个话轮）"
                     for k, v in medians.items()),
                 finding=found)


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
    rows = []
    for sid, row in per.iterrows():
        label = f"{ctx.who(sid)}（{int(row['turns'])} 个话轮）"
        rows.append((label, [("提问", row["questions"] / row["turns"], "#E69F00"),
                             ("陈述", row["answers"] / row["turns"], "#0072B2")]))
    share = (per["questions"] / per["turns"]).sort_values(ascending=False)
    asks = len(share) and share.iloc[0] > 0
    title = (f"{ctx.who(share.index[0])} 的话轮 {share.iloc[0] * 100:.0f}% 是提问"
             if asks else "提问与陈述")
    fig = share_bars(rows, title=title,
                     subtitle="Share of each person's turns that ask (a question, or "
                              "ending in ？); people with 3+ turns in transcripts that "
                              "mark questions (推断: inferred)",
                     xlabel="话轮占比 %", min_label=0.12)
    return Chart(fig, title, "每人的话轮里提问与陈述各占多少（至少 3 个话轮的人；只计标出问号的转写，"
                             "无标点的语音识别看不出提问；标“推断”的发言者由模型推断）。",
                 notes="；".join(f"{ctx.who(s)} {v * 100:.0f}% 提问"
                                for s, v in share.head(5).items()), finding=bool(asks))
