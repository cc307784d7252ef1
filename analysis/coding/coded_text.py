"""One text coded on the spot (`analysis.code_text("...")`): its topics and stances by the
project's codebook and cues, with the words behind them. No corpus, no table and no
overrides: a check of a sentence, beside the tables rather than above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.coding.codebook import codebook
from analysis.coding.stance_cues import stance_cues
from analysis.coding.words import analysis_text
from analysis.project.folder import Project


@dataclass(frozen=True)
class CodedText:
    """The codes of one piece of text, with their evidence.

    topics: topic, name, discussed (counts as a topic, not a passing mention), salience,
        hits, matched (the keywords found);
    stances: target, name, stance (-1/0/1), score, cue (the cue words), evidence (the
        clauses that carry them)."""
    text: str
    topics: pd.DataFrame
    stances: pd.DataFrame

    def __repr__(self) -> str:
        parts = [f"CodedText({self.text[:40]!r}{'…' if len(self.text) > 40 else ''})"]
        for name, frame in (("topics", self.topics), ("stances", self.stances)):
            parts.append(f"{name}:\n{frame.to_string(index=False)}" if len(frame)
                         else f"{name}: none")
        return "\n".join(parts)


def code_text(text: str, project: Project | str | Path | None = None) -> CodedText:
    """Topics and stances of one text with the project's codebook and cues, and the words
    behind them: `analysis.code_text("开源模型会追上 GPT-4")` checks a sentence in one line."""
    book, cues = codebook(project), stance_cues(project)
    prepared = analysis_text(text)
    names, targets = book.names("zh"), cues.names("zh")
    order = {t: i for i, t in enumerate(book.ids)}
    topics = pd.DataFrame(
        sorted(((t, names[t], discussed, round(salience, 3), len(words),
                 "、".join(dict.fromkeys(words)))
                for t, words, _, salience, discussed in book.assess(prepared)),
               key=lambda row: order[row[0]]),
        columns=["topic", "name", "discussed", "salience", "hits", "matched"])
    stances = pd.DataFrame([{"target": r["target"], "name": targets[r["target"]],
                             "stance": r["stance"], "score": r["score"], "cue": r["cue"],
                             "evidence": r["evidence"]} for r in cues.score(prepared)],
                           columns=["target", "name", "stance", "score", "cue", "evidence"])
    return CodedText(text, topics, stances)
