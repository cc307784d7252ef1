"""Every chart of the project, as a registered function: the notebooks, the main job's
manifest, the slide deck and the baseline check all go through this registry.

A figure function takes a `Context` (the corpus and the tables charts share, computed once)
and returns a `Chart`: the matplotlib figure, its title stating the finding (computed from
the data; a generic title when no single finding stands out), the measure (subtitle), a
Chinese caption, and speaker notes with the n and the evidence behind the finding.

    from analysis import figures
    ctx = figures.Context(load_corpus())
    figures.draw("03_topics_by_event", ctx)      # renders, saves to figures/, returns the figure
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.measures import describe
from analysis.charts import style as plots
from analysis.coding import (MIN_UNITS, codebook, stance_cues, stance_summary, stance_table,
                     topic_frequencies, topic_table)
from analysis.corpus import Corpus


@dataclass
class Chart:
    """A rendered chart and the words that go with it."""

    fig: Figure
    title: str                 # the finding (or a generic title)
    caption: str               # Chinese, for the manifest and the slide
    notes: str = ""            # speaker notes: measure, n, evidence
    finding: bool = True       # False when the title is the generic fallback


@dataclass(frozen=True)
class FigureSpec:
    name: str
    notebook: str
    section: str
    draw: Callable[["Context"], Chart]
    available: Callable[["Context"], bool] = lambda ctx: True
    conditional: bool = False  # drawn only where the corpus has what it needs
    unavailable: str = ""  # why a conditional figure is not drawn, for the notebook


REGISTRY: dict[str, FigureSpec] = {}
FINDING_MIN_UNITS = 10
"""A finding title names a group only if it has at least this many units."""


def figure(name: str, notebook: str, section: str, *, available=None, unavailable: str = ""):
    """Register a figure function under a stable slug, in the notebook and order it shows."""
    def register(fn):
        REGISTRY[name] = FigureSpec(name, notebook, section, fn,
                                    available or (lambda ctx: True), available is not None,
                                    unavailable)
        return fn
    return register


class Context:
    """The corpus and the tables several charts use, each computed once when first asked."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    @cached_property
    def book(self):
        return codebook(self.corpus.root)

    @cached_property
    def cues(self):
        return stance_cues(self.corpus.root)

    @cached_property
    def topics(self) -> pd.DataFrame:
        return topic_table(self.corpus)

    @cached_property
    def stances(self) -> pd.DataFrame:
        return stance_table(self.corpus)

    @cached_property
    def tokens(self) -> pd.DataFrame:
        from analysis.text.tokenise import tokens_table

        return tokens_table(self.corpus)

    @cached_property
    def many(self):
        """Events as columns: at most 20 (else pooled by period), low-fit ones marked."""
        return describe.event_groups(self.corpus, 20, topics=self.topics)

    @cached_property
    def few(self):
        """Events as panels: at most 8 (events, else series, else periods)."""
        return describe.event_groups(self.corpus, 8, prefer="series", topics=self.topics)

    @cached_property
    def pooled_many(self) -> Corpus:
        return describe.pooled_corpus(self.corpus, self.many)

    @cached_property
    def pooled_few(self) -> Corpus:
        return describe.pooled_corpus(self.corpus, self.few)

    @cached_property
    def speakers(self) -> pd.DataFrame:
        return describe.speaker_table(self.corpus).set_index("speaker_id")

    @cached_property
    def topic_names(self) -> dict[str, str]:
        return self.book.names("zh")

    @cached_property
    def target_names(self) -> dict[str, str]:
        return self.cues.names("zh")

    @cached_property
    def turns(self) -> pd.DataFrame:
        """Turns of people, named or inferred (`_turns`)."""
        return _turns(self)

    def who(self, speaker_id: str) -> str:
        """A person's name for chart labels, marked （推断） when their lines are mostly
        inferred."""
        row = self.speakers.loc[speaker_id] if speaker_id in self.speakers.index else None
        if row is None:
            return speaker_id
        return row["name"] + ("（推断）" if row["inferred_share"] > 0.5 else "")

    @cached_property
    def asking_turns(self) -> pd.DataFrame:
        """Turns of events whose transcripts show questions (`_asking_turns`)."""
        return _asking_turns(self)

    @cached_property
    def entity_graph(self):
        """Entities mentioned 4 times or more, linked where 2 utterances or more name both
        (at most the 60 most mentioned and the 120 heaviest links)."""
        from analysis.measures.compare import entity_network

        return entity_network(self.corpus, min_count=4, min_edge=2, top=60, max_edges=120)

    @cached_property
    def roles(self):
        from analysis.speakers.roles import roles

        return roles(self.corpus.root)


