"""Coding: topics and stances per analysis unit (analysis.units), from data-file lexicons,
with evidence.

topic_table    unit_id, event_id, speaker_id, topic, salience, hits, matched, source
               (topics the unit discusses; `mentions=True`: every keyword mention, with
               `discussed`)
stance_table   unit_id, event_id, speaker_id, target, stance (+1, 0, -1), score, cue,
               evidence, source

`matched`, `cue` and `evidence` say which words and which clause decided each row;
`source` is `lexicon`, or `override` where the project's overrides.yaml sets the answer.
Codebook: the project's codebook/topics.yaml; cues: codebook/stances.yaml (their comments
explain the rules). Topic and target ids, their order, names and colours all come from
those files: nothing here names a topic or a target.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.corpus import Corpus
from analysis.kinds import SPOKEN
from analysis.units import build_units
from analysis.scale.pool import batches as _batches, map_texts
from analysis.errors import TranscriptError
from analysis.text.lexicons import files_stamp, line_of, load_yaml, names_and_color
from analysis.text.normalise import ALIASES_FILE, aliases, normalise, one_match
from analysis.project.folder import Project, atomic_write, default_codebook_dir

TOPICS_FILE = "topics.yaml"
TOPIC_MODEL_FILE = "topic_model.yaml"
STANCES_FILE = "stances.yaml"
SENTIMENT_FILE = "sentiment.yaml"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
NEGATION_WINDOW = 4
MIXED_RATIO = 0.5  # weaker side / stronger side at or above which a view counts as mixed
STANCE_MIN = 1.0  # net cue weight for a +1 / -1 stance
MIN_UNITS = 3
"""Charts fade a cell (topic or stance) resting on fewer analysis units than this."""


# --- matching words ----------------------------------------------------------------------

def _word_pattern(words: list[str], path: Path, what: str) -> re.Pattern | None:
    """One regex for a word list: literals longest first, Latin words whole, `/re/` raw."""
    parts = []
    for word in sorted(set(words), key=lambda w: (-len(w), w)):
        if len(word) > 2 and word.startswith("/") and word.endswith("/"):
            try:
                re.compile(word[1:-1])
            except re.error as err:
                raise TranscriptError(path, f"{what}: bad pattern {word!r} ({err})",
                                      line=line_of(path, word),
                                      fix="fix the regular expression or write a plain word")
            parts.append(f"(?:{word[1:-1]})")
            continue
        body = re.escape(normalise(word))
        if re.match(r"[A-Za-z0-9]", word):
            body = r"(?<![A-Za-z0-9])" + body
        if re.search(r"[A-Za-z0-9]$", word):
            body += r"(?![A-Za-z0-9])"
        parts.append(body)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _words(value, path: Path, what: str, *, required: bool = True) -> list[str]:
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value) or \
            not all(isinstance(w, str) and w.strip() for w in value):
        raise TranscriptError(path, f"{what} must be a non-empty list of words",
                              line=line_of(path, what.split(".")[0].split()[-1]),
                              fix="write it as [word, word, ...]")
    return [w.strip() for w in value]


def analysis_text(text: str) -> str:
    """The text codes are matched on: normalised, entity spellings made canonical."""
    return aliases().canonicalise(normalise(text))


# --- topics ------------------------------------------------------------------------------

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
            from analysis.coding.learned import mention_features

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


def _id_section(path: Path, section, key: str, what: str) -> dict:
    """The mapping of ids under `key` (snake_case ids, possibly none), or a clear error."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise TranscriptError(path, f"`{key}` must map {what}s to their entries",
                              line=line_of(path, f"{key}:"),
                              fix="see the comment at the top of the shipped file")
    bad = [k for k in section if not isinstance(k, str) or not _ID.match(k)]
    if bad:
        raise TranscriptError(path, f"{what} {bad[0]!r} is not a snake_case id",
                              line=line_of(path, f"{bad[0]}:"),
                              fix="use lower-case letters, digits and underscores, starting "
                                  "with a letter")
    return section


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
    from analysis.coding.learned import load_topic_model

    return Codebook(tuple(topics), path, load_topic_model(path.with_name(TOPIC_MODEL_FILE),
                                                          [t.id for t in topics]))


