"""The labelling view's model: the drawn units (`validate draw`) one at a time, with their
neighbours for reference, and the labeller's answers written to evaluation/labels.yaml.

Plain methods returning dicts, tested without a browser; the widget (`widget.LabellingWidget`)
only calls them. Every answer is written at once (through a temporary file), so closing the
notebook loses nothing; `undo` takes the last answer or skip back.
"""

from __future__ import annotations

from analysis.coding import codebook, stance_cues
from analysis.corpus import Corpus, load_corpus
from analysis.validation.sample import drawn_items, labelled_items, record_label, remove_label


class Labelling:
    """The queue of drawn units a labeller has not answered, and their answers."""

    def __init__(self, corpus: Corpus | None = None, *, labeller: str = "analyst") -> None:
        self.corpus = corpus if corpus is not None else load_corpus()
        self.labeller = labeller
        self.book, self.cues = codebook(self.corpus.root), stance_cues(self.corpus.root)
        units = self.corpus.units.sort_values(["event_id", "seq"])
        self.texts = dict(zip(units["unit_id"], units["text"]))
        self.order = {event: list(part["unit_id"]) for event, part in units.groupby("event_id")}
        self.items = [i for i in drawn_items(self.corpus.root) if i["unit_id"] in self.texts]
        self.done = {i["unit_id"] for i in labelled_items(self.corpus.root)
                     if i.get("labeller") == labeller}
        self.skipped: set[str] = set()
        self.history: list[tuple[str, str]] = []  # (action, unit_id)

    @property
    def progress(self) -> str:
        """'37 / 100': answered of drawn."""
        return f"{len(self.done & {i['unit_id'] for i in self.items})} / {len(self.items)}"

    def current(self, around: int = 1) -> dict | None:
        """The next unit to answer: unit_id, event_id, text, before and after (neighbouring
        units' texts), or None when every drawn unit is answered or skipped."""
        for item in self.items:
            uid = item["unit_id"]
            if uid in self.done or uid in self.skipped:
                continue
            event = uid.rsplit(".", 1)[0]
            units = self.order.get(event, [uid])
            at = units.index(uid)
            return {"unit_id": uid, "event_id": event, "text": self.texts[uid],
                    "before": [self.texts[u] for u in units[max(0, at - around):at]],
                    "after": [self.texts[u] for u in units[at + 1:at + 1 + around]]}
        return None

    def save(self, topics: list[str], stances: dict[str, int]) -> dict:
        """Answer the current unit: topic ids and {target: -1/0/+1}; unknown ids are refused."""
        unit = self.current()
        if unit is None:
            raise ValueError("every drawn unit is answered")
        if unknown := set(topics) - set(self.book.ids):
            raise ValueError(f"unknown topics: {sorted(unknown)}")
        if bad := {t: v for t, v in stances.items() if t not in self.cues.ids or v not in (-1, 0, 1)}:
            raise ValueError(f"bad stances: {bad}")
        record_label(self.corpus.root, unit["unit_id"], unit["text"], topics, stances,
                     self.labeller)
        self.done.add(unit["unit_id"])
        self.history.append(("save", unit["unit_id"]))
        return unit

    def skip(self) -> dict | None:
        """Leave the current unit for later (this session)."""
        unit = self.current()
        if unit is not None:
            self.skipped.add(unit["unit_id"])
            self.history.append(("skip", unit["unit_id"]))
        return unit

    def undo(self) -> str | None:
        """Take back the last answer or skip; returns its unit id."""
        if not self.history:
            return None
        action, uid = self.history.pop()
        if action == "save":
            remove_label(self.corpus.root, uid, self.labeller)
            self.done.discard(uid)
        else:
            self.skipped.discard(uid)
        return uid