def draw(name: str, ctx: Context, *, save: bool = True, folder=None) -> Figure:
    """Render a registered figure, save it (PNG + SVG with title, caption and notes in the
    metadata) and return the matplotlib figure (a notebook cell shows it)."""
    chart = render(name, ctx)
    if save:
        plots.save(chart.fig, name, caption=chart.caption, notes=chart.notes,
                   finding=chart.finding, folder=folder)
    return chart.fig


def show(name: str, ctx: Context, *, folder=None) -> Figure | None:
    """Draw a figure where the corpus has what it needs; otherwise say why and remove the
    files an earlier run left, so the manifest and the deck never show a stale chart."""
    spec = REGISTRY[name]
    if spec.available(ctx):
        return draw(name, ctx, folder=folder)
    for path in plots.figure_paths(name, folder):
        path.unlink(missing_ok=True)
    print(f"{name}: {spec.unavailable or 'not drawn for this corpus'}")
    return None


def render(name: str, ctx: Context) -> Chart:
    spec = REGISTRY[name]
    return spec.draw(ctx)


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


# --- 01 · corpus overview -------------------------------------------------------------------

@figure("01_speakers_by_role", "01_corpus_overview.ipynb", "语料概览")
def speakers_by_role(ctx: Context) -> Chart:
    book = ctx.roles
    table = describe.speakers_by_role(ctx.pooled_many)
    people = table[~table["role"].isin(book.pools)] if "role" in table else table
    per_event = people.groupby("label", sort=False)["n_speakers"].sum()
    top = per_event.idxmax() if len(per_event) else None
    title = (f"{top} 的发言者最多（{int(per_event.max())} 人）" if top is not None
             and (per_event == per_event.max()).sum() == 1 else "各场活动的发言者构成")
    fig = plots.stacked_bar_chart(
        table, index="label", columns="role_name", values="n_speakers",
        colors=plots.by_name(book.names(), book.colors()),
        title=title, subtitle=ctx.many.caption("Speakers who spoke, by role"),
        xlabel="发言者人数")
    return Chart(fig, title, "各场活动中开口发言的人数，按角色着色（角色来自 codebook/roles.yaml）。",
                 notes="人数：说过话的发言者；" + "，".join(f"{k} {int(v)} 人"
                                                  for k, v in per_event.items()),
                 finding=title != "各场活动的发言者构成")


@figure("01_characters_per_event", "01_corpus_overview.ipynb", "语料概览")
def characters_per_event(ctx: Context) -> Chart:
    kinds = describe.utterances_by_kind(ctx.pooled_many)
    kinds = kinds[kinds["kind"].isin(("speech", "question"))]
    totals = kinds.groupby("label", sort=False)["n_chars"].sum()
    top = totals.idxmax()
    title = f"{top} 说得最多：{int(totals.max()):,} 字（占全部 {_pct(totals.max() / totals.sum())}）"
    fig = plots.stacked_bar_chart(
        kinds, index="label", columns="kind_name", values="n_chars",
        colors=plots.color_map(kinds["kind_name"].unique()),
        title=title, subtitle=ctx.many.caption("Characters of speech and questions per event"),
        xlabel="字数")
    return Chart(fig, title, "各场活动的发言与提问字数（笔记和元信息不计）；字数不受转写切分粗细的影响。",
                 notes="字数：" + "，".join(f"{k} {int(v):,}" for k, v in totals.items()))


