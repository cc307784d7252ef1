"""Exploring a corpus in JupyterLab: search, filter and click through to the quotes.

`explore(corpus)` shows one widget:
- filters (events, speakers, roles, topics, stance targets, date range) that every view follows;
- a search box: keyword in context over the corpus, an entity's every spelling included
  (`OpenAI` finds the ASR's `open eye`), sortable and paged, with a count per event;
- a topic x speaker (or x event) matrix: a click on a cell lists the units behind it, with
  the matched words marked and the stance evidence underlined;
- a unit view: the unit between its neighbours, its topics and stances with their evidence,
  and buttons that write an override to the project's overrides.yaml (`write_override`, the
  path a hand edit is checked by), after which every view is coded afresh.

`Explorer` holds the tables (computed once) and the views as plain functions returning
frames and HTML, so that they are tested without a browser; the widgets only call them.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.coding import analysis_text, codebook, stance_cues, stance_table, topic_table, write_override
from analysis.corpus import Corpus, load_corpus
from analysis.text.normalise import aliases, normalise
from analysis.speakers.roles import roles

PAGE = 20  # rows of search results and units per page
TOP = 12  # matrix columns: the speakers (or events) with most units under the filters


@dataclass(frozen=True)
class Filters:
    """What every view is restricted to; an empty tuple means all."""

    events: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None


class Concordance:
    """Keyword in context over every utterance at once: the normalised texts joined into one
    string, searched by one compiled pattern (the same matches as `terms.kwic`)."""

    def __init__(self, corpus: Corpus) -> None:
        frame = corpus.utterances
        self.rows = frame[["utterance_id", "event_id", "speaker_id", "speaker"]].reset_index(
            drop=True)
        texts = [normalise(t) for t in frame["text"].tolist()]
        self.starts, position = [], 0
        for text in texts:
            self.starts.append(position)
            position += len(text) + 1
        self.text = "\n".join(texts)
        self._spans = None  # (alias table, entity -> spans); found again if aliases change
        self._mentions(aliases())  # here, so that a search does not wait for it

    def _mentions(self, table) -> dict[str, list[tuple[int, int]]]:
        """Every entity's spans, found once with all spellings at once (longest match, as
        `kwic` finds them: `GPT` is not found inside `GPT-4`)."""
        if self._spans is None or self._spans[0] is not table:
            spans: dict[str, list[tuple[int, int]]] = {}
            for start, end, name in table.matcher.finditer(self.text):
                spans.setdefault(name, []).append((start, end))
            self._spans = (table, spans)
        return self._spans[1]

    def find(self, query: str, window: int = 20) -> pd.DataFrame:
        """utterance_id, event_id, speaker_id, speaker, pre, keyword, post, entity."""
        table = aliases()
        entity = table.lookup(query) if query.strip() else None
        if entity:
            spans = self._mentions(table).get(entity.name, [])
        elif query.strip():
            pattern = re.compile(re.escape(normalise(query)), re.IGNORECASE)
            spans = [(m.start(), m.end()) for m in pattern.finditer(self.text) if m.end() > m.start()]
        else:
            spans = []
        found = []
        for start, end in spans:
            row = bisect_right(self.starts, start) - 1
            first = self.starts[row]
            last = self.starts[row + 1] - 1 if row + 1 < len(self.starts) else len(self.text)
            if end > last:
                continue
            found.append((row, self.text[max(first, start - window):start], self.text[start:end],
                          self.text[end:min(last, end + window)]))
        out = self.rows.iloc[[r for r, *_ in found]].reset_index(drop=True)
        return out.assign(pre=[f[1] for f in found], keyword=[f[2] for f in found],
                          post=[f[3] for f in found],
                          entity=entity.name if entity else pd.NA)


class Explorer:
    """The explorer's tables and views (see the module docstring); `widget()` draws it."""

    def __init__(self, corpus: Corpus | None = None) -> None:
        self.corpus = corpus if corpus is not None else load_corpus()
        self.book = codebook(self.corpus.root)
        self.cues = stance_cues(self.corpus.root)
        self.topic_names = self.book.names("zh")
        self.target_names = self.cues.names("zh")
        self.role_names = roles(self.corpus.project).names("zh")
        self.concordance = Concordance(self.corpus)
        self._index_units()
        self.refresh()

    # --- tables ---------------------------------------------------------------------------

    def _index_units(self) -> None:
        """The units with their role and date, and integer codes for selecting them (views
        select with codes, so that each interaction stays fast on a large project)."""
        corpus = self.corpus
        events = corpus.events.set_index("event_id")
        speakers = corpus.speakers.set_index("speaker_id")
        units = corpus.units[["unit_id", "event_id", "seq", "speaker_id", "speaker", "text",
                              "utterance_ids"]].copy()
        units["role"] = units["speaker_id"].map(speakers["role"])
        units["date"] = units["event_id"].map(events["date"])
        self.units = units.set_index("unit_id", drop=False)
        self._index = self.units.index
        self.unit_of = {u: unit for unit, ids in zip(units["unit_id"], units["utterance_ids"])
                        for u in ids.split()}
        self._codes = {column: pd.factorize(units[column].astype(object).fillna(""))
                       for column in ("event_id", "speaker_id", "role")}
        self._dates = units["date"].to_numpy()
        self.event_label = events["label"].to_dict()
        self.speaker_label = {sid: f"{name} · {self.event_label.get(event, event)}"
                              for sid, name, event in corpus.speakers[
                                  ["speaker_id", "name", "event_id"]].itertuples(index=False)}

    def refresh(self) -> None:
        """(Re)compute the coded tables: after an override, every view shows the new codes."""
        self.topics = topic_table(self.corpus)
        self.stances = stance_table(self.corpus)
        self._t_unit = self._index.get_indexer(self.topics["unit_id"])
        self._t_topic = pd.Index(self.book.ids).get_indexer(self.topics["topic"])
        self._s_unit = self._index.get_indexer(self.stances["unit_id"])
        self._s_target = self.stances["target"].to_numpy()
        self._topic_rows = _rows_by(self._t_unit, len(self.units))
        self._stance_rows = _rows_by(self._s_unit, len(self.units))

    def _mask(self, filters: Filters) -> np.ndarray:
        """Which units (by position) the filters keep."""
        keep = np.ones(len(self.units), dtype=bool)
        for column, wanted in (("event_id", filters.events), ("speaker_id", filters.speakers),
                               ("role", filters.roles)):
            if wanted:
                codes, values = self._codes[column]
                keep &= np.isin(codes, np.flatnonzero(np.isin(values, list(wanted))))
        if filters.start is not None:
            keep &= self._dates >= np.datetime64(filters.start)
        if filters.end is not None:
            keep &= self._dates <= np.datetime64(filters.end)
        for rows, values, wanted in ((self._t_unit, self.topics["topic"].to_numpy(),
                                      filters.topics),
                                     (self._s_unit, self._s_target, filters.targets)):
            if wanted:
                has = np.zeros(len(self.units), dtype=bool)
                has[rows[np.isin(values, list(wanted))]] = True
                keep &= has
        return keep

    def units_in(self, filters: Filters) -> pd.Index:
        """Ids of the units the filters keep."""
        return self.units.index[self._mask(filters)]

    # --- views ----------------------------------------------------------------------------

    def search(self, query: str, filters: Filters = Filters(), *, sort: str = "event"
               ) -> tuple[pd.DataFrame, pd.Series]:
        """Keyword in context under the filters (speech and questions of kept units; notes
        and meta too when no unit filter applies), and the number of hits per event."""
        found = self.concordance.find(query)
        found["unit_id"] = found["utterance_id"].map(self.unit_of)
        mask = self._mask(filters)
        positions = self._index.get_indexer(found["unit_id"]).astype(np.int64)
        inside = (positions >= 0) & mask[np.maximum(positions, 0)]
        if not (filters.topics or filters.targets or filters.speakers or filters.roles):
            # notes and meta belong to no unit: kept by event and date alone
            kept_events = set(self._codes["event_id"][1][np.unique(self._codes["event_id"][0][mask])])
            inside |= (positions < 0) & found["event_id"].isin(kept_events).to_numpy()
        found = found[inside]
        if sort == "left":
            found = found.assign(_key=found["pre"].str[::-1]).sort_values(
                ["_key", "utterance_id"], kind="stable").drop(columns="_key")
        else:
            order = {"event": ["event_id", "utterance_id"], "speaker": ["speaker", "utterance_id"],
                     "right": ["post", "utterance_id"]}[sort]
            found = found.sort_values(order, kind="stable")
        counts = found.groupby("event_id").size().sort_values(ascending=False, kind="stable")
        return found.reset_index(drop=True), counts

    def _selected(self, filters: Filters) -> np.ndarray:
        """Positions of the topic rows under the filters."""
        keep = self._mask(filters)[self._t_unit]
        if filters.topics:
            keep &= np.isin(self.topics["topic"].to_numpy(), list(filters.topics))
        return np.flatnonzero(keep)

    def matrix(self, filters: Filters = Filters(), by: str = "speaker", top: int = TOP
               ) -> pd.DataFrame:
        """Units discussing each topic (rows, codebook order) by speaker or event (columns,
        the `top` with most coded units under the filters)."""
        codes, values = self._codes["speaker_id" if by == "speaker" else "event_id"]
        rows = self._selected(filters)
        counts = np.zeros((len(self.book.ids), len(values)), dtype=np.int64)
        np.add.at(counts, (self._t_topic[rows], codes[self._t_unit[rows]]), 1)
        columns = np.argsort(-counts.sum(axis=0), kind="stable")[:top]
        columns = [c for c in columns if counts[:, c].sum()]
        used = [i for i in range(len(self.book.ids)) if counts[i].sum()]
        return pd.DataFrame(counts[np.ix_(used, columns)], index=[self.book.ids[i] for i in used],
                            columns=[values[c] for c in columns]).rename_axis(
            index="topic", columns="speaker_id" if by == "speaker" else "event_id")

    def cell(self, topic: str, key: str, filters: Filters = Filters(), by: str = "speaker",
             limit: int | None = None) -> pd.DataFrame:
        """The units behind one matrix cell (the first `limit`): unit_id, speaker, event_id,
        and the unit's analysis text as HTML with the topic's matched words marked and
        stance evidence underlined."""
        codes, values = self._codes["speaker_id" if by == "speaker" else "event_id"]
        rows = self._selected(filters)
        wanted = list(values).index(key) if key in set(values) else -1
        rows = rows[(self._t_topic[rows] == self.book.ids.index(topic))
                    & (codes[self._t_unit[rows]] == wanted)]
        units = self.units.iloc[self._t_unit[rows][:limit]]
        return pd.DataFrame({
            "unit_id": units["unit_id"].to_numpy(), "speaker": units["speaker"].to_numpy(),
            "event_id": units["event_id"].to_numpy(),
            "html": [self.marked(u, {topic}) for u in units["unit_id"]]})

    def marked(self, unit_id: str, topics: set[str] | None = None) -> str:
        """A unit's analysis text as HTML: matched topic words in <mark>, stance evidence in
        <u> (all topics when `topics` is None)."""
        text = analysis_text(self.units.at[unit_id, "text"])
        rows = self.topics.iloc[self._topic_rows(self._index.get_loc(unit_id))]
        if topics is not None:
            rows = rows[rows["topic"].isin(topics)]
        words = {w for matched in rows["matched"] for w in str(matched).split("、") if w
                 and not w.startswith("override:")}
        evidence = [part for e in self.stances["evidence"].iloc[self._stance_rows(self._index.get_loc(unit_id))]
                    if isinstance(e, str) for part in e.split(" … ") if part and part in text]
        spans = [(m.start(), m.end(), "u") for e in evidence for m in re.finditer(re.escape(e), text)]
        if words:
            pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)),
                                 re.IGNORECASE)
            spans += [(m.start(), m.end(), "mark") for m in pattern.finditer(text)]
        return _tagged(text, spans)

    def unit(self, unit_id: str, around: int = 2) -> dict:
        """A unit in context: `context` (the units `around` before and after in its event,
        with `current` marked), `topics` and `stances` (with evidence) of the unit."""
        units = self.units
        event, seq = units.at[unit_id, "event_id"], units.at[unit_id, "seq"]
        near = units[(units["event_id"] == event) & units["seq"].between(seq - around, seq + around)]
        context = pd.DataFrame({"unit_id": near["unit_id"].to_numpy(),
                                "speaker": near["speaker"].to_numpy(),
                                "current": (near["unit_id"] == unit_id).to_numpy(),
                                "html": [self.marked(u) if u == unit_id else html.escape(t)
                                         for u, t in zip(near["unit_id"], near["text"])]})
        topics = self.topics.iloc[self._topic_rows(self._index.get_loc(unit_id))][
            ["topic", "salience", "matched", "source"]].assign(
            name=lambda f: f["topic"].map(self.topic_names))
        stances = self.stances.iloc[self._stance_rows(self._index.get_loc(unit_id))][
            ["target", "stance", "cue", "evidence", "source"]].assign(
            name=lambda f: f["target"].map(self.target_names))
        return {"unit_id": unit_id, "event_id": event,
                "speaker": units.at[unit_id, "speaker"], "context": context,
                "topics": topics.reset_index(drop=True), "stances": stances.reset_index(drop=True)}

    def override(self, unit_id: str, **change) -> dict:
        """Write an override (`topic=..., remove=...` or `target=..., stance=...`, `note=`)
        and code the corpus afresh; returns the entry written."""
        entry = write_override(self.corpus, unit_id, **change)
        self.refresh()
        return entry

    def __repr__(self) -> str:
        return (f"Explorer({len(self.corpus.events)} events, {len(self.units)} units, "
                f"{len(self.topics)} coded topics, {len(self.stances)} stances)")


def _rows_by(positions: np.ndarray, n: int):
    """A function giving, for a unit's position, the rows of a table that belong to it."""
    order = np.argsort(positions, kind="stable")
    bounds = np.searchsorted(positions[order], np.arange(n + 1))
    return lambda p: order[bounds[p]:bounds[p + 1]]


def _tagged(text: str, spans: list[tuple[int, int, str]]) -> str:
    """`text` escaped, with stance evidence (`u` spans) underlined and matched words
    (`mark` spans) marked, a mark inside evidence kept."""
    flags = [0] * len(text)
    for start, end, tag in spans:
        for i in range(start, end):
            flags[i] |= 1 if tag == "u" else 2
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and flags[j] == flags[i]:
            j += 1
        chunk = html.escape(text[i:j])
        chunk = f"<mark>{chunk}</mark>" if flags[i] & 2 else chunk
        out.append(f"<u>{chunk}</u>" if flags[i] & 1 else chunk)
        i = j
    return "".join(out)