# --- stances -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    id: str
    zh: str
    en: str
    color: str
    question: str
    relevance: re.Pattern
    cues: re.Pattern
    polarity: dict[str, int]
    subject: re.Pattern | None = None
    relevance_words: tuple[str, ...] = ()
    subject_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class StanceCues:
    targets: tuple[Target, ...]
    negators: re.Pattern
    hedges: re.Pattern
    contrast: re.Pattern
    conditional: re.Pattern
    asking: re.Pattern
    path: Path
    reported: re.Pattern | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        """Target ids in the file's order."""
        return tuple(t.id for t in self.targets)

    def names(self, language: str = "zh") -> dict[str, str]:
        return {t.id: getattr(t, language) for t in self.targets}

    @cached_property
    def scanner(self):
        """One pass over every target's relevance and subject words."""
        from analysis.text.matching import Scanner

        lists, patterns = [], []
        for target in self.targets:
            lists += [list(target.relevance_words), list(target.subject_words)]
            patterns += [target.relevance, target.subject]
        return Scanner(lists, patterns)

    @cached_property
    def cue_scanner(self):
        """One pass over every target's cue words."""
        from analysis.text.matching import Scanner

        return Scanner([list(t.polarity) for t in self.targets], [t.cues for t in self.targets])

    def score(self, text: str) -> list[dict]:
        """Stance rows of one analysis text: target, stance, score, cue, evidence.

        A stance is stated, not inferred: only cues in a sentence that names the target
        (one of its `relevance` words) count; questions, hypotheticals (`conditional`) and
        reported speech (`reported`) judge nothing; a target raised without a cue, or with
        cues that cancel out to less than STANCE_MIN, gets no row."""
        rows = []
        hits = self.scanner.scan(text)  # a clause's match is a match in the whole text too
        raised = [(i, t) for i, t in enumerate(self.targets)
                  if 2 * i in hits and (t.subject is None or 2 * i + 1 in hits)]
        clauses = split_clauses(text) if raised else []
        found: dict[int, list] = {}  # clause -> its cue matches, per target (one pass each)
        for slot, target in raised:
            relevant = [i for i, c in enumerate(clauses) if target.relevance.search(c)]
            total = pro_sum = con_sum = 0.0
            cues, evidence = [], []
            for i in relevant:
                part = clauses[i]
                if _is_question(part) or self.conditional.search(part) or (
                        self.reported is not None and self.reported.search(part)):
                    continue
                if i not in found:
                    found[i] = self.cue_scanner.scan(part)
                score = self._score_clause(part, target, cues, found[i].get(slot, ()))
                if not score:
                    continue
                if score[0] != score[1]:
                    evidence.append(part)
                total += score[0] - score[1]
                pro_sum += score[0]
                con_sum += score[1]
            if not cues:  # no stated position: the scorer abstains
                continue
            stance = 1 if total >= STANCE_MIN else -1 if total <= -STANCE_MIN else 0
            if min(pro_sum, con_sum) >= MIXED_RATIO * max(pro_sum, con_sum) > 0:
                stance = 0  # cues on both sides of similar weight: a mixed view
            rows.append({"target": target.id, "stance": stance, "score": round(total, 2),
                         "cue": " ".join(dict.fromkeys(cues)),
                         "evidence": " … ".join(dict.fromkeys(evidence))
                         or clauses[relevant[0]]})
        return rows

    def _score_clause(self, part: str, target: Target, cues: list[str],
                      matches: list[tuple[int, int, str]]) -> tuple[float, float]:
        """(pro, con) weight of one clause's cues for a target (`matches`: the target's cue
        words found in the clause); appends the cues found. Returns () when the clause
        holds no cue."""
        if not matches:
            return ()
        weight = 0.5 if self.hedges.search(part) or self.conditional.search(part) else 1.0
        turn = self.contrast.search(part)
        pro = con = 0.0
        found = False
        for start, _, word in matches:
            sign = target.polarity[word.lower()]
            if not sign:
                continue
            before = part[max(0, start - NEGATION_WINDOW):start]
            negated = bool(self.negators.search(self.asking.sub("", before)))
            value = -sign if negated else sign
            if turn:  # after 但是/不过 comes what the speaker stands by
                value *= 1.5 if start >= turn.end() else 0.5
            found = True
            if value > 0:
                pro += value * weight
            else:
                con -= value * weight
            cues.append(("+" if value > 0 else "−") + word + ("(否定)" if negated else ""))
        return (pro, con) if found else ()


_CLAUSE_END = re.compile(r"(?<=[。！？；!?;\n])")


def _is_question(clause: str) -> bool:
    return clause.rstrip().endswith(("？", "?")) or bool(re.search(r"吗[？?，。]?$", clause))


def split_clauses(text: str) -> list[str]:
    """Clauses at sentence punctuation; unpunctuated ASR text at spaces, merged back into
    pieces of at least 20 characters."""
    if re.search(r"[，。！？；,.!?;]", text):
        pieces = [p.strip() for p in _CLAUSE_END.split(text)]
        return [p for p in pieces if p]
    clauses, current = [], ""
    for phrase in text.split():
        current = f"{current} {phrase}".strip()
        if len(current) >= 20:
            clauses.append(current)
            current = ""
    if current:
        clauses.append(current)
    return clauses