@figure("01_characters_per_speaker", "01_corpus_overview.ipynb", "语料概览")
def characters_per_speaker(ctx: Context) -> Chart:
    speakers = describe.speaker_table(ctx.corpus)
    top = speakers[(speakers["n_chars"] > 0) & speakers["is_person"]].head(20).copy()
    inferred = top["inferred_share"] > 0.5
    top.loc[inferred, "display"] = (top.loc[inferred, "display"] + "（推断，置信度 "
                                    + (top.loc[inferred, "mean_confidence"] * 100).round()
                                    .astype(int).astype(str) + "%）")
    colors = plots.event_colors(ctx.corpus.events)
    lead = top.iloc[0] if len(top) else None
    title = (f"{lead['name']} 说得最多：{int(lead['n_chars']):,} 字" if lead is not None
             else "发言字数最多的发言者")
    fig = plots.bar_chart(
        top, x="display", y="n_chars", horizontal=True,
        colors=dict(zip(top["display"], top["event_id"].map(colors))),
        title=title, subtitle="Characters per person (pools of unattributed lines left out), "
                              "coloured by event; inferred speakers with their confidence",
        xlabel="字数")
    return Chart(fig, title, "发言字数最多的 20 位发言者（只计具名或推断出的个人），按活动着色。",
                 notes="；".join(f"{r.display} {int(r.n_chars):,} 字" for r in top.head(5).itertuples()))


@figure("01_attribution_coverage", "01_corpus_overview.ipynb", "语料概览")
def attribution_coverage(ctx: Context) -> Chart:
    coverage = describe.attribution_coverage(ctx.pooled_many)
    named = coverage[coverage["status"] == "named"].set_index("label")["share"]
    low = named.idxmin() if len(named) else None
    title = (f"{low} 只有 {_pct(named.min())} 的字数归于具名发言者" if low is not None
             and named.min() < 0.5 else "各场活动的发言归属")
    fig = plots.stacked_bar_chart(
        coverage.assign(share=coverage["share"] * 100), index="label", columns="status_name",
        values="share", colors=describe.coverage_colors(), title=title,
        subtitle=ctx.many.caption("Share of each event's characters said by named people, "
                                  "inferred people, or no one person (pools)"),
        xlabel="字数占比 %")
    return Chart(fig, title, "各场活动的字数中，具名个人、推断出的个人和无法归属的部分各占多少；"
                             "个人层面的图只基于前两者。",
                 notes="具名占比：" + "，".join(f"{k} {_pct(v)}" for k, v in named.items()),
                 finding=title != "各场活动的发言归属")


OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
POOL_COLOR, OTHERS_COLOR = "#9E9E9E", "#D0D0D0"


def gini(values) -> float:
    """Gini coefficient of non-negative shares: 0 when everyone says as much, towards 1 when
    one person says everything."""
    x = np.sort(np.asarray(list(values), dtype=float))
    if len(x) < 2 or x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))


@figure("01_talk_time", "01_corpus_overview.ipynb", "语料概览")
def talk_time(ctx: Context) -> Chart:
    units = ctx.corpus.units
    speakers = ctx.speakers
    person = units["speaker_id"].map(speakers["is_person"]).fillna(False).astype(bool)
    rows, ginis = [], {}
    events = ctx.corpus.events.sort_values(["date", "metadata_order"])
    for event in events.itertuples():
        part = units[units["event_id"] == event.event_id]
        total = part["n_chars"].sum()
        if not total:
            continue
        people = part[person.loc[part.index]].groupby("speaker_id")["n_chars"].sum() \
            .sort_values(ascending=False, kind="stable")
        pools = part[~person.loc[part.index]]["n_chars"].sum()
        ginis[event.label] = gini(people) if len(people) >= 2 else float("nan")
        segments = [(speakers.at[s, "name"], c / total, OKABE_ITO[i % len(OKABE_ITO)])
                    for i, (s, c) in enumerate(people.head(6).items())]
        rest = people.iloc[6:].sum()
        if rest:
            segments.append((f"其他 {len(people) - 6} 人", rest / total, OTHERS_COLOR))
        if pools:
            segments.append(("未归属", pools / total, POOL_COLOR))
        g = ginis[event.label]
        rows.append((f"{event.label}\n基尼 {g:.2f}" if g == g else event.label, segments))
    scored = {k: v for k, v in ginis.items() if v == v}
    if scored:
        top = max(scored, key=lambda k: (scored[k], k))
        title = f"{top} 的发言最不均衡（基尼系数 {scored[top]:.2f}）"
    else:
        title = "各场活动的发言时间分配"
    fig = plots.share_bars(rows, title=title,
                           subtitle="Share of each event's spoken characters by person "
                                    "(largest six named; grey: no one person); Gini over people",
                           xlabel="字数占比 %", legend={"其他个人": OTHERS_COLOR,
                                                    "未归属（匿名、未标注）": POOL_COLOR})
    return Chart(fig, title, "各场活动中每位发言者所占字数比例（最多列出 6 人，灰色为无法归于个人的部分）；"
                             "基尼系数衡量个人之间发言的不均衡程度。",
                 notes="基尼系数：" + "，".join(f"{k} {v:.2f}" for k, v in scored.items()),
                 finding=bool(scored))


