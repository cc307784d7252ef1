"""Stance cues: the project's codebook/stances.yaml (targets with their relevance, subject and
cue words; negators, hedges, contrast, conditional, asking and reported markers), with the
general evaluative words of sentiment.yaml, and how one analysis text is scored for each
target (`StanceCues.score`: a stance is stated, not inferred).

Target ids, their order, names and colours all come from those files (their comments
explain the rules): nothing here names a target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from analysis.coding.words import (_id_section, _is_question, _word_pattern, _words, split_clauses,
                                   whole_quote)
from analysis.errors import TranscriptError
from analysis.project.folder import Project, default_codebook_dir
from analysis.text.lexicons import files_stamp, line_of, load_yaml, names_and_color
from analysis.text.normalise import normalise

STANCES_FILE = "stances.yaml"
SENTIMENT_FILE = "sentiment.yaml"

NEGATION_WINDOW = 4
MIXED_RATIO = 0.5  # weaker side / stronger side at or above which a view counts as mixed
STANCE_MIN = 1.0  # net cue weight for a +1 / -1 stance


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
    own: frozenset[str] = frozenset()  # the target's own pro / con cues (not general words)


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
    opinion: re.Pattern | None = None

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
        """Stance rows of one analysis text: target, stance, score, cue, evidence, quote (the
        whole sentence of the strongest evidence clause) and `features` (what the stance
        model, analysis.estimates.stances, reads: cue counts and kinds, negation, hedges,
        first-person markers, the target's subject, clauses skipped, balance, length).

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
            cues, evidence, places, weights = [], [], [], []
            skipped = 0
            for i in relevant:
                part = clauses[i]
                if _is_question(part) or self.conditional.search(part) or (
                        self.reported is not None and self.reported.search(part)):
                    skipped += 1
                    continue
                if i not in found:
                    found[i] = self.cue_scanner.scan(part)
                score = self._score_clause(part, target, cues, found[i].get(slot, ()))
                if not score:
                    continue
                if score[0] != score[1]:
                    evidence.append(part)
                    places.append(i)
                    weights.append(abs(score[0] - score[1]))
                total += score[0] - score[1]
                pro_sum += score[0]
                con_sum += score[1]
            if not cues:  # no stated position: the scorer abstains
                continue
            stance = 1 if total >= STANCE_MIN else -1 if total <= -STANCE_MIN else 0
            if min(pro_sum, con_sum) >= MIXED_RATIO * max(pro_sum, con_sum) > 0:
                stance = 0  # cues on both sides of similar weight: a mixed view
            words = [c.lstrip("+−").removesuffix("(否定)") for c in cues]
            stated = evidence or [clauses[relevant[0]]]
            strongest = max(zip(weights, evidence), key=lambda pair: pair[0])[1] \
                if evidence else stated[0]
            rows.append({"target": target.id, "stance": stance, "score": round(total, 2),
                         "cue": " ".join(dict.fromkeys(cues)),
                         "evidence": " … ".join(dict.fromkeys(evidence))
                         or clauses[relevant[0]],
                         "quote": whole_quote(text, strongest, anchor=next(
                             (w for w in words if w in strongest), "")),
                         "features": {
                             "own_cues": sum(w.lower() in target.own for w in words),
                             "general_cues": sum(w.lower() not in target.own for w in words),
                             "negated": sum(c.endswith("(否定)") for c in cues),
                             "hedged": sum(bool(self.hedges.search(c)) for c in stated),
                             "opinion": sum(bool(self.opinion and self.opinion.search(c))
                                            for c in stated),
                             "subject": sum(bool(target.subject and target.subject.search(c))
                                            for c in stated),
                             "clauses": len(relevant), "skipped": skipped,
                             "balance": round(min(pro_sum, con_sum)
                                              / max(pro_sum, con_sum, 1e-9), 3),
                             "position": places[0] / len(clauses) if places else 1.0,
                             "n_clauses": len(clauses), "n_chars": len(text)}})
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
                              tuple(relevance), tuple(subject),
                              frozenset(normalise(w).lower() for w in pro + con)))
    markers = {key: _word_pattern(_words(doc.get(key), path, key), path, key)
               for key in ("negators", "hedges", "contrast", "conditional", "asking")}
    for key in ("reported", "opinion"):  # optional lists
        markers[key] = _word_pattern(_words(doc.get(key), path, key, required=False), path, key)
    return StanceCues(tuple(targets), path=path, **markers)


def stance_cues(project: Project | str | Path | None = None) -> StanceCues:
    """A project's stance cues, rebuilt when stances.yaml or sentiment.yaml change."""
    project = Project.of(project)
    path = project.codebook_file(STANCES_FILE)
    general = project.codebook_file(SENTIMENT_FILE)
    return _stance_cues(path, files_stamp(path, general))


@lru_cache(maxsize=8)
def _stance_cues(path: Path, stamp: tuple) -> StanceCues:
    return load_stance_cues(path)
