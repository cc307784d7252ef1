"""Aggregations of the coding tables, for charts and reports: topic frequencies per group
(comparable across groups of different length and format), the most representative quotes
per topic, and the mean stance per group and target with its strongest evidence.
"""

from __future__ import annotations

import pandas as pd

from analysis.coding.codebook import codebook
from analysis.coding.fit import codebook_fit
from analysis.coding.memo import _select
from analysis.coding.stances import stance_table
from analysis.coding.topics import topic_table
from analysis.corpus import Corpus

MIN_UNITS = 3
"""Charts fade a cell (topic or stance) resting on fewer analysis units than this."""


def _with_role(frame: pd.DataFrame, corpus: Corpus, groups=None) -> pd.DataFrame:
    """The frame with the speaker's `role`, and `event_group` when a mapping event_id ->
    group is given (describe.event_groups: events pooled by period or series)."""
    frame = frame.assign(role=frame["speaker_id"].map(
        corpus.speakers.set_index("speaker_id")["role"]))
    if groups is not None:
        frame = frame.assign(event_group=frame["event_id"].map(dict(groups)))
    return frame


def topic_frequencies(corpus: Corpus, by: str = "event_id", *,
                      topics: pd.DataFrame | None = None, include_notes: bool = False,
                      groups=None) -> pd.DataFrame:
    """Topic frequency per group, comparable across groups of different length and format.

    `by` is a column of the units (`event_id`, `speaker_id`), `role`, `event_group` with
    `groups` mapping event_id -> group (events pooled by period or series), or `corpus`
    (everything as one group).

    Columns: <by>, topic, n_units (units discussing the topic), share_units (of the group's
    units), share_chars (share of the group's characters said in those units: the measure
    charts use, independent of how finely a transcript was split), per_10k_chars (units
    discussing the topic per 10,000 characters), hits (keyword occurrences in them),
    group_units, group_chars.
    """
    topics = topic_table(corpus, include_notes=include_notes) if topics is None else topics
    chosen = _with_role(_select(corpus, include_notes, None), corpus, groups)
    topics = _with_role(topics, corpus, groups)
    if by == "corpus":  # the whole corpus as one group
        chosen, topics = chosen.assign(corpus="all"), topics.assign(corpus="all")
    topics = topics.join(chosen.set_index("unit_id")["n_chars"], on="unit_id")
    sizes = chosen.groupby(by).agg(group_units=("unit_id", "size"),
                                   group_chars=("n_chars", "sum"))
    grid = pd.MultiIndex.from_product([sizes.index, list(codebook(corpus.root).ids)],
                                      names=[by, "topic"])
    counts = (topics.groupby([by, "topic"])
              .agg(n_units=("unit_id", "nunique"), topic_chars=("n_chars", "sum"),
                   hits=("hits", "sum"))
              .reindex(grid, fill_value=0).reset_index())
    counts = counts.join(sizes, on=by)
    counts["share_units"] = (counts["n_units"] / counts["group_units"]).round(4)
    chars = counts["group_chars"].where(counts["group_chars"] > 0)
    counts["share_chars"] = (counts["topic_chars"] / chars).fillna(0).round(4)
    counts["per_10k_chars"] = (counts["n_units"] / chars * 10_000).fillna(0).round(2)
    return counts[[by, "topic", "n_units", "share_units", "share_chars", "per_10k_chars",
                   "hits", "group_units", "group_chars"]]


def topic_quotes(corpus: Corpus, *, topics: pd.DataFrame | None = None, n: int = 3,
                 min_chars: int = 30, max_chars: int = 160) -> pd.DataFrame:
    """The `n` most representative units per topic: most keyword hits per character among
    units of at least `min_chars` characters (ties by unit order)."""
    topics = topic_table(corpus) if topics is None else topics
    info = corpus.units.set_index("unit_id")[["speaker", "text", "n_chars"]]
    rows = topics.join(info, on="unit_id")
    rows = rows[rows["n_chars"] >= min_chars].copy()
    rows["density"] = rows["hits"] / rows["n_chars"]
    rows = rows.sort_values(["topic", "density", "unit_id"],
                            ascending=[True, False, True]).groupby("topic").head(n)
    rows["quote"] = rows["text"].map(lambda t: t if len(t) <= max_chars
                                     else t[:max_chars - 1] + "…")
    order = {t: i for i, t in enumerate(codebook(corpus.root).ids)}
    rows = rows.sort_values(["topic", "density"], key=lambda s: s.map(order)
                            if s.name == "topic" else -s, kind="stable")
    return rows[["topic", "unit_id", "speaker", "matched", "quote"]].reset_index(drop=True)


def stance_summary(corpus: Corpus, by: str = "speaker_id", *,
                   stances: pd.DataFrame | None = None, quotes: int = 2,
                   include_low_fit: bool = False, groups=None) -> pd.DataFrame:
    """Mean stance per group and target, the number of units behind it, and the
    strongest evidence quotes (largest |score|, ties by unit order).

    Events the codebook does not fit (`codebook_fit(...).low_fit`) are left out unless
    `include_low_fit=True`: a codebook's stance cues mean little in a discussion of
    something else (a finance podcast scored for AI questions).

    Columns: <by>, target, mean_stance, n_units, n_confirmed (rows an analyst confirmed),
    n_pro, n_neutral, n_con, evidence.
    """
    stances = stance_table(corpus, include_low_fit=include_low_fit) if stances is None \
        else stances
    if not include_low_fit:
        fit = codebook_fit(corpus)
        stances = stances[~stances["event_id"].isin(fit.loc[fit["low_fit"], "event_id"])]
    stances = _with_role(stances, corpus, groups)
    rows = []
    for (key, target), part in stances.groupby([by, "target"], sort=True):
        strongest = part.assign(strength=part["score"].abs()).sort_values(
            ["strength", "unit_id"], ascending=[False, True]).head(quotes)
        rows.append({by: key, "target": target,
                     "mean_stance": round(float(part["stance"].mean()), 3),
                     "n_units": int(part["unit_id"].nunique()),
                     "n_confirmed": int((part["source"] == "override").sum()),
                     "n_pro": int((part["stance"] > 0).sum()),
                     "n_neutral": int((part["stance"] == 0).sum()),
                     "n_con": int((part["stance"] < 0).sum()),
                     "evidence": " ‖ ".join(f"[{u}] {e}" for u, e in
                                            zip(strongest["unit_id"], strongest["evidence"]))})
    return pd.DataFrame(rows, columns=[by, "target", "mean_stance", "n_units", "n_confirmed", "n_pro",
                                       "n_neutral", "n_con", "evidence"])