def _general_words(path: Path) -> dict[str, int]:
    """General evaluative words (sentiment.yaml): word -> +1 or -1."""
    doc = load_yaml(path)
    positive = _words(doc.get("positive"), path, "positive")
    negative = _words(doc.get("negative"), path, "negative")
    both = sorted({w.lower() for w in positive} & {w.lower() for w in negative})
    if both:
        raise TranscriptError(path, f"{both[0]!r} is both positive and negative",
                              line=line_of(path, both[0]), fix="keep it in one list only")
    ignore = _words(doc.get("ignore"), path, "ignore", required=False)
    return ({normalise(w).lower(): 1 for w in positive} | {normalise(w).lower(): -1 for w in negative}
            | {normalise(w).lower(): 0 for w in ignore})


def load_stance_cues(path: str | Path | None = None) -> StanceCues:
    """Read and validate a stance cue file (default: the current project's)."""
    path = Path(path) if path else Project.find().codebook_file(STANCES_FILE)
    doc = load_yaml(path)
    targets_doc = _id_section(path, doc.get("targets"), "targets", "stance target")
    beside = path.with_name(SENTIMENT_FILE)  # a codebook may bring its own general words
    general = _general_words(beside if beside.is_file()
                             else default_codebook_dir() / SENTIMENT_FILE)
    targets = []
    for target_id, entry in targets_doc.items():
        zh, en, color = names_and_color(path, target_id, entry, "stance target")
        relevance = _words(entry.get("relevance"), path, f"{target_id}.relevance")
        pro = _words(entry.get("pro"), path, f"{target_id}.pro")
        con = _words(entry.get("con"), path, f"{target_id}.con")
        neutral = {normalise(w).lower() for w in
                   _words(entry.get("neutral"), path, f"{target_id}.neutral", required=False)}
        orientation = entry.get("general", "none")
        if orientation not in ("aligned", "inverted", "none"):
            raise TranscriptError(path, f"{target_id}: general is {orientation!r}",
                                  line=line_of(path, f"{target_id}:"),
                                  fix="write general: aligned, inverted or none")
        both = sorted({normalise(w).lower() for w in pro} & {normalise(w).lower() for w in con})
        if both:
            raise TranscriptError(path, f"{target_id}: cue {both[0]!r} is both pro and con",
                                  line=line_of(path, both[0]), fix="keep it on one side only")
        polarity: dict[str, int] = {}
        if orientation != "none":
            flip = 1 if orientation == "aligned" else -1
            polarity |= {w: sign * flip for w, sign in general.items() if w not in neutral}
        polarity |= {normalise(w).lower(): 1 for w in pro} | {normalise(w).lower(): -1 for w in con}
        subject = _words(entry.get("subject"), path, f"{target_id}.subject", required=False)
        targets.append(Target(target_id, zh, en, color, str(entry.get("question", "")),
                              _word_pattern(relevance, path, f"{target_id}.relevance"),
                              _word_pattern(list(polarity), path, f"{target_id}.cues"), polarity,
                              _word_pattern(subject, path, f"{target_id}.subject"),
                              tuple(relevance), tuple(subject)))
    markers = {key: _word_pattern(_words(doc.get(key), path, key), path, key)
               for key in ("negators", "hedges", "contrast", "conditional", "asking")}
    markers["reported"] = _word_pattern(_words(doc.get("reported"), path, "reported",
                                               required=False), path, "reported")
    return StanceCues(tuple(targets), path=path, **markers)


# --- overrides ---------------------------------------------------------------------------

@dataclass
class Overrides:
    """Analyst decisions from the project's overrides.yaml, resolved to unit ids."""

    stances: dict[tuple[str, str], dict] = field(default_factory=dict)
    topics_add: dict[tuple[str, str], str] = field(default_factory=dict)
    topics_remove: set[tuple[str, str]] = field(default_factory=set)


def load_overrides(corpus: Corpus, path: str | Path | None = None) -> Overrides:
    """Resolve each override's quoted snippet to exactly one analysis unit of its event."""
    path = Path(path) if path else corpus.project.overrides_file
    result = Overrides()
    topic_ids, target_ids = codebook(corpus.root).ids, stance_cues(corpus.root).ids
    if not path.is_file():
        return result
    items = load_yaml(path).get("overrides") or []
    if not isinstance(items, list):
        raise TranscriptError(path, "`overrides` must be a list", line=1,
                              fix="write one `- {event_id: ..., snippet: ..., ...}` per override")
    texts = corpus.units
    for item in items:
        snippet = str(item.get("snippet", "")) if isinstance(item, dict) else ""
        where = line_of(path, snippet) if snippet else None
        if not isinstance(item, dict) or not snippet.strip():
            raise TranscriptError(path, f"override {item!r} has no `snippet`", line=where,
                                  fix="quote a few words of the utterance as `snippet`")
        event = item.get("event_id")
        pool = texts[texts["event_id"] == event]
        if pool.empty:
            raise TranscriptError(path, f"unknown event_id {event!r}", line=where,
                                  fix="use an event_id from the project's events.yaml")
        uid = pool["unit_id"].iloc[one_match(pool["text"].tolist(), snippet, path=path,
                                             line=where, event_id=event)]
        note = str(item.get("note", "")).strip()
        if "target" in item:
            if item["target"] not in target_ids:
                raise TranscriptError(path, f"unknown target {item['target']!r}", line=where,
                                      fix=f"use one of {', '.join(target_ids)}")
            if item.get("stance") not in (-1, 0, 1, None):
                raise TranscriptError(path, f"stance {item.get('stance')!r} is not -1, 0, 1 "
                                      "or null", line=where,
                                      fix="write stance: 1, 0, -1, or null to drop the row")
            result.stances[(uid, item["target"])] = {"stance": item.get("stance"), "note": note,
                                                     "snippet": snippet}
        elif "topic" in item:
            if item["topic"] not in topic_ids:
                raise TranscriptError(path, f"unknown topic {item['topic']!r}", line=where,
                                      fix=f"use one of {', '.join(topic_ids)}")
            key = (uid, item["topic"])
            if item.get("remove"):
                result.topics_remove.add(key)
            else:
                result.topics_add[key] = note or snippet
        else:
            raise TranscriptError(path, "an override needs `target` (with `stance`) or `topic`",
                                  line=where, fix="add target: ... or topic: ...")
    return result