@figure("01_turn_lengths", "01_corpus_overview.ipynb", "语料概览")
def turn_lengths(ctx: Context) -> Chart:
    turns = ctx.turns
    labels = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
    data, rows, medians = [], [], {}
    for event_id, part in turns.groupby("event_id", sort=False):
        if len(part) < MIN_UNITS:
            continue
        data.append(part["n_chars"].to_numpy())
        rows.append(f"{labels[event_id]}（{len(part)} 个话轮）")
        medians[labels[event_id]] = float(part["n_chars"].median())
        by_person = part.groupby("speaker_id")["n_chars"]
        for speaker_id, lengths in sorted(by_person, key=lambda kv: -len(kv[1]))[:6]:
            if len(lengths) >= MIN_UNITS:  # a person's spread needs a few turns
                data.append(lengths.to_numpy())
                rows.append(f"    {ctx.who(speaker_id)}（{len(lengths)}）")
    if medians:
        top = max(medians, key=lambda k: (medians[k], k))
        title = f"{top} 的话轮最长（中位数 {medians[top]:.0f} 字）"
    else:
        title = "话轮长度"
    fig, ax = plots.new_figure(title, "Characters per turn, per event and per person with 3+ "
                                      "turns (推断: speaker inferred from the text)")
    if data:
        ax.boxplot(data, vert=False, tick_labels=rows, showfliers=True,
                   medianprops={"color": "#D55E00"}, flierprops={"markersize": 3})
        ax.invert_yaxis()
        ax.set_xscale("log")
    ax.set_xlabel("每个话轮的字数（对数刻度）")
    return Chart(fig, title, "标注了发言者的活动中，每个话轮（同一人连续发言）的字数分布，按活动及话轮较多的个人；红线为中位数。",
                 notes="话轮中位数：" + "，".join(f"{k} {v:.0f} 字" for k, v in medians.items()),
                 finding=bool(medians))


def _turns(ctx: Context) -> pd.DataFrame:
    """Turns of people (named by the transcript, resolved from names, assigned by the analyst
    or inferred; pools of unattributed lines are no one's turns): event_id, speaker_id,
    n_chars, question (the turn asks: kind question, or its text ends with a question mark),
    inferred (some of its lines were inferred), confidence (mean speaker confidence)."""
    spoken = ctx.corpus.spoken()
    people = ctx.speakers.index[ctx.speakers["is_person"]]
    spoken = spoken[spoken["speaker_id"].isin(people)]
    rows = []
    for event_id, part in spoken.groupby("event_id", sort=False):
        run = (part["speaker_id"] != part["speaker_id"].shift()).cumsum()
        for _, turn in part.groupby(run, sort=True):
            text = " ".join(turn["text"]).rstrip()
            rows.append({"event_id": event_id, "speaker_id": turn["speaker_id"].iloc[0],
                         "n_chars": int(turn["n_chars"].sum()),
                         "question": bool((turn["kind"] == "question").any()
                                          or text.endswith(("？", "?"))),
                         "inferred": bool((turn["speaker_method"] == "inferred").any()),
                         "confidence": round(float(turn["speaker_confidence"].mean()), 3)})
    return pd.DataFrame(rows, columns=["event_id", "speaker_id", "n_chars", "question",
                                       "inferred", "confidence"])


def _transitions_repeat(ctx: Context) -> bool:
    """Who-follows-whom means something once some pair of people follow each other 3+ times."""
    turns = ctx.turns
    for _, part in turns.groupby("event_id"):
        pairs = pd.Series(list(zip(part["speaker_id"].iloc[:-1], part["speaker_id"].iloc[1:])))
        if len(pairs) and pairs.value_counts().iloc[0] >= MIN_UNITS:
            return True
    return False


def _asking_turns(ctx: Context) -> pd.DataFrame:
    """Turns of events where a question can be seen (a question mark or a question kind
    somewhere): speech recognition without punctuation would count every turn a statement."""
    spoken = ctx.corpus.spoken()
    marked = spoken["text"].str.contains("[？?]", regex=True) | (spoken["kind"] == "question")
    visible = set(spoken.loc[marked, "event_id"])
    return ctx.turns[ctx.turns["event_id"].isin(visible)]


