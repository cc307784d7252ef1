"""The learned layer of topic coding: a logistic model of salience (does a unit discuss a
topic it mentions?) over features of its keyword hits, fitted on a labelled tuning set and
kept as data beside the codebook (`codebook/topic_model.yaml`), so a codebook without one
falls back to its keyword rule.

Features of a (unit, topic) mention, all independent of which topic it is:
    specific, weak     distinct specific / broad keywords of the topic in the unit
    log_hits           log(1 + keyword occurrences)
    density            occurrences per 100 characters
    spread             share of the unit's sentences holding a keyword
    log_sentences_hit  log(1 + sentences holding a keyword)
    log_chars          log of the unit's length
    score_share        the topic's keyword score over all topics' scores in the unit
    is_top             1 if no topic scores higher in the unit
    question           1 if the unit is a question
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from analysis.coding.words import analysis_text, split_clauses
from analysis.errors import TranscriptError
from analysis.text.lexicons import load_yaml

FEATURES = ("specific", "weak", "log_hits", "density", "spread", "log_sentences_hit",
            "log_chars", "score_share", "is_top", "question")


def mention_features(text: str, found: dict[str, tuple[list[str], int]],
                     specific: dict[str, set[str]]) -> dict[str, list[float]]:
    """The feature vector (FEATURES order) of each mentioned topic; `specific` holds each
    topic's matched words that are specific keywords (the rest are broad)."""
    sentences = split_clauses(text) or [text]
    chars = max(len(re.sub(r"\s+", "", text)), 1)
    total = sum(score for _, score in found.values()) or 1
    top = max((score for _, score in found.values()), default=0)
    question = float(text.rstrip().endswith(("？", "?")))
    out = {}
    for topic, (words, score) in found.items():
        distinct = {w.lower() for w in words}
        strong = {w.lower() for w in specific.get(topic, set())}
        hit = sum(1 for s in sentences if any(w in s.lower() for w in distinct))
        out[topic] = [len(strong), len(distinct - strong), math.log1p(len(words)),
                      len(words) / chars * 100, hit / len(sentences), math.log1p(hit),
                      math.log(chars), score / total, float(score == top), question]
    return out


@dataclass(frozen=True)
class TopicModel:
    """Logistic salience: p = 1 / (1 + exp(-(intercept + Σ w·x))); discussed at p >= threshold."""

    weights: tuple[float, ...]
    intercept: float
    threshold: float
    path: Path

    def probability(self, features: list[float]) -> float:
        z = self.intercept + sum(w * x for w, x in zip(self.weights, features))
        return 1 / (1 + math.exp(-z))


def load_topic_model(path: Path, topic_ids: list[str]) -> "TopicModel | None":
    """The model file beside a codebook, validated; None when there is none."""
    if not path.is_file():
        return None
    doc = load_yaml(path)
    weights = doc.get("weights")
    if not isinstance(weights, dict) or set(weights) != set(FEATURES) or not all(
            isinstance(v, (int, float)) for v in weights.values()):
        raise TranscriptError(path, f"`weights` must give a number for each of {', '.join(FEATURES)}",
                              fix="refit it with `python -m analysis evaluate --fit`")
    threshold, intercept = doc.get("threshold"), doc.get("intercept")
    if not isinstance(threshold, (int, float)) or not 0 < threshold < 1 or \
            not isinstance(intercept, (int, float)):
        raise TranscriptError(path, "`threshold` (between 0 and 1) and `intercept` are needed",
                              fix="refit it with `python -m analysis evaluate --fit`")
    return TopicModel(tuple(float(weights[f]) for f in FEATURES), float(intercept),
                      float(threshold), path)


def training_pairs(book, items) -> tuple[list[list[float]], list[int]]:
    """Feature vectors and 0/1 labels of every (unit, topic) mention among labelled units
    (`items`: (text, set of topics the readers gave)); a topic the readers gave without a
    mention cannot be learned from here (the lexicon misses it) and is left out."""
    X, y = [], []
    for text, topics in items:
        text = analysis_text(text)
        found = book.mentions(text)
        features = mention_features(text, found, book.specific_words(found))
        for topic, vector in features.items():
            X.append(vector)
            y.append(int(topic in topics))
    return X, y


def fit_topic_model(book, items, *, seed: int = 0) -> dict:
    """Fit the salience model on labelled units; the threshold maximises the F1 of
    cross-validated (5-fold) probabilities, so it is not tuned on what it was fitted on.
    Returns the model file's content."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    X, y = training_pairs(book, items)
    X, y = np.array(X), np.array(y)
    model = LogisticRegression(C=1.0, max_iter=2000)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    probs = cross_val_predict(model, X, y, cv=folds, method="predict_proba")[:, 1]
    best = max(np.arange(0.2, 0.8, 0.01),
               key=lambda th: (2 * ((probs >= th) & (y == 1)).sum()
                               / ((probs >= th).sum() + (y == 1).sum()), -th))
    model.fit(X, y)
    return {"weights": {f: round(float(w), 4) for f, w in zip(FEATURES, model.coef_[0])},
            "intercept": round(float(model.intercept_[0]), 4),
            "threshold": round(float(best), 2), "pairs": int(len(y)),
            "positives": int(y.sum())}