# --- tables ------------------------------------------------------------------------------

def codebook(project: Project | str | Path | None = None) -> Codebook:
    """A project's topic codebook (default: the current project's), rebuilt when its file
    changes."""
    path = Project.of(project).codebook_file(TOPICS_FILE)
    return _codebook(path, files_stamp(path))


def stance_cues(project: Project | str | Path | None = None) -> StanceCues:
    """A project's stance cues, rebuilt when stances.yaml or sentiment.yaml change."""
    project = Project.of(project)
    path = project.codebook_file(STANCES_FILE)
    general = project.codebook_file(SENTIMENT_FILE)
    return _stance_cues(path, files_stamp(path, general))


@lru_cache(maxsize=8)
def _codebook(path: Path, stamp: tuple) -> Codebook:
    return load_codebook(path)


@lru_cache(maxsize=8)
def _stance_cues(path: Path, stamp: tuple) -> StanceCues:
    return load_stance_cues(path)


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


def _select(corpus: Corpus, include_notes: bool, kinds) -> pd.DataFrame:
    """The analysis units coded: speech and questions (corpus.units) by default."""
    if kinds is None and not include_notes:
        return corpus.units
    if kinds is None:
        kinds = SPOKEN + ("note", "meta")
    return build_units(corpus.utterances, kinds=tuple(kinds))


def _prepared_key(include_notes: bool, kinds) -> tuple:
    return ("prepared", include_notes, tuple(kinds) if kinds else None,
            files_stamp(ALIASES_FILE))


def _prepared(corpus: Corpus, include_notes: bool, kinds, jobs: int | None = None
              ) -> list[tuple[str, str, str, str]]:
    """(unit_id, event_id, speaker_id, analysis text) of the units coded, prepared once per
    corpus for both the topic and the stance table."""
    def build() -> list[tuple[str, str, str, str]]:
        items = _unit_items(corpus, include_notes, kinds)
        texts = map_texts(analysis_text, [text for *_, text in items], jobs)
        return [(*item[:3], text) for item, text in zip(items, texts)]
    return _cached(corpus, _prepared_key(include_notes, kinds), build)


def _unit_items(corpus: Corpus, include_notes: bool, kinds) -> list[tuple[str, str, str, str]]:
    """(unit_id, event_id, speaker_id, text) of the units coded."""
    chosen = _select(corpus, include_notes, kinds)
    return list(zip(chosen["unit_id"].tolist(), chosen["event_id"].tolist(),
                    chosen["speaker_id"].tolist(), chosen["text"].tolist()))


def _topic_coder(book: Codebook, prepare: bool, mentions: bool = True):
    """The topic mentions of one (unit_id, event_id, speaker_id, text) (only the discussed
    ones unless `mentions`), each with whether it counts as discussed, and its analysis text when `prepare` asks for it and it differs
    from the text (less to send back from a worker): the per-unit work of `topic_table`,
    run in the pool's processes. Overrides are applied afterwards, to the whole table."""
    order = {t: i for i, t in enumerate(book.ids)}

    def code(item: tuple[str, str, str, str]) -> tuple[str | None, list[tuple]]:
        uid, event, speaker, text = item
        prepared = analysis_text(text) if prepare else text
        rows = [(uid, event, speaker, topic, round(salience, 3), len(words),
                 "、".join(dict.fromkeys(words)), "lexicon", discussed)
                for topic, words, _, salience, discussed in
                sorted(book.assess(prepared), key=lambda found: order[found[0]])
                if discussed or mentions]
        return (prepared if prepare and prepared != text else None), rows

    def code_batch(batch: list[tuple[str, str, str, str]]) -> tuple[pa.Array, pa.RecordBatch]:
        coded = [code(item) for item in batch]
        return (pa.array([changed for changed, _ in coded], pa.string()),
                _record_batch([row for _, part in coded for row in part], _TOPIC_SCHEMA))
    return code_batch