def _askers(ctx: Context) -> bool:
    """Questions vs statements need at least three people with three turns each, in events
    whose transcripts show questions."""
    turns = ctx.asking_turns
    return int((turns.groupby("speaker_id").size() >= MIN_UNITS).sum()) >= 3


@figure("01_who_follows_whom", "01_corpus_overview.ipynb", "语料概览",
        available=_transitions_repeat,
        unavailable="no two people follow each other three times or more in this corpus")
def who_follows_whom(ctx: Context) -> Chart:
    turns = ctx.turns
    labels = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
    panels, best = {}, None
    counts = turns.groupby("event_id").size().sort_values(ascending=False, kind="stable")
    for event_id in counts.index[:3]:
        part = turns[turns["event_id"] == event_id]
        people = part["speaker_id"].value_counts().head(8).index
        pairs = pd.DataFrame({"from": part["speaker_id"].to_numpy()[:-1],
                              "to": part["speaker_id"].to_numpy()[1:]})
        pairs = pairs[pairs["from"].isin(people) & pairs["to"].isin(people)]
        matrix = pd.crosstab(pairs["from"], pairs["to"]).reindex(index=people, columns=people,
                                                               fill_value=0)
        name = {sid: ctx.who(sid) for sid in people}
        panels[f"{labels[event_id]}（{len(part)} 个话轮）"] = matrix.rename(index=name,
                                                                          columns=name)
        if matrix.to_numpy().sum():
            i, j = np.unravel_index(np.argmax(matrix.to_numpy()), matrix.shape)
            top = (int(matrix.iat[i, j]), labels[event_id], name[people[i]], name[people[j]])
            best = max(best, top) if best else top
    best = best if best and best[0] >= MIN_UNITS else None  # a pair seen once is no pattern
    title = (f"{best[1]}：{best[2]} 之后最常由 {best[3]} 接话（{best[0]} 次）" if best
             else "谁接谁的话")
    fig = plots.panel_heatmaps(panels, title=title, cmap="Greens",
                               subtitle="Turn transitions: rows the speaker of a turn, columns "
                                        "the speaker of the next (eight who take most turns; "
                                        "推断: speaker inferred)",
                               xlabel="下一个话轮的发言者", colorbar_label="次数")
    return Chart(fig, title, "一个话轮之后由谁接话（行：前一话轮的发言者，列：后一话轮；标“推断”的发言者由模型从文字推断）。",
                 notes="话轮数：" + "，".join(f"{labels[e]} {n}" for e, n in counts.items()),
                 finding=best is not None)


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
    fig = plots.share_bars(rows, title=title,
                           subtitle="Share of each person's turns that ask (a question, or "
                                    "ending in ？); people with 3+ turns in transcripts that "
                                    "mark questions (推断: inferred)",
                           xlabel="话轮占比 %", min_label=0.12)
    return Chart(fig, title, "每人的话轮里提问与陈述各占多少（至少 3 个话轮的人；只计标出问号的转写，"
                             "无标点的语音识别看不出提问；标“推断”的发言者由模型推断）。",
                 notes="；".join(f"{ctx.who(s)} {v * 100:.0f}% 提问"
                                for s, v in share.head(5).items()), finding=bool(asks))


