"""Every chart of the project, as a registered function: the notebooks, the main job's
manifest, the slide deck and the baseline check all go through this registry.

A figure function takes a `Context` (the corpus and the tables charts share, computed once)
and returns a `Chart`: the matplotlib figure, its title stating the finding (computed from
the data; a generic title when no single finding stands out), the measure (subtitle), a
Chinese caption, and speaker notes with the n and the evidence behind the finding.

    from analysis import charts
    ctx = charts.Context(load_corpus())
    charts.draw("03_topics_by_event", ctx)   # renders, saves to the project's figures, returns it

The figure functions live in one module per notebook (`corpus`, `terms`, `topics`, `stances`,
`compare`); importing `analysis.charts` registers them in notebook order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from matplotlib.figure import Figure

from analysis.measures import describe
from analysis.charts import style
from analysis.coding import codebook, stance_cues, stance_table, topic_table
from analysis.corpus import Corpus


@dataclass
class Evidence:
    """What a takeaway slide shows beside a finding, and what ranks it among the takeaways:
    the effect on a 0-1 scale (each chart's measure is in docs/charts.md), the units behind
    it, one sentence that says it with its speaker, and the measure with its interval."""

    effect: float
    n: int
    measure: str               # e.g. "占比 46%（90% 区间 39–53%），n = 312 个单元"
    quote: str = ""
    speaker: str = ""          # who said the quote, and where


@dataclass
class Chart:
    """A rendered chart and the words that go with it."""

    fig: Figure
    title: str                 # the finding (or a generic title)
    caption: str               # Chinese, for the manifest and the slide
    notes: str = ""            # speaker notes: measure, n, evidence
    finding: bool = True       # False when the title is the generic fallback
    evidence: Evidence | None = None  # a takeaway candidate (a finding about what was said)


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
QUOTE_CHARS = 90
"""Longest quote a takeaway slide shows (longer sentences are cut at commas)."""
_SAID_BY = re.compile(r"^[^，。,.:：\s]{1,8}[:：]\s*")
_REPORTED = re.compile(r"^[…\s]*(他|她|有人|据|对方|别人)(说|讲|提到|表示|认为)")
"""Reported speech: someone else's words, not the speaker's, so never a quote under their name."""


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
    def stance_rows(self) -> pd.DataFrame:
        """`analysis.estimates.stances.stance_rows`: the stance table with each row's
        probability and status (confirmed / automatic / suggested)."""
        from analysis.estimates.stances import stance_rows

        return stance_rows(self.corpus, table=self.stances)

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
    def speaker_time(self) -> pd.DataFrame:
        """`analysis.estimates.talk_time.speaker_time`: each speaker's expected share of an
        event's characters, inferred speakers counted by their posterior."""
        from analysis.estimates.talk_time import speaker_time

        return speaker_time(self.corpus)

    @cached_property
    def unit_probabilities(self) -> pd.DataFrame:
        """`analysis.estimates.unit_probabilities`: each unit's chance of each topic."""
        from analysis.estimates.shares import unit_probabilities

        return unit_probabilities(self.corpus)

    def topic_estimates(self, by: str) -> pd.DataFrame:
        """`analysis.estimates.topic_shares` by `by` (`corpus`, `speaker_id`, `role`, or
        `event_group`: the events as charts group them); the four come from one simulation,
        made at the first call."""
        if "_estimates" not in self.__dict__:
            from analysis.estimates.shares import topic_shares_by

            self.__dict__["_estimates"] = topic_shares_by(
                self.corpus, ["corpus", "event_group", "speaker_id", "role"],
                groups=self.many.of, probabilities=self.unit_probabilities)
        return self.__dict__["_estimates"][by]

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

    def quote(self, units: pd.DataFrame, term: str = "") -> tuple[str, str]:
        """(sentence, who and where) from the first of `units` (ranked by the caller) that a
        person said and that holds `term` (when given): the whole sentence around the term,
        else the unit's opening sentence, cut at commas beyond QUOTE_CHARS."""
        from analysis.coding.words import whole_quote

        people = set(self.speakers.index[self.speakers["is_person"]])
        spoken = units[units["kind"].isin(("speech", "question"))]
        # a person's statement first, then a person's question, then anyone's
        order = (~spoken["speaker_id"].isin(people)).astype(int) * 2 + (spoken["kind"] != "speech")
        ranked = spoken.assign(_order=order.to_numpy()).sort_values("_order", kind="stable")
        labels = dict(zip(self.corpus.events["event_id"], self.corpus.events["label"]))
        for row in ranked.itertuples():
            # the speaker's own words: a "姓名：" the transcript repeats inside the text goes
            text = _SAID_BY.sub("", " ".join(str(row.text).split()))
            if term and term not in text:
                continue
            clause = term or text[:12]
            quote = whole_quote(text, clause, limit=QUOTE_CHARS, anchor=term)
            if len(quote) >= 8 and not _REPORTED.match(quote):
                return quote, f"{self.who(row.speaker_id)}，{labels.get(row.event_id, row.event_id)}"
        return "", ""

    def topic_evidence(self, topic: str, row, *, by: str = "corpus", group=None,
                       where: str = "全部发言", units: pd.DataFrame | None = None) -> Evidence:
        """A topic share's evidence: effect = the low end of its 90 % interval (the share a
        sceptic grants), n = the group's units, the quote from the unit a reader would most
        surely tag with the topic (among `units` when given, else the group's)."""
        if units is None:
            units = self.corpus.units
            if by == "event_group":
                units = units[units["event_id"].map(self.many.of) == group]
            elif by == "speaker_id":
                units = units[units["speaker_id"] == group]
            elif by == "role":
                units = units[units["speaker_id"].map(self.speakers["role"]) == group]
        chances = self.unit_probabilities
        chances = chances[chances["topic"] == topic].set_index("unit_id")["probability"]
        ranked = units.assign(p=units["unit_id"].map(chances).fillna(0.0)).sort_values(
            ["p", "n_chars", "unit_id"], ascending=[False, False, True])
        quote, speaker = self.quote(ranked[ranked["n_chars"] >= 20])
        low, high = float(row["low"]), float(row["high"])
        return Evidence(effect=low, n=int(row["n_units"]),
                        measure=(f"{where}中「{self.topic_names[topic]}」占 {row['estimate']:.0%}"
                                 f"（90% 区间 {low:.0%}–{high:.0%}），共 {int(row['n_units'])} 个单元"),
                        quote=quote, speaker=speaker)

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


def _asking_turns(ctx: Context) -> pd.DataFrame:
    """Turns of events where a question can be seen (a question mark or a question kind
    somewhere): speech recognition without punctuation would count every turn a statement."""
    spoken = ctx.corpus.spoken()
    marked = spoken["text"].str.contains("[？?]", regex=True) | (spoken["kind"] == "question")
    visible = set(spoken.loc[marked, "event_id"])
    return ctx.turns[ctx.turns["event_id"].isin(visible)]


_VALIDATED = (
    (re.compile(r"^readers' labels on all (\d+) units$"), r"全部 \1 个单元有读者标注"),
    (re.compile(r"^readers' labels on (\d+) of (\d+) units; the rest (.*)$"),
     r"\2 个单元中 \1 个有读者标注；其余：\3"),
    (re.compile(r"calibrated on (\d+) labelled units of this project"),
     r"用本项目 \1 个标注单元校准"),
    (re.compile(r"calibrated elsewhere \((\d+) labelled units\), not validated on this project"),
     r"校准自别处（\1 个标注单元），未在本项目验证"),
    (re.compile(r"calibrated on the example's labels, not validated on this project"),
     "用示例项目的标注校准，未在本项目验证"),
    (re.compile(r"uncalibrated keyword shares: label units of this project to calibrate"),
     "未校准的关键词比例：标注本项目的单元后才能校准"),
)


def validated_zh(text: str) -> str:
    """A chart's line on what its numbers were validated on, in Chinese (the estimates
    state it in English, for the notebooks' tables)."""
    for pattern, replacement in _VALIDATED:
        text = pattern.sub(replacement, text)
    return "依据：" + text


def draw(name: str, ctx: Context, *, save: bool = True, folder=None) -> Figure:
    """Render a registered figure, save it (PNG + SVG with title, caption and notes in the
    metadata) into the figures folder of the corpus's project (`Project.figures_dir`, unless
    `folder` is given) and return the matplotlib figure (a notebook cell shows it)."""
    chart = render(name, ctx)
    if save:
        style.save(chart.fig, name, caption=chart.caption, notes=chart.notes,
                   finding=chart.finding, folder=folder or ctx.corpus.project.figures_dir,
                   evidence=chart.evidence.__dict__ if chart.evidence and chart.finding
                   else None)
    return chart.fig


def show(name: str, ctx: Context, *, folder=None) -> Figure | None:
    """Draw a figure where the corpus has what it needs; otherwise say why and remove the
    files an earlier run left, so the manifest and the deck never show a stale chart."""
    spec = REGISTRY[name]
    folder = folder or ctx.corpus.project.figures_dir
    if spec.available(ctx):
        return draw(name, ctx, folder=folder)
    for path in style.figure_paths(name, folder):
        path.unlink(missing_ok=True)
    print(f"{name}: {spec.unavailable or 'not drawn for this corpus'}")
    return None


def render(name: str, ctx: Context) -> Chart:
    """The registered figure, drawn in the house style whatever the caller's rcParams."""
    with style.house_style():
        return REGISTRY[name].draw(ctx)


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"