def _record_batch(rows: list[tuple], schema: pa.Schema) -> pa.RecordBatch:
    """Rows as an Arrow batch: it crosses between processes as buffers, at a fraction of
    the cost of pickling the rows."""
    columns = list(zip(*rows)) or [()] * len(schema)
    return pa.RecordBatch.from_arrays([pa.array(c, f.type) for c, f in zip(columns, schema)],
                                      schema=schema)


def _stance_coder(cues: StanceCues, low: set[str]):
    """The lexicon's stance rows of a batch of prepared (unit_id, event_id, speaker_id,
    text): the per-unit work of `stance_table`, run in the pool's processes. Events in `low`
    are not scored. Overrides are applied afterwards, to the whole table."""
    def code(item: tuple[str, str, str, str]) -> list[tuple]:
        uid, event, speaker, text = item
        if event in low:
            return []
        scored = {row["target"]: row for row in cues.score(text)}
        return [(uid, event, speaker, target, scored[target]["stance"], scored[target]["score"],
                 scored[target]["cue"], scored[target]["evidence"], "lexicon")
                for target in cues.ids if target in scored]

    def code_batch(batch: list[tuple[str, str, str, str]]) -> pa.RecordBatch:
        return _record_batch([row for item in batch for row in code(item)], _STANCE_SCHEMA)
    return code_batch


_TOPIC_SCHEMA = pa.schema([
    ("unit_id", pa.string()), ("event_id", pa.string()), ("speaker_id", pa.string()),
    ("topic", pa.string()), ("salience", pa.float64()), ("hits", pa.int64()),
    ("matched", pa.string()), ("source", pa.string()), ("discussed", pa.bool_())])
_STANCE_SCHEMA = pa.schema([
    ("unit_id", pa.string()), ("event_id", pa.string()), ("speaker_id", pa.string()),
    ("target", pa.string()), ("stance", pa.int64()), ("score", pa.float64()),
    ("cue", pa.string()), ("evidence", pa.string()), ("source", pa.string())])


def topic_table(corpus: Corpus, *, include_notes: bool = False, kinds=None,
                overrides: bool | str | Path = True, book: Codebook | None = None,
                mentions: bool = False, jobs: int | None = None) -> pd.DataFrame:
    """One row per (unit, topic) the unit discusses, with its salience and matched words.

    A keyword alone is a mention, not a topic: `mentions=True` returns every (unit, topic)
    with a keyword (the evidence), with `discussed` saying whether it counts. Speech and
    questions by default; `include_notes=True` adds notes and meta. `overrides=False`
    ignores the project's overrides.yaml (a path reads another file). A large corpus is
    coded on `jobs` processes (default: every core); the table is the same.
    """
    if book is None and kinds is None:  # the codebook's codes are kept per corpus
        book = codebook(corpus.root)
        stamp = files_stamp(book.path, book.path.with_name(TOPIC_MODEL_FILE), ALIASES_FILE)
        key = ("topic_lexicon", include_notes, mentions, str(book.path), stamp)
        lexicon = _cached(corpus, key, lambda: _topic_lexicon(corpus, include_notes, None, book,
                                                              jobs, mentions))
        if overrides is True:  # and the table with the project's overrides, until they change
            final = ("topic_table", include_notes, mentions, key,
                     _topic_fixes(_overrides(corpus, True)))
            return _memo(corpus, final, lambda: topic_table(
                corpus, include_notes=include_notes, mentions=mentions, jobs=jobs,
                overrides=corpus.project.overrides_file))
    else:
        book = book or codebook(corpus.root)
        lexicon = _topic_lexicon(corpus, include_notes, kinds, book, jobs, mentions)
    frame = lexicon.with_overrides(_overrides(corpus, overrides))
    return frame if mentions else frame[frame["discussed"].to_numpy()].drop(
        columns="discussed").reset_index(drop=True)


def _topic_lexicon(corpus: Corpus, include_notes: bool, kinds, book: Codebook,
                   jobs: int | None, mentions: bool = True) -> "TopicLexicon":
    """The topics the coded units discuss by the codebook alone (no overrides), and every
    mention with `mentions` (what an added override replaces is then visible too)."""
    key = _prepared_key(include_notes, kinds)
    prepare = key not in corpus.memo
    items = sorted(_unit_items(corpus, include_notes, kinds) if prepare else corpus.memo[key])  # by unit id: the rows come back in the table's order
    coded = map_texts(_topic_coder(book, prepare, mentions), _batches(items, jobs), jobs,
                      units=len(items))
    if prepare:  # the analysis texts, kept for the stance table
        changes = [text for changed, _ in coded for text in changed.to_pylist()]
        corpus.memo[key] = [(uid, event, speaker, text if changed is None else changed)
                            for (uid, event, speaker, text), changed in zip(items, changes)]
    frame = pa.Table.from_batches([rows for _, rows in coded], _TOPIC_SCHEMA).to_pandas()
    return TopicLexicon(frame, {uid: (event, speaker) for uid, event, speaker, _ in items},
                        book.ids)