# --- 02 · terms and entities ----------------------------------------------------------------

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
    fig = plots.facet_bars(top, facet="event_id", label="token", value="per_10k",
                           colors=plots.event_colors(panels.events), facet_titles=labels,
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
    title = (f"{order.index[0]} 被提及最多（{int(order.iloc[0])} 次）" if len(order)
             else "实体提及热度")
    labels = dict(zip(columns.events["event_id"], columns.events["label"]))
    fig = plots.heatmap(matrix.rename(columns=labels), fmt="{:.1f}", cmap="Blues",
                        colorbar_label="每万字提及次数", title=title,
                        subtitle=ctx.many.caption("Entity mentions per 10,000 characters, "
                                                  "by event"))
    return Chart(fig, title, "提及最多的 25 个实体在各场活动中每万字被提及的次数（各种写法归为同一名称）。",
                 notes="提及次数：" + "，".join(f"{k} {int(v)}" for k, v in order.head(8).items()))


@figure("02_word_clouds", "02_terms_and_entities.ipynb", "词语与实体")
def word_clouds(ctx: Context) -> Chart:
    from analysis.measures.compare import keyness_by

    panels, few = ctx.pooled_few, ctx.few
    key = keyness_by(panels, "event_id", groups=few.order, top=40, min_count=3,
                     tokens=ctx.tokens)
    key = key[key["z"] > 0]
    clouds = {e: dict(zip(part["term"], part["z"])) for e, part in
              key.groupby("event_id", sort=False)}
    clouds = {e: clouds[e] for e in few.order if e in clouds}
    title = "各场活动的特色词云"
    fig = plots.word_clouds(clouds, colors=plots.event_colors(panels.events), titles=few.labels,
                            title=title, subtitle=few.caption("Word clouds of each event's "
                                                              "distinctive terms, sized by "
                                                              "log-odds z against the rest"))
    return Chart(fig, title, "各场活动相对其余活动最有区分度的词，字号按加权对数几率 z 值"
                             "（不是词频：人人都说的词不会出现）；布局随机种子固定。", finding=False)


# --- 03 · topics ----------------------------------------------------------------------------

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
    fig = plots.bar_chart(overall, x="name", y="share", horizontal=True, fmt="{:.1f}%",
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
    columns = plots.with_n(groups.labels, freq.groupby("event_group")["group_units"].first()
                           .reindex(groups.order))
    title, found = _topic_cell_finding(freq, "event_group", groups.labels, names,
                                       "各场活动的话题分布")
    fig = plots.heatmap(share.rename(index=plots.with_n(names, n.sum(axis=1), sep=" "),
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
    rows = plots.with_n(labels, freq.groupby(by)["group_units"].first().reindex(shown), sep=" ")
    return plots.heatmap(matrix.rename(index=rows, columns=plots.with_n(ctx.topic_names,
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
    fig = plots.panel_heatmaps(panels, title=title,
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
    fig = plots.facet_bars(frame, facet="measure", label="event", value="share",
                           colors={"没有话题": "#0072B2", "没有立场": "#D55E00"}, ncols=2,
                           xlabel="文本占比 %", order=["没有话题", "没有立场"], title=title,
                           subtitle="Share of each event's spoken text in units with no "
                                    "discussed topic, and with no stance")
    return Chart(fig, title, "各场活动的发言中，没有任何话题、没有任何立场的单元所占字数比例：编码没覆盖到的部分。",
                 notes="无话题：" + "，".join(f"{k} {v:.0f}%" for k, v in none.items()))


# --- 04 · stances ---------------------------------------------------------------------------

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
    fig = plots.diverging_bars(summary, facet="target", label="label", title=title,
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


# --- 05 · cross-event comparison ------------------------------------------------------------

@figure("05_fightin_words_by_event", "05_cross_event.ipynb", "跨场对比")
def fightin_words(ctx: Context) -> Chart:
    from analysis.measures.compare import keyness_by

    few, panels = ctx.few, ctx.pooled_few
    key = keyness_by(panels, "event_id", groups=few.order, top=10, min_count=5,
                     tokens=ctx.tokens)
    best = key.sort_values(["z", "event_id", "term"], ascending=[False, True, True]).head(1)
    title = (f"最有区分度的词：{few.labels[best['event_id'].iloc[0]]} 的「{best['term'].iloc[0]}」"
             f"（z = {best['z'].iloc[0]:.1f}）" if len(best) else "各场活动的特征词")
    key = key.assign(count=key["target_count"].astype(int))
    fig = plots.facet_bars(key, facet="event_id", label="term", value="z",
                           colors=plots.event_colors(panels.events), facet_titles=few.labels,
                           order=few.order, xlabel="对数几率 z 值", title=title,
                           annotate="count", reference=(1.96, "z = 1.96（p < 0.05）；条末数字为该场出现次数"),
                           subtitle=few.caption("Distinctive terms: each event vs the rest "
                                                "(weighted log-odds z-score, Monroe et al. "
                                                "2008)"))
    top3 = key.groupby("event_id", sort=False).head(3)
    return Chart(fig, title, "每场活动相对其余活动最有区分度的 10 个词（加权对数几率 z 值，Monroe 等 2008）。",
                 notes="；".join(f"{few.labels[e]}：" + "、".join(part["term"])
                                for e, part in top3.groupby("event_id", sort=False)),
                 finding=bool(len(best)))


def _dated_enough(ctx: Context) -> bool:
    """Time charts only where dates mean time: at least 6 distinct periods spanning a year."""
    dates = pd.to_datetime(ctx.corpus.events["date"]).drop_duplicates()
    return len(dates) >= 6 and (dates.max() - dates.min()).days >= 365


@figure("05_term_trajectories", "05_cross_event.ipynb", "跨场对比", available=_dated_enough,
        unavailable="the events have fewer than six dates spanning a year")
def term_trajectories(ctx: Context) -> Chart:
    from analysis.measures.compare import event_timeline, moving_terms, term_trajectory

    over_time = ctx.pooled_many
    timeline = event_timeline(over_time)
    terms = term_trajectory(over_time, moving_terms(over_time, 6, tokens=ctx.tokens),
                            tokens=ctx.tokens)
    terms = terms.assign(when=terms["event_id"].map(timeline.set_index("event_id")["date"]))
    title = "关键词走势"
    fig = plots.line_chart(terms, x="when", y="per_10k_chars", series="term",
                           ylabel="每万字出现次数", title=title,
                           subtitle=ctx.many.caption("Six terms varying most between events, "
                                                     "per 10,000 characters, by date"))
    return Chart(fig, title, "在各场活动间变化最大的 6 个词，每万字出现次数，按真实日期排列。",
                 finding=False)


@figure("05_topic_cooccurrence", "05_cross_event.ipynb", "跨场对比")
def topic_cooccurrence(ctx: Context) -> Chart:
    from analysis.measures.compare import topic_association

    names = ctx.topic_names
    lift, pairs = topic_association(ctx.corpus, topics=ctx.topics)
    solid = pairs[pairs["both"] >= MIN_UNITS]
    if len(solid):
        best = solid.sort_values(["lift", "left", "right"], ascending=[False, True, True]).iloc[0]
        title = (f"「{names[best['left']]}」与「{names[best['right']]}」最常一起出现"
                 f"（提升度 {best['lift']:.1f}）")
    else:
        title = "话题共现"
    mask = np.triu(np.ones(lift.shape, dtype=bool))  # lower triangle only
    shown = lift.mask(mask)
    n = pd.DataFrame(pairs.pivot(index="left", columns="right", values="both")).reindex(
        index=lift.index, columns=lift.columns)
    n = n.combine_first(n.T).mask(mask)
    fig = plots.heatmap(shown.rename(index=names, columns=names), fmt="{:.1f}", cmap="Oranges",
                        annotations=shown.round(1), faded=(n < MIN_UNITS).fillna(False),
                        colorbar_label="提升度", title=title,
                        subtitle="Lift of topic pairs: units carrying both over what their "
                                 "frequencies predict (1 = independent; grey: < 3 units)")
    return Chart(fig, title, "两个话题同时出现在一个单元中的次数与各自频率所预期的比值（提升度，1 表示无关）；"
                             "只画下三角。",
                 notes="；".join(f"{names[r.left]}×{names[r.right]} 提升度 {r.lift:.1f}（{int(r.both)} 个单元）"
                                for r in solid.sort_values("lift", ascending=False).head(5)
                                .itertuples()), finding=title != "话题共现")


@figure("05_entity_network", "05_cross_event.ipynb", "跨场对比",
        available=lambda ctx: ctx.entity_graph.number_of_edges() > 0,
        unavailable="no two entities mentioned 4 times or more are mentioned together in "
                    "2 utterances or more")
def entity_network(ctx: Context) -> Chart:
    graph = ctx.entity_graph
    hub = max(graph.degree, key=lambda d: (d[1], d[0]))[0] if graph.number_of_nodes() else None
    title = f"实体共现网络：{hub} 连接最多" if hub else "实体共现网络"
    fig = plots.network(graph, type_names=describe.display_names("entity_types"), title=title,
                        subtitle="Entities co-mentioned in an utterance: node size = mentions, "
                                 "edge width = co-mentions")
    return Chart(fig, title, "在同一话语中一起被提及的实体：节点大小为提及次数，连线粗细为共同提及次数。",
                 notes=f"{graph.number_of_nodes()} 个实体，{graph.number_of_edges()} 条连线",
                 finding=hub is not None)
