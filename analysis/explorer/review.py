"""The review queue's model: suggested stance rows (analysis.estimates.stances) one at a
time, those whose decision changes the charts most first, each with its whole sentence and
its neighbouring units; an answer (confirm, flip, neutral, reject) is written at once as an
override (who, when) to the project's overrides.yaml, `undo` takes the last one back.

Plain methods returning dicts, tested without a browser; the widget
(`widget.ReviewWidget`) only calls them. Confirmed rows are facts from then on; a rejected
row is dropped for that unit's text, so it never comes back.
"""

from __future__ import annotations

import datetime as dt

from analysis.coding import stance_cues
from analysis.coding.overrides import event_pools, remove_override, write_override
from analysis.coding.words import verbatim_quote
from analysis.corpus import Corpus, load_corpus
from analysis.estimates.stances import review_queue, stance_rows

DECISIONS = ("confirm", "flip", "neutral", "reject")
VALUES = {1: "支持", 0: "两面", -1: "反对"}


class StanceReview:
    """The suggested stance rows a reviewer has not answered, in the queue's order."""

    def __init__(self, corpus: Corpus | None = None, *, reviewer: str = "analyst",
                 around: int = 1, clock=None) -> None:
        self.corpus = corpus if corpus is not None else load_corpus()
        self.reviewer = reviewer
        self.around = around
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"))
        cues = stance_cues(self.corpus.root)
        self.names = cues.names()
        self.questions = {t.id: t.question for t in cues.targets}
        rows = stance_rows(self.corpus)
        self.model = rows.attrs["stance_model"]
        self.queue = review_queue(rows, self.model.threshold).to_dict("records")
        units = self.corpus.units.sort_values(["event_id", "seq"])
        self.texts = dict(zip(units["unit_id"], units["text"]))
        self.speakers = dict(zip(units["unit_id"], units["speaker"]))
        self.order = {event: list(part["unit_id"]) for event, part in units.groupby("event_id")}
        event_pools(self.corpus)  # built now, so that the first answer is as quick as the rest
        self.at = 0
        self.history: list[tuple[int, dict | None]] = []  # (queue position, entry written)

    @property
    def answered(self) -> int:
        return sum(1 for _, entry in self.history if entry is not None)

    @property
    def progress(self) -> str:
        """'12 / 30 answered (180 suggested)': this session's answers of the queue."""
        return f"{self.answered} answered, {len(self.queue) - self.at} of {len(self.queue)} left"

    def current(self) -> dict | None:
        """The next suggestion: unit_id, event_id, speaker, target, target_name, question,
        stance, value (支持/两面/反对), probability, quote (its whole sentence), text, before
        and after (neighbouring units' texts); None when the queue is done."""
        if self.at >= len(self.queue):
            return None
        row = self.queue[self.at]
        uid = row["unit_id"]
        units = self.order.get(row["event_id"], [uid])
        place = units.index(uid) if uid in units else 0
        return {"unit_id": uid, "event_id": row["event_id"],
                "speaker": self.speakers.get(uid, ""), "target": row["target"],
                "target_name": self.names.get(row["target"], row["target"]),
                "question": self.questions.get(row["target"], ""),
                "stance": int(row["stance"]), "value": VALUES[int(row["stance"])],
                "probability": float(row["probability"]),
                "quote": verbatim_quote(self.texts[uid], row["quote"]) if uid in self.texts
                else row["quote"], "text": self.texts.get(uid, ""),
                "before": [self.texts[u] for u in units[max(0, place - self.around):place]],
                "after": [self.texts[u] for u in units[place + 1:place + 1 + self.around]]}

    def answer(self, decision: str) -> dict:
        """Answer the current suggestion: `confirm` its value, `flip` it, mark it `neutral`,
        or `reject` it (no stance on this target here); written at once as an override."""
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
        unit = self.current()
        if unit is None:
            raise ValueError("every suggestion is answered")
        if decision == "flip" and unit["stance"] == 0:
            raise ValueError("a mixed row has no opposite: confirm it, or reject it")
        value = {"confirm": unit["stance"], "flip": -unit["stance"], "neutral": 0,
                 "reject": None}[decision]
        entry = write_override(self.corpus, unit["unit_id"], target=unit["target"],
                               stance=value, note=f"review: {decision}", by=self.reviewer,
                               at=self.clock())
        self.history.append((self.at, entry))
        self.at += 1
        return entry

    def skip(self) -> dict | None:
        """Leave the current suggestion for later (it stays in the queue)."""
        unit = self.current()
        if unit is not None:
            self.history.append((self.at, None))
            self.at += 1
        return unit

    def undo(self) -> dict | None:
        """Take back the last answer or skip (its override is removed); returns the
        suggestion it was about."""
        if not self.history:
            return None
        place, entry = self.history.pop()
        if entry is not None:
            remove_override(self.corpus, entry)
        self.at = place
        return self.current()