class TopicLexicon:
    """A codebook's topic mentions of a corpus's units, sorted by unit and topic, with
    integer keys so that the analyst's overrides apply in milliseconds (the explorer writes
    one and shows the new table at once)."""

    def __init__(self, frame: pd.DataFrame, units: dict[str, tuple[str, str]],
                 topics: tuple[str, ...]) -> None:
        self.frame = frame  # coded in unit id order, each unit's topics in codebook order
        self.units = units
        self.topic_index = {t: i for i, t in enumerate(topics)}

    @cached_property
    def rank(self) -> dict[str, int]:
        return {uid: i for i, uid in enumerate(sorted(self.units))}

    @cached_property
    def keys(self) -> np.ndarray:
        """Each row's (unit, topic) as one sortable integer."""
        return self._keys(self.frame["unit_id"].tolist(), self.frame["topic"].tolist())

    def _keys(self, units: list[str], topics: list[str]) -> np.ndarray:
        width = len(self.topic_index) + 1
        return np.array([self.rank[u] * width + self.topic_index[t]
                         for u, t in zip(units, topics)], dtype=np.int64)

    def with_overrides(self, fixes: Overrides) -> pd.DataFrame:
        """The mentions with the analyst's topic overrides: a removed topic no longer
        counts; an added one that does not already count replaces its mention by an
        override row (units not coded are left alone). Sorted by unit and topic."""
        if not fixes.topics_remove and not fixes.topics_add:
            return self.frame.copy()
        discussed = self.frame["discussed"].to_numpy().copy()

        def row_of(uid: str, topic: str) -> int | None:
            if uid not in self.rank:
                return None
            key = self._keys([uid], [topic])[0]
            at = int(np.searchsorted(self.keys, key))
            return at if at < len(self.keys) and self.keys[at] == key else None

        for uid, topic in fixes.topics_remove:
            if (at := row_of(uid, topic)) is not None:
                discussed[at] = False
        keep = np.ones(len(discussed), dtype=bool)
        rows, keys = [], []
        for (uid, topic), note in fixes.topics_add.items():
            if uid not in self.units:
                continue
            at = row_of(uid, topic)
            if at is not None and discussed[at]:
                continue
            if at is not None:
                keep[at] = False
            rows.append((uid, *self.units[uid], topic, 1.0, 0, f"override: {note}",
                         "override", True))
            keys.append(self._keys([uid], [topic])[0])
        frame = self.frame.assign(discussed=discussed)
        frame = frame if keep.all() else frame[keep]
        if not rows:
            return frame.reset_index(drop=True)
        frame = pd.concat([frame, _record_batch(rows, _TOPIC_SCHEMA).to_pandas()],
                          ignore_index=True)
        order = np.argsort(np.concatenate([self.keys[keep], np.array(keys, np.int64)]),
                           kind="stable")
        return frame.iloc[order].reset_index(drop=True)


def stance_table(corpus: Corpus, *, include_notes: bool = False, kinds=None,
                 overrides: bool | str | Path = True, cues: StanceCues | None = None,
                 include_low_fit: bool = False, jobs: int | None = None) -> pd.DataFrame:
    """One row per (unit, target) the unit takes a position on, with stance and evidence
    (the clause that decided it). Events the codebook does not fit (`codebook_fit`) get no
    rows unless `include_low_fit=True`: its cues mean little in a discussion of something
    else. Analyst overrides apply everywhere."""
    shared = cues is None and kinds is None  # the codebook's codes are kept per corpus
    cues = cues or stance_cues(corpus.root)
    low = frozenset() if include_low_fit else frozenset(
        codebook_fit(corpus).query("low_fit")["event_id"])
    prepared = _prepared(corpus, include_notes, kinds, jobs)
    key = ("stance_lexicon", include_notes, str(cues.path), low,
           files_stamp(cues.path, corpus.project.codebook_file(SENTIMENT_FILE), ALIASES_FILE))
    if shared and overrides is True:  # and the table with the project's overrides
        final = ("stance_table", key, files_stamp(corpus.project.overrides_file))
        return _memo(corpus, final, lambda: stance_table(
            corpus, include_notes=include_notes, include_low_fit=include_low_fit, jobs=jobs,
            overrides=corpus.project.overrides_file))
    def build() -> pd.DataFrame:
        coded = map_texts(_stance_coder(cues, low), _batches(prepared, jobs), jobs,
                          units=len(prepared))
        return pa.Table.from_batches(coded, _STANCE_SCHEMA).to_pandas().sort_values(
            ["unit_id", "target"]).reset_index(drop=True)
    lexicon = _cached(corpus, key, build) if shared else build()
    return _with_stance_overrides(lexicon, _overrides(corpus, overrides), prepared)


