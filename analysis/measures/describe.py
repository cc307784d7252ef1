"""Describing the corpus: who speaks, how much, in which kinds of utterance (tidy frames)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from analysis.corpus import Corpus
from analysis.kinds import SPOKEN
from analysis.errors import TranscriptError
from analysis.text.lexicons import data_path, load_yaml
from analysis.kinds import KINDS
from analysis.speakers.roles import roles

DISPLAY_NAMES_FILE = "display_names.yaml"


def display_names(section: str, path: str | Path | None = None) -> dict[str, str]:
    """Chinese display names of one of the package's id families (`kinds`, `entity_types`)
    from analysis/data/display_names.yaml (or `path`), in the ids' canonical order. Every id
    needs a name and unknown ids are refused, so a typo cannot hide a label. (Names of
    topics, stance targets and roles come from the project's codebook.)"""
    ids = _display_ids()[section]
    path = Path(path) if path else data_path(DISPLAY_NAMES_FILE)
    names = load_yaml(path).get(section)
    if not isinstance(names, dict):
        raise TranscriptError(path, f"`{section}:` is missing or not a mapping",
                              fix=f"add `{section}:` with one `id: 名称` line per id")
    missing = [i for i in ids if not str(names.get(i) or "").strip()]
    unknown = sorted(set(names) - set(ids))
    if missing or unknown:
        raise TranscriptError(path, f"`{section}:` " + "; ".join(
            part for part in (f"no name for {', '.join(missing)}" if missing else "",
                              f"unknown ids {', '.join(map(str, unknown))}" if unknown else "")
            if part), fix=f"give exactly these ids a name: {', '.join(ids)}")
    return {i: str(names[i]).strip() for i in ids}


def _display_ids() -> dict[str, tuple[str, ...]]:
    from analysis.text.normalise import ENTITY_TYPES

    return {"kinds": KINDS, "entity_types": ENTITY_TYPES}


def __getattr__(name: str) -> dict[str, str]:
    """`KIND_NAMES`: display names read when asked for (not at import), so an edit of the
    data file shows in a running notebook."""
    if name == "KIND_NAMES":
        return display_names("kinds")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def event_table(corpus: Corpus, *, topics: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per event with its date, format, size and how well the codebook fits it
    (`hits_per_10k`, `topic_share`, `fit_ratio`, `low_fit`: see coding.codebook_fit), in
    date order."""
    from analysis.coding import codebook_fit

    columns = ["event_id", "label", "series", "date", "date_precision", "format",
               "n_utterances", "n_chars", "n_speakers"]
    fit = codebook_fit(corpus, topics=topics).drop(columns="n_chars")
    return corpus.events[columns].merge(fit, on="event_id", how="left").reset_index(drop=True)


def event_labels(corpus: Corpus, *, topics: pd.DataFrame | None = None,
                 mark: str = "（低契合）") -> dict[str, str]:
    """Event id -> chart label; events the codebook does not fit carry `mark`, so every
    cross-event chart shows which columns rest on a codebook written for something else."""
    from analysis.coding import codebook_fit

    fit = codebook_fit(corpus, topics=topics).set_index("event_id")["low_fit"]
    return {e: label + (mark if fit.get(e, False) else "")
            for e, label in zip(corpus.events["event_id"], corpus.events["label"])}


_PERIODS = {  # kind -> key of a period start date
    "month": lambda d: f"{d.year}-{d.month:02d}",
    "quarter": lambda d: f"{d.year} Q{(d.month - 1) // 3 + 1}",
    "half": lambda d: f"{d.year} H{1 if d.month <= 6 else 2}",
    "year": lambda d: f"{d.year}",
}


@dataclass(frozen=True)
class EventGroups:
    """Events pooled into at most a chart's worth of groups (see `event_groups`).

    kind: `event` (one group per event), `series`, or a period (`month`, `quarter`, `half`,
    `year`); of: event_id -> group; order: groups in date order; labels: group -> label for
    charts; sizes: group -> number of events."""

    kind: str
    of: dict[str, str]
    order: list[str]
    labels: dict[str, str]
    sizes: dict[str, int]

    @property
    def note(self) -> str:
        """A caption fragment saying how events were pooled ('' when they were not)."""
        if self.kind == "event":
            return ""
        by = {"series": "系列", "month": "月", "quarter": "季度", "half": "半年",
              "year": "年"}.get(self.kind, self.kind)
        return f"{len(self.of)} 场活动按{by}分为 {len(self.order)} 组"

    def caption(self, text: str) -> str:
        """A chart's subtitle, saying how events were pooled when they were."""
        return f"{text}；{self.note}" if self.note else text


def event_groups(corpus: Corpus, max_groups: int = 20, *, prefer: str = "period",
                 topics: pd.DataFrame | None = None) -> EventGroups:
    """Pool events so a chart shows at most `max_groups` columns, rows or panels.

    Up to `max_groups` events: one group each (labels mark low-fit events). More: with
    `prefer="series"` and 2..max_groups series, one group per series; otherwise by the
    finest period (month, quarter, half year, year) that gives at most `max_groups` groups,
    so a 200-episode archive reads as a time line instead of 200 unreadable columns."""
    events = corpus.events
    if len(events) <= max_groups:
        labels = event_labels(corpus, topics=topics)
        ids = list(events["event_id"])
        return EventGroups("event", {e: e for e in ids}, ids, labels, {e: 1 for e in ids})
    series = events["series"].fillna("").astype(str) if "series" in events else None
    if prefer == "series" and series is not None and (series != "").all() \
            and 2 <= series.nunique() <= max_groups:
        keys, kind = series, "series"
    else:
        for kind, key_of in _PERIODS.items():
            keys = events["date"].map(key_of)
            if keys.nunique() <= max_groups:
                break
    of = dict(zip(events["event_id"], keys))
    order = list(dict.fromkeys(keys))  # events are in date order
    sizes = keys.value_counts().to_dict()
    labels = {g: f"{g}（{sizes[g]} 场）" for g in order}
    return EventGroups(kind, of, order, labels, {g: int(sizes[g]) for g in order})


def pooled_corpus(corpus: Corpus, groups: EventGroups) -> Corpus:
    """The corpus with each group of events as one event (event_id = the group, label = the
    group's label, date = its first event's), for term and entity tables per group: their
    functions take event ids from the corpus, so tokens computed on the original corpus can
    be passed along. Not pooled, the corpus with the groups' labels (low-fit events marked)."""
    if groups.kind == "event":
        return replace(corpus, events=corpus.events.assign(
            label=corpus.events["event_id"].map(groups.labels)))
    of = groups.of
    utterances = corpus.utterances.assign(event_id=corpus.utterances["event_id"].map(of))
    speakers = corpus.speakers.assign(event_id=corpus.speakers["event_id"].map(of))
    events = corpus.events.assign(group=corpus.events["event_id"].map(of))
    def one(values: pd.Series) -> str:  # a column's value when the group shares it, else ""
        values = values.fillna("").astype(str).unique()
        return values[0] if len(values) == 1 else ""

    pooled = (events.groupby("group", sort=False)
              .agg(date=("date", "min"), date_precision=("date_precision", "first"),
                   series=("series", one), format=("format", one),
                   n_utterances=("n_utterances", "sum"), n_chars=("n_chars", "sum"))
              .reindex(groups.order).reset_index(names="event_id"))
    spoke = speakers[speakers["n_utterances"] > 0]
    pooled["n_speakers"] = pooled["event_id"].map(spoke.groupby("event_id")["name"].nunique()) \
        .fillna(0).astype("int64")
    pooled.insert(1, "label", pooled["event_id"].map(groups.labels))
    pooled["metadata_order"] = range(len(pooled))
    pooled["date_precision"] = groups.kind if groups.kind in ("month", "quarter", "year") \
        else pooled["date_precision"]
    return Corpus(events=pooled, speakers=speakers, utterances=utterances, root=corpus.root,
                  sources={})


COVERAGE_STATUS = {"named": ("具名发言者", "#1f77b4"), "inferred": ("推断的发言者", "#88ccee"),
                   "pool": ("未归属（合并）", "#bbbbbb")}
"""How a character's speaker is known: display name and colour per status."""


def coverage_colors() -> dict[str, str]:
    """Colours of attribution_coverage's `status_name` values."""
    return dict(COVERAGE_STATUS.values())


def attribution_coverage(corpus: Corpus) -> pd.DataFrame:
    """Per event: characters of speech and questions by how their speaker is known: `named`
    (a person the transcript or the analyst names), `inferred` (a person inferred from
    conversational cues), `pool` (no one person: unattributed lines, anonymous answers,
    editor, audience). Long frame: event_id, label, status, status_name, n_chars, share."""
    spoken = corpus.spoken().merge(corpus.speakers[["speaker_id", "role"]], on="speaker_id")
    pools = set(roles(corpus.root).pools)
    status = spoken["role"].isin(pools).map({True: "pool", False: "named"})
    status[(status == "named") & (spoken["speaker_method"] == "inferred")] = "inferred"
    names = {key: name for key, (name, _) in COVERAGE_STATUS.items()}
    counts = (spoken.assign(status=status).groupby(["event_id", "status"])["n_chars"].sum()
              .unstack(fill_value=0).reindex(columns=list(names), fill_value=0)
              .stack().rename("n_chars").reset_index())
    totals = counts.groupby("event_id")["n_chars"].transform("sum")
    counts["share"] = (counts["n_chars"] / totals.where(totals > 0)).fillna(0).round(4)
    counts = _labelled(counts, corpus, "status", names)
    return counts[["event_id", "label", "status", "status_name", "n_chars", "share"]
                  ].reset_index(drop=True)


def utterances_by_kind(corpus: Corpus) -> pd.DataFrame:
    """Long frame: event_id, label, kind, kind_name, n_utterances, n_chars (all four kinds)."""
    counts = (corpus.utterances.groupby(["event_id", "kind"])
              .agg(n_utterances=("utterance_id", "size"), n_chars=("n_chars", "sum"))
              .reset_index())
    counts = _labelled(counts, corpus, "kind", display_names("kinds"))
    return counts[["event_id", "label", "kind", "kind_name", "n_utterances", "n_chars"]
                  ].reset_index(drop=True)


def _labelled(counts: pd.DataFrame, corpus: Corpus, column: str,
              names: dict[str, str]) -> pd.DataFrame:
    """Add `<column>_name` and the event label; sort by the corpus's event order (date),
    then by the order of `names`."""
    counts = counts.assign(**{f"{column}_name": pd.Categorical(
        counts[column].map(names), categories=list(names.values()))})
    counts = counts.merge(corpus.events[["event_id", "label"]], on="event_id")
    order = {e: i for i, e in enumerate(corpus.events["event_id"])}
    ranks = {k: i for i, k in enumerate(names)}
    return counts.sort_values(["event_id", column], key=lambda s: s.map(
        order if s.name == "event_id" else ranks))


def speakers_by_role(corpus: Corpus, *, spoken_only: bool = True) -> pd.DataFrame:
    """Long frame: event_id, label, role, role_name, n_speakers (speakers who spoke, by default)."""
    speakers = corpus.speakers
    if spoken_only:
        speakers = speakers[speakers["n_utterances"] > 0]
    # distinct names: in a pooled corpus (describe.pooled_corpus) a host of 18 episodes is one
    counts = speakers.groupby(["event_id", "role"])["name"].nunique().rename("n_speakers") \
        .reset_index()
    counts = _labelled(counts, corpus, "role", roles(corpus.root).names())
    return counts[["event_id", "label", "role", "role_name", "n_speakers"]].reset_index(drop=True)


def speaker_table(corpus: Corpus) -> pd.DataFrame:
    """Speakers with their event label, role name and how much they said (speech and questions),
    largest first; speakers who said nothing are kept (n_utterances 0). `is_person` is False
    for the pools of unnamed voices (editor, audience, anonymous, unattributed), which
    per-person charts leave out; every other speaker, `unknown` role included, is a person."""
    table = corpus.speakers.merge(corpus.events[["event_id", "label"]], on="event_id")
    book = roles(corpus.root)
    table["role_name"] = table["role"].map(book.names())
    table["is_person"] = ~table["role"].isin(book.pools)
    table["display"] = table["name"] + " · " + table["label"]
    spoken = corpus.spoken()
    attribution = spoken.groupby("speaker_id").agg(
        inferred_share=("speaker_method", lambda s: round(float((s == "inferred").mean()), 3)),
        mean_confidence=("speaker_confidence", lambda s: round(float(s.mean()), 3)))
    table = table.join(attribution, on="speaker_id")
    return (table.sort_values(["n_chars", "speaker_id"], ascending=[False, True])
            [["speaker_id", "event_id", "label", "name", "display", "affiliation", "title",
              "role", "role_name", "is_person", "n_utterances", "n_chars", "inferred_share",
              "mean_confidence"]].reset_index(drop=True))


def attribution_table(corpus: Corpus) -> pd.DataFrame:
    """Per event and speaker: utterances by how the speaker was decided (label, roster,
    inferred, override) and the mean confidence, for the events that needed attribution."""
    spoken = corpus.spoken()
    needed = spoken.groupby("event_id")["speaker_method"].apply(
        lambda s: bool(s.isin(["inferred", "override"]).any()))
    rows = spoken[spoken["event_id"].map(needed)]
    table = (rows.groupby(["event_id", "speaker", "speaker_method"])
             .agg(n_utterances=("utterance_id", "size"),
                  mean_confidence=("speaker_confidence", "mean"))
             .reset_index())
    table["mean_confidence"] = table["mean_confidence"].round(3)
    return table.sort_values(["event_id", "speaker_method", "n_utterances", "speaker"],
                             ascending=[True, True, False, True]).reset_index(drop=True)


__all__ = ["COVERAGE_STATUS", "KIND_NAMES", "SPOKEN", "EventGroups", "attribution_coverage",
           "attribution_table", "coverage_colors", "display_names", "event_groups",
           "event_labels", "event_table", "pooled_corpus", "speaker_table", "speakers_by_role",
           "utterances_by_kind"]
