"""Auto-detection of a transcript's format (`parser: auto` in events.yaml).

Every parser's own sniffer scores the text (all of it when it is small, else 2,000 lines
from the beginning, the middle and the end, so a title block or a preface cannot decide
alone); the best score wins, as the confidence, with its evidence in words, and the
runner-up is kept to explain the choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.ingest.parsers.base import sample_of


@dataclass(frozen=True)
class Detection:
    """The chosen parser, its confidence and evidence, and every parser's score."""

    parser: str
    confidence: float
    reason: str
    scores: dict
    reasons: dict = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"{self.parser} (confidence {self.confidence:.2f}: {self.reason})"

    @property
    def runner_up(self) -> str | None:
        others = [k for k in self.scores if k != self.parser]
        return max(others, key=lambda k: (self.scores[k], k)) if others else None

    def explain(self) -> str:
        """Why the choice beat the runner-up, in one line."""
        second = self.runner_up
        if second is None:
            return "no other format fits"
        return (f"{second} {self.scores[second]:.2f} ({self.reasons.get(second, '')}) "
                f"lost to {self.parser} {self.confidence:.2f}")


def detect(text: str) -> Detection:
    """The most likely parser for a decoded transcript."""
    from analysis.ingest.parsers import REGISTRY  # the registry imports the parsers, which import this package

    sample = sample_of(text)
    if not sample.filled:
        return Detection("paragraphs", 0.0, "empty text", {})
    found = {}
    for name, info in REGISTRY.items():
        score = info.sniff(sample)
        if score:
            found[name] = score
    best = max(found, key=lambda k: (found[k][0], k))
    return Detection(best, round(found[best][0], 2), found[best][1],
                     {k: round(v[0], 2) for k, v in sorted(found.items())},
                     {k: v[1] for k, v in sorted(found.items())})