def _with_stance_overrides(frame: pd.DataFrame, fixes: Overrides,
                           prepared: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """The analyst's stance overrides on the lexicon's stance table (sorted by unit and
    target): an override replaces the unit's row for its target (a null stance removes it),
    in every event. Override rows are put in their place, not the whole table re-sorted."""
    units = {uid: (event, speaker) for uid, event, speaker, _ in prepared}
    fixed = {pair: fix for pair, fix in fixes.stances.items() if pair[0] in units}
    if not fixed:
        return frame.copy()
    keys = (frame["unit_id"] + "\x00" + frame["target"]).to_numpy(dtype=object)
    keep = ~np.isin(keys, [f"{u}\x00{t}" for u, t in fixed])
    added = sorted((f"{uid}\x00{target}", (uid, *units[uid], target, fix["stance"],
                    float(fix["stance"]), f"override: {fix['note']}".strip(), fix["snippet"],
                    "override"))
                   for (uid, target), fix in fixed.items() if fix["stance"] is not None)
    frame = frame[keep] if not keep.all() else frame
    if not added:
        return frame.reset_index(drop=True)
    places = np.searchsorted(keys[keep], np.array([k for k, _ in added], dtype=object))
    frame = pd.concat([frame, _record_batch([row for _, row in added],
                                            _STANCE_SCHEMA).to_pandas()], ignore_index=True)
    order = np.argsort(np.concatenate([np.arange(keep.sum()),
                                       places - 0.5]), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _cached(corpus: Corpus, key: tuple, build):
    """What `build()` gives, built once per corpus and key (the keys hold the data files'
    stamps, so an edited codebook is coded afresh)."""
    if key not in corpus.memo:
        corpus.memo[key] = build()
    return corpus.memo[key]


def _memo(corpus: Corpus, key: tuple, build) -> pd.DataFrame:
    """A table built once per corpus and key (`_cached`); callers get their own copy."""
    return _cached(corpus, key, build).copy()


def _overrides(corpus: Corpus, overrides) -> Overrides:
    """The overrides a table applies (read once per corpus until the file changes)."""
    if overrides is False:
        return Overrides()
    path = corpus.project.overrides_file if overrides is True else Path(overrides)
    return _cached(corpus, _overrides_key(corpus, path), lambda: load_overrides(corpus, path))


def _topic_fixes(fixes: Overrides) -> tuple:
    """The topic part of the overrides, as a key: a stance override leaves the topic tables
    (and the codebook's fit) as they were."""
    return (tuple(sorted(fixes.topics_remove)), tuple(sorted(fixes.topics_add.items())))


def _overrides_key(corpus: Corpus, path: Path) -> tuple:
    return ("overrides", str(path), files_stamp(path, corpus.project.codebook_file(TOPICS_FILE),
                                                corpus.project.codebook_file(STANCES_FILE)))


_OVERRIDES_HEADER = """\
# Analyst overrides of topic and stance codes (see the README, "Overrides"). Each entry
# quotes a snippet of one analysis unit of its event:
#   - {event_id: ..., snippet: "...", topic: <topic id>, remove: false, note: "..."}
#   - {event_id: ..., snippet: "...", target: <target id>, stance: 1 | 0 | -1 | null, note: "..."}
overrides:
"""


def write_override(corpus: Corpus, unit_id: str, *, topic: str | None = None,
                   remove: bool = False, target: str | None = None, stance: int | None = None,
                   note: str = "") -> dict:
    """Append one override for a unit to the project's overrides.yaml: a topic added (or
    removed with `remove=True`), or a target's stance set (None drops the row). The entry
    quotes the shortest snippet of the unit that no other unit of its event contains; the
    new file is read back through `load_overrides` (the path a hand edit takes) before it
    replaces the old one, under the project's lock. Returns the entry written."""
    if (topic is None) == (target is None):
        raise ValueError("give either a topic or a stance target")
    units = corpus.units
    row = units[units["unit_id"] == unit_id]
    if row.empty:
        raise ValueError(f"unknown unit {unit_id!r}")
    event, text = row["event_id"].iloc[0], normalise(row["text"].iloc[0])
    others = [normalise(t) for u, t in units.loc[units["event_id"] == event,
                                                  ["unit_id", "text"]].itertuples(index=False)
              if u != unit_id]
    snippet = next((text[i:i + size] for size in (12, 20, 32, 64, len(text))
                    for i in range(0, max(1, len(text) - size + 1), max(1, size // 2))
                    if text[i:i + size].strip() and not any(text[i:i + size] in o
                                                            for o in others)), text)
    entry = {"event_id": event, "snippet": snippet}
    entry |= {"topic": topic, "remove": bool(remove)} if topic else {"target": target,
                                                                     "stance": stance}
    entry["note"] = note
    project = corpus.project
    path = project.overrides_file
    with project.editing():
        before = path.read_text(encoding="utf-8") if path.is_file() else _OVERRIDES_HEADER
        if not (load_yaml(path).get("overrides") if path.is_file() else None):
            before = re.sub(r"(?m)^overrides:\s*\[\]\s*$", "overrides:", before)
        line = "  - " + json.dumps(entry, ensure_ascii=False)  # JSON is YAML flow style
        after = before.rstrip("\n") + "\n" + line + "\n"
        candidate = path.with_name(f".{path.name}.{os.getpid()}.candidate")
        try:
            atomic_write(candidate, after)
            checked = load_overrides(corpus, candidate)  # a bad entry changes nothing
            os.replace(candidate, path)
        finally:
            candidate.unlink(missing_ok=True)
        corpus.memo[_overrides_key(corpus, path)] = checked  # what the file now says
    return entry


# --- aggregation -------------------------------------------------------------------------

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


LOW_FIT_RATIO = 0.4
"""An event whose codebook hits per 10k characters fall below this share of the other events'
upper quartile is marked low-fit: the codebook was not written for what it discusses.
Measured with the AI codebook: its five example events give ratios 0.50-1.62 (the lowest, an
unpunctuated ASR podcast), with one or three finance episodes added to them; the finance
episodes 0.20-0.29."""


def codebook_fit(corpus: Corpus, *, topics: pd.DataFrame | None = None,
                 low_ratio: float = LOW_FIT_RATIO) -> pd.DataFrame:
    """How well the project's codebook fits each event's text.

    Columns: event_id, n_chars (speech and questions), hits_per_10k (topic keyword hits per
    10,000 characters), topic_share (share of units carrying any topic), fit_ratio
    (hits_per_10k over the upper quartile of the other events': robust when several events
    are off-domain), low_fit (fit_ratio < low_ratio;
    needs at least three events to compare with, else False). Events in corpus order.
    """
    if topics is None:  # the project's own table: kept until its codebook or overrides change
        book = codebook(corpus.root)
        key = ("codebook_fit", low_ratio, str(book.path), files_stamp(
            book.path, book.path.with_name(TOPIC_MODEL_FILE), ALIASES_FILE),
            _topic_fixes(_overrides(corpus, True)))
        return _memo(corpus, key, lambda: codebook_fit(corpus, topics=topic_table(corpus),
                                                       low_ratio=low_ratio))
    spoken = _select(corpus, False, None)
    frame = corpus.events[["event_id"]].copy()
    frame["n_chars"] = frame["event_id"].map(spoken.groupby("event_id")["n_chars"].sum()) \
        .fillna(0).astype("int64")
    hits = topics.groupby("event_id")["hits"].sum()
    frame["hits_per_10k"] = (frame["event_id"].map(hits).fillna(0)
                             / frame["n_chars"].where(frame["n_chars"] > 0) * 10_000).round(1)
    carrying = topics.groupby("event_id")["unit_id"].nunique()
    units = spoken.groupby("event_id").size()
    frame["topic_share"] = (frame["event_id"].map(carrying).fillna(0)
                            / frame["event_id"].map(units)).round(3)
    rates = frame["hits_per_10k"].to_numpy()  # NaN for an event without spoken text
    ratios = []
    for i, rate in enumerate(rates):
        others = [r for j, r in enumerate(rates) if j != i and r == r]
        middle = float(np.quantile(others, 0.75)) if others else 0.0  # linear, as pandas
        ratios.append(round(rate / middle, 3) if middle > 0 and rate == rate else float("nan"))
    frame["fit_ratio"] = ratios
    enough = frame["hits_per_10k"].notna().sum() >= 3
    frame["low_fit"] = (frame["fit_ratio"] < low_ratio) & bool(enough)
    return frame.reset_index(drop=True)


def stance_summary(corpus: Corpus, by: str = "speaker_id", *,
                   stances: pd.DataFrame | None = None, quotes: int = 2,
                   include_low_fit: bool = False, groups=None) -> pd.DataFrame:
    """Mean stance per group and target, the number of units behind it, and the
    strongest evidence quotes (largest |score|, ties by unit order).

    Events the codebook does not fit (`codebook_fit(...).low_fit`) are left out unless
    `include_low_fit=True`: a codebook's stance cues mean little in a discussion of
    something else (a finance podcast scored for AI questions).

    Columns: <by>, target, mean_stance, n_units, n_pro, n_neutral, n_con, evidence.
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
                     "n_pro": int((part["stance"] > 0).sum()),
                     "n_neutral": int((part["stance"] == 0).sum()),
                     "n_con": int((part["stance"] < 0).sum()),
                     "evidence": " ‖ ".join(f"[{u}] {e}" for u, e in
                                            zip(strongest["unit_id"], strongest["evidence"]))})
    return pd.DataFrame(rows, columns=[by, "target", "mean_stance", "n_units", "n_pro",
                                       "n_neutral", "n_con", "evidence"])
