"""The topic codebook: the project's codebook/topics.yaml read into `Topic`s (keywords, broad
words, exclusions, `min_score`), and how a text's topic mentions are found, scored and
judged discussed: by keyword score, or by the learned salience model (`topic_model.yaml`
beside the codebook, analysis.coding.learned) when the codebook ships one.

Topic ids, their order, names and colours all come from that file (its comments explain the
rules): nothing here names a topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from analysis.coding.learned import load_topic_model, mention_features
from analysis.coding.words import _id_section, _word_pattern, _words
from analysis.errors import TranscriptError
from analysis.project.folder import Project
from analysis.text.lexicons import files_stamp, line_of, load_yaml, names_and_color

TOPICS_FILE = "topics.yaml"
TOPIC_MODEL_FILE = "topic_model.yaml"


@dataclass(frozen=True)
class Topic:
    id: str
    zh: str
    en: str
    color: str
    keywords: tuple[str, ...]
    pattern: re.Pattern | None
    weak: re.Pattern | None = None
    exclude: re.Pattern | None = None
    min_score: int = 2
    weak_words: tuple[str, ...] = ()
    exclude_words: tuple[str, ...] = ()

    def matches(self, text: str) -> tuple[list[str], int]:
        """Keyword occurrences in an analysis text outside excluded phrases, and their
        score: 2 per distinct specific keyword, 1 per distinct broad one (repeating a word
        does not make an utterance more about a topic)."""
        found = [[(m.start(), m.end(), m.group()) for m in p.finditer(text)] if p else []
                 for p in (self.pattern, self.weak, self.exclude)]
        return _score_matches(*found)


def _score_matches(strong: list, weak: list, exclude: list) -> tuple[list[str], int]:
    """`Topic.matches` from the (start, end, word) matches of its three word lists."""
    if not exclude and not weak:  # one list's matches never overlap one another
        words = [word for _, _, word in strong]
        return words, 2 * len({w.lower() for w in words})
    taken = [(a, b) for a, b, _ in exclude]
    words, seen, score = [], set(), 0
    for found, points in ((strong, 2), (weak, 1)):
        for start, end, word in found:
            if taken and any(a <= start < b or a < end <= b for a, b in taken):
                continue
            taken.append((start, end))
            if word.lower() not in seen:
                seen.add(word.lower())
                score += points
            words.append(word)
    return words, score


@dataclass(frozen=True)
class Codebook:
    topics: tuple[Topic, ...]
    path: Path
    model: object | None = None  # learned.TopicModel when the codebook ships one

    @property
    def ids(self) -> tuple[str, ...]:
        """Topic ids in the codebook's order (the order charts list them)."""
        return tuple(t.id for t in self.topics)

    def names(self, language: str = "zh") -> dict[str, str]:
        return {t.id: getattr(t, language) for t in self.topics}

    def colors(self) -> dict[str, str]:
        return {t.id: t.color for t in self.topics}

    def mentions(self, text: str) -> dict[str, tuple[list[str], int]]:
        """Topic id -> (matched words, keyword score) for every topic an (analysis) text
        mentions: at least one keyword, however passing."""
        found = {}
        hits = self.scanner.scan(text)
        for i in sorted({slot // 3 for slot in hits if slot % 3 != 2}):
            words, score = _score_matches(hits.get(3 * i, ()), hits.get(3 * i + 1, ()),
                                          hits.get(3 * i + 2, ()))
            if score >= 1:
                found[self.topics[i].id] = (words, score)
        return found

    @cached_property
    def scanner(self):
        """One pass over every topic's keyword, broad-word and exclusion lists."""
        from analysis.text.matching import Scanner

        lists, patterns = [], []
        for topic in self.topics:
            lists += [list(topic.keywords), list(topic.weak_words), list(topic.exclude_words)]
            patterns += [topic.pattern, topic.weak, topic.exclude]
        return Scanner(lists, patterns)

    def assess(self, text: str) -> list[tuple[str, list[str], int, float, bool]]:
        """(topic, matched words, keyword score, salience, discussed) for each topic the text
        mentions. With a learned salience model beside the codebook (`topic_model.yaml`),
        salience is its probability that the unit discusses the topic; without one, the
        keyword score, and a topic is discussed at its `min_score`."""
        found = self.mentions(text)
        if self.model is not None and found:
            features = mention_features(text, found, self.specific_words(found))
            probs = {t: self.model.probability(features[t]) for t in found}
            return [(t, w, s, probs[t], probs[t] >= self.model.threshold)
                    for t, (w, s) in found.items()]
        minimum = self._min_scores
        return [(t, w, s, float(s), s >= minimum[t]) for t, (w, s) in found.items()]

    @cached_property
    def _min_scores(self) -> dict[str, int]:
        return {t.id: t.min_score for t in self.topics}

    def specific_words(self, found: dict) -> dict[str, set[str]]:
        """The matched words of each mentioned topic that are specific keywords."""
        patterns = {t.id: t.pattern for t in self.topics}
        return {t: {w for w in words if patterns[t] is not None and patterns[t].fullmatch(w)}
                for t, (words, _) in found.items()}

    def code(self, text: str) -> dict[str, list[str]]:
        """Topic id -> matched words, for the topics an (analysis) text discusses."""
        return {t: w for t, w, _, _, discussed in self.assess(text) if discussed}


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read and validate a topic codebook (default: the current project's)."""
    path = Path(path) if path else Project.find().codebook_file(TOPICS_FILE)
    doc = _id_section(path, load_yaml(path).get("topics"), "topics", "topic id")
    topics = []
    for topic_id, entry in doc.items():
        where = line_of(path, f"{topic_id}:")
        zh, en, color = names_and_color(path, topic_id, entry, "topic")
        keywords = _words(entry.get("keywords"), path, f"{topic_id}.keywords")
        weak = _words(entry.get("weak"), path, f"{topic_id}.weak", required=False)
        exclude = _words(entry.get("exclude"), path, f"{topic_id}.exclude", required=False)
        min_score = entry.get("min_score", 2)
        if not isinstance(min_score, int) or min_score < 1:
            raise TranscriptError(path, f"topic {topic_id!r}: min_score must be a whole number "
                                  ">= 1", line=where, fix="write min_score: 2")
        topics.append(Topic(topic_id, zh, en, color, tuple(keywords),
                            _word_pattern(keywords, path, f"{topic_id}.keywords"),
                            _word_pattern(weak, path, f"{topic_id}.weak"),
                            _word_pattern(exclude, path, f"{topic_id}.exclude"), min_score,
                            tuple(weak), tuple(exclude)))
    return Codebook(tuple(topics), path, load_topic_model(path.with_name(TOPIC_MODEL_FILE),
                                                          [t.id for t in topics]))


def codebook(project: Project | str | Path | None = None) -> Codebook:
    """A project's topic codebook (default: the current project's), rebuilt when its file
    changes."""
    path = Project.of(project).codebook_file(TOPICS_FILE)
    return _codebook(path, files_stamp(path))


@lru_cache(maxsize=8)
def _codebook(path: Path, stamp: tuple) -> Codebook:
    return load_codebook(path)
