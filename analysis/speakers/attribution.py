"""Speaker attribution for transcripts without speaker labels.

For an event whose metadata has `attribution:` (who mostly asks, who mostly answers, who
may speak), the utterances are read as a hidden Markov model over the candidate speakers:

* emissions: cues in the utterance itself (data/attribution.yaml) — a question sounds like
  the asker, a long statement like the answerer, 我 + a speaker's `self_refs` (metadata)
  points at that speaker, naming someone points away from them, 我是/我叫 + a name at them;
* transitions: the chance that the speaker changes before an utterance — low inside a
  monologue, high after a question, around short acknowledgements (对, 嗯, 是的), at an
  answer opener after a question, or where someone reacts to the other (你刚刚提到…).

Forward-backward gives each utterance a posterior probability per speaker: the most likely
speaker is kept when it reaches the threshold, otherwise the utterance stays
`unattributed` with its (low) confidence. Analyst assignments in
`seeds/attribution/<event_id>.yaml` (line ranges or quoted snippets) win over inference.

Adds to the utterances frame: `speaker_confidence` (0-1) and `speaker_method` (`label`:
the transcript names the speaker; `roster`: resolved from names in the text; `inferred`;
`override`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import TranscriptError
from analysis.text.lexicons import data_path, files_stamp, line_of, load_yaml
from analysis.project.folder import Project
from analysis.project.metadata import EventMeta
from analysis.text.normalise import normalise, one_match
from analysis.kinds import SPOKEN

CUES_FILE = "attribution.yaml"


@dataclass(frozen=True)
class Cues:
    threshold: float
    weights: dict
    switch: dict
    question_endings: tuple[str, ...]
    question_phrases: tuple[str, ...]
    backchannels: frozenset[str]
    answer_openers: tuple[str, ...]
    handoffs: tuple[str, ...]
    continuers: tuple[str, ...]
    reply_openers: tuple[str, ...]
    self_markers: tuple[str, ...]
    self_introductions: tuple[str, ...]
    learning: dict
    suggest: dict


_WEIGHTS = ("question_for_asker", "statement_for_answerer", "self_reference",
            "self_reference_bare", "named_other", "self_introduction", "long_statement")
_SWITCHES = ("base", "after_question", "backchannel", "answer_opener", "handoff",
             "continuer", "opener_dui", "asker_turns_shorter")
_LEARNING = ("wording", "regularisation", "min_labels", "max_log_odds", "shrink")
_SUGGEST = ("window", "candidates")
_LISTS = ("question_endings", "question_phrases", "backchannels", "answer_openers", "handoffs",
          "continuers", "reply_openers", "self_markers", "self_introductions")


@lru_cache(maxsize=4)
def _load_cues(path: Path, stamp: tuple) -> Cues:
    doc = load_yaml(path)
    threshold = doc.get("threshold")
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise TranscriptError(path, f"threshold {threshold!r} must be a number in (0, 1]",
                              line=line_of(path, "threshold"), fix="write threshold: 0.85")
    weights, switch = doc.get("weights") or {}, doc.get("switch") or {}
    learning, suggest = doc.get("learning") or {}, doc.get("suggest") or {}
    for block, keys, name in ((weights, _WEIGHTS, "weights"), (switch, _SWITCHES, "switch"),
                              (learning, _LEARNING, "learning"), (suggest, _SUGGEST, "suggest")):
        for key in keys:
            value = block.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or (
                    name == "switch" and not 0 < value < 1 and key != "asker_turns_shorter") or (
                    name in ("learning", "suggest") and value < 0):
                raise TranscriptError(path, f"{name}.{key} is {value!r}",
                                      line=line_of(path, f"{key}:"),
                                      fix="give a number (switch chances lie between 0 and 1)")
    lists = {}
    for key in _LISTS:
        items = doc.get(key)
        if not isinstance(items, list) or not items or not all(
                isinstance(i, (str, int)) and str(i).strip() for i in items):
            raise TranscriptError(path, f"`{key}` must be a non-empty list of words",
                                  line=line_of(path, f"{key}:"), fix="write [word, word, ...]")
        lists[key] = tuple(normalise(str(i)) for i in items)
    return Cues(float(threshold), dict(weights), dict(switch), lists["question_endings"],
                lists["question_phrases"], frozenset(lists["backchannels"]),
                lists["answer_openers"], lists["handoffs"], lists["continuers"],
                lists["reply_openers"], lists["self_markers"], lists["self_introductions"],
                dict(learning), {key: int(value) for key, value in suggest.items()})


def load_cues(path: str | Path | None = None) -> Cues:
    """The attribution cues (re-read when the file changes)."""
    path = Path(path) if path else data_path(CUES_FILE)
    return _load_cues(path, files_stamp(path))


# --- features ----------------------------------------------------------------------------

_PUNCT = re.compile(r"[，。！？；、,.!?;:：\s]+")


def _bare(text: str) -> str:
    return _PUNCT.sub("", text)


def is_backchannel(text: str, cues: Cues) -> bool:
    """A short acknowledgement: 对, 嗯嗯, 是的，对 ..."""
    pieces = [p for p in _PUNCT.split(text) if p]
    return bool(pieces) and len(_bare(text)) <= 6 and all(p in cues.backchannels for p in pieces)


def is_question(text: str, cues: Cues) -> bool:
    stripped = text.rstrip(" 。.，,")
    return stripped.endswith(cues.question_endings) or any(p in text
                                                           for p in cues.question_phrases)


def _emissions(text: str, speakers: list, roles: dict, cues: Cues) -> np.ndarray:
    """Log-score per candidate speaker for one utterance."""
    w = cues.weights
    scores = np.zeros(len(speakers))
    ids = [p.id for p in speakers]
    asker, answerer = roles.get("asks"), roles.get("answers")
    if is_question(text, cues):
        if asker in ids:
            scores[ids.index(asker)] += w["question_for_asker"]
    elif len(_bare(text)) >= w["long_statement"] and answerer in ids:
        scores[ids.index(answerer)] += w["statement_for_answerer"]
    first_person = any(m in text for m in cues.self_markers)
    for i, person in enumerate(speakers):
        for ref in person.self_refs:
            if ref in text:
                scores[i] += w["self_reference"] if first_person else w["self_reference_bare"]
        for name in (person.name, *person.aliases):
            if not name or name not in text:
                continue
            if any(f"{intro}{name}" in text for intro in cues.self_introductions):
                scores[i] += w["self_introduction"]
            else:
                scores[:] += w["named_other"]
                scores[i] -= w["named_other"]
    return scores


def _switch_chance(previous: str | None, text: str, cues: Cues) -> float:
    s = cues.switch
    if previous is None:
        return s["base"]
    chance = s["base"]
    asked = is_question(previous, cues)
    if asked:
        chance = max(chance, s["after_question"])
    if is_backchannel(text, cues) or is_backchannel(previous, cues):
        chance = max(chance, s["backchannel"])
    if asked and text.startswith(cues.answer_openers):
        chance = max(chance, s["answer_opener"])
    if text.startswith(cues.reply_openers):
        chance = max(chance, s["opener_dui"])
    if any(h in text for h in cues.handoffs):
        chance = max(chance, s["handoff"])
    if text.startswith(cues.continuers) and not asked:
        chance = min(chance, s["continuer"])
    return chance


class Attributor:
    """One event's attribution model: the general cues of `attribution.yaml`, plus what the
    analyst's labelled lines teach about this episode (each speaker's wording), read
    through the turn structure of a hidden Markov model.

    `fit(clamp)` returns the posterior probability of each speaker for each line; `clamp`
    (line index -> speaker index) fixes the lines an analyst labelled. `suggest()` names the
    line whose answer is expected to remove the most uncertainty."""

    def __init__(self, texts: list[str], speakers: list, roles: dict, cues: Cues) -> None:
        self.texts, self.speakers, self.roles, self.cues = list(texts), list(speakers), roles, cues
        n, k = len(self.texts), len(self.speakers)
        self.cue_scores = (np.array([_emissions(t, self.speakers, roles, cues) for t in texts])
                           if n and k else np.zeros((n, k)))
        self.change = np.array([_switch_chance(texts[i - 1] if i else None, texts[i], cues)
                                for i in range(n)])
        self.scores = self.cue_scores  # with the last fit's wording and clamps

    @cached_property
    def features(self):
        """Character 1-3-grams, word 1-2-grams, line length and question form of each line."""
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        from analysis.text.tokenise import tokenize

        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        words = TfidfVectorizer(analyzer=str.split, sublinear_tf=True)
        tokens = [" ".join(tokenize(t)) for t in self.texts]
        bigrams = [" ".join(f"{a}_{b}" for a, b in zip(t.split(), t.split()[1:]))
                   for t in tokens]
        style = np.array([[min(len(_bare(t)), 60) / 60, float(is_question(t, self.cues))]
                          for t in self.texts])
        blocks = [chars.fit_transform(self.texts), csr_matrix(style)]
        for docs in (tokens, bigrams):
            if any(d.strip() for d in docs):
                blocks.append(words.fit_transform(docs))
        return hstack(blocks).tocsr()

    def fit(self, clamp: dict[int, int] | None = None) -> np.ndarray:
        clamp = clamp or {}
        n, k = len(self.texts), len(self.speakers)
        if n == 0 or k == 0:
            return np.zeros((n, k))
        scores = self.cue_scores + self._wording(clamp)
        for i, s in clamp.items():
            _clamp(scores, i, s)
        self.scores = scores
        return _forward_backward(scores, self.change, self.speakers, self.roles, self.cues)

    def _wording(self, clamp: dict[int, int]) -> np.ndarray:
        """Log-odds per speaker from a logistic regression on the labelled lines' wording;
        zero until at least two speakers have `min_labels` labelled lines."""

        learning = self.cues.learning
        out = np.zeros((len(self.texts), len(self.speakers)))
        counts = pd.Series(list(clamp.values()), dtype=int).value_counts()
        learnt = sorted(int(s) for s, c in counts.items() if c >= learning["min_labels"])
        if len(learnt) < 2 or not learning["wording"]:
            return out
        lines = np.array(sorted(i for i, s in clamp.items() if s in learnt))
        labels = np.array([clamp[i] for i in lines])
        log_odds = self._log_odds(lines, labels, self.features)
        scale = self._calibration(lines, labels) * len(lines) / (len(lines) + learning["shrink"])
        bound = learning["max_log_odds"] / 2
        out[:, learnt] = learning["wording"] * scale * np.clip(log_odds, -bound, bound)
        return out

    def _log_odds(self, lines: np.ndarray, labels: np.ndarray, rows) -> np.ndarray:
        """Centred log-probabilities of each learnt speaker (sorted ids) for `rows`."""
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=self.cues.learning["regularisation"], max_iter=2000,
                                   class_weight="balanced")
        train = self.features[lines]
        used = np.unique(train.indices)  # features absent from the labelled lines weigh 0
        model.fit(train[:, used], labels)
        log_odds = model.predict_log_proba(rows[:, used])
        return log_odds - log_odds.mean(axis=1, keepdims=True)

    def _calibration(self, lines: np.ndarray, labels: np.ndarray) -> float:
        """How far the wording can be trusted with these labels: the factor on its log-odds
        that best predicts held-out labelled lines (between 0 and 1). Cross-validation runs
        over the analyst's labels only, and holds out whole stretches of consecutive labelled
        lines: lines of one passage share their topic, so they would flatter the wording.
        Speakers labelled in one stretch each give 0: nothing shows the wording carries
        over to other turns."""
        classes = np.unique(labels)
        stretch = np.cumsum(np.diff(lines, prepend=lines[0] - 2) > 1) - 1
        folds = int(min(5, stretch.max() + 1))
        if folds < 2:
            return 0.0
        held = np.zeros((len(lines), len(classes)))
        for f in range(folds):
            test = stretch % folds == f
            if len(np.unique(labels[~test])) < len(classes):
                return 0.0
            held[test] = self._log_odds(lines[~test], labels[~test], self.features[lines[test]])
        bound = self.cues.learning["max_log_odds"] / 2
        held = np.clip(held, -bound, bound)
        truth = np.searchsorted(classes, labels)
        best, best_loss = 0.0, np.inf
        for scale in np.linspace(0, 1, 21):
            logits = scale * held
            logits -= logits.max(axis=1, keepdims=True)
            loss = -(logits[np.arange(len(truth)), truth]
                     - np.log(np.exp(logits).sum(axis=1))).mean()
            if loss < best_loss - 1e-12:
                best, best_loss = float(scale), loss
        return best

    def suggest(self, posterior: np.ndarray, clamp: dict[int, int],
                skip: set[int] | frozenset[int] = frozenset()) -> int | None:
        """The line to label next: among the lines in the most uncertain stretches, the one
        whose label is expected to lower the summed entropy of the posteriors within
        `window` lines most (each possible answer weighted by its current probability).
        `fit()` must have run with the same `clamp`. None when every line is labelled or
        skipped."""
        n = len(posterior)
        free = np.ones(n, dtype=bool)
        free[list(clamp) + list(skip)] = False
        if not free.any():
            return None
        window, many = self.cues.suggest["window"], self.cues.suggest["candidates"]
        entropy = _entropy(posterior)
        stretch = np.convolve(entropy, np.ones(min(21, n)), "same")
        stretch[~free] = -np.inf
        best, best_gain = None, -np.inf
        for i in np.argsort(-stretch, kind="stable")[:many]:
            if not free[i]:
                continue
            lo, hi = max(0, i - window), min(n, i + window + 1)
            expected = 0.0
            for s in np.flatnonzero(posterior[i] > 1e-3):
                scores = _clamp(self.scores[lo:hi].copy(), i - lo, s)
                after = _forward_backward(scores, self.change[lo:hi], self.speakers,
                                          self.roles, self.cues)
                expected += posterior[i, s] * _entropy(after).sum()
            gain = entropy[lo:hi].sum() - expected
            if gain > best_gain + 1e-9:
                best, best_gain = int(i), gain
        return best


def _clamp(scores: np.ndarray, line: int, speaker: int) -> np.ndarray:
    """Make a line certainly the speaker's (an analyst's label)."""
    scores[line] = -50.0
    scores[line, speaker] = 0.0
    return scores


def _entropy(posterior: np.ndarray) -> np.ndarray:
    p = np.clip(posterior, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1)


def infer(texts: list[str], speakers: list, roles: dict, cues: Cues,
          clamp: dict[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Posterior probability of each speaker for each utterance, and the best speaker's
    index (`Attributor` with the analyst's clamped lines)."""
    posterior = Attributor(texts, speakers, roles, cues).fit(clamp)
    return posterior, posterior.argmax(axis=1) if len(posterior) else np.zeros(0, dtype=int)


def _chain(scores: np.ndarray, change, speakers: list, roles: dict, cues: Cues):
    """The hidden Markov model's pieces: emission weights, the transition matrix before each
    line (a function of the line), and the normalised forward pass."""
    n, k = scores.shape
    emit = np.exp(scores - scores.max(axis=1, keepdims=True))
    prior = np.full(k, 1 / k)
    ids = [p.id for p in speakers]
    # the asker's turns are shorter: leaving the asker is likelier than leaving the answerer
    leave = np.ones(k)
    if roles.get("asks") in ids:
        leave[ids.index(roles["asks"])] = cues.switch["asker_turns_shorter"]

    def transition(p: float) -> np.ndarray:
        if k == 1:
            return np.ones((1, 1))
        out = np.minimum(p * leave, 0.95)
        matrix = np.repeat((out / (k - 1))[:, None], k, axis=1)
        np.fill_diagonal(matrix, 1 - out)
        return matrix

    forward = np.zeros((n, k))
    forward[0] = prior * emit[0]
    forward[0] /= forward[0].sum()
    for i in range(1, n):
        forward[i] = (forward[i - 1] @ transition(change[i])) * emit[i]
        forward[i] /= forward[i].sum()
    return emit, transition, forward


def _forward_backward(scores: np.ndarray, change, speakers: list, roles: dict,
                      cues: Cues) -> np.ndarray:
    n, k = scores.shape
    emit, transition, forward = _chain(scores, change, speakers, roles, cues)
    backward = np.ones((n, k))
    for i in range(n - 2, -1, -1):
        backward[i] = transition(change[i + 1]) @ (emit[i + 1] * backward[i + 1])
        backward[i] /= backward[i].sum()
    posterior = forward * backward
    return posterior / posterior.sum(axis=1, keepdims=True)


def sample_speakers(model: "Attributor", draws: int, rng: np.random.Generator) -> np.ndarray:
    """Whole speaker sequences drawn from the model's last fit (lines x draws of speaker
    indices), by forward filtering and backward sampling: unlike drawing each line from its
    own posterior, a stretch the model is unsure of moves to another speaker as one turn, as
    a misread turn does."""
    scores = model.scores
    n, k = scores.shape
    if n == 0 or k == 0:
        return np.zeros((n, draws), int)
    _, transition, forward = _chain(scores, model.change, model.speakers, model.roles, model.cues)
    paths = np.zeros((n, draws), int)
    cumulative = forward[-1].cumsum() / forward[-1].sum()
    paths[-1] = np.minimum((rng.random(draws)[:, None] > cumulative[None, :]).sum(axis=1), k - 1)
    for i in range(n - 2, -1, -1):
        weights = forward[i][None, :] * transition(model.change[i + 1])[:, paths[i + 1]].T
        cumulative = weights.cumsum(axis=1) / weights.sum(axis=1, keepdims=True)
        paths[i] = np.minimum((rng.random(draws)[:, None] > cumulative).sum(axis=1), k - 1)
    return paths


# --- analyst assignments -----------------------------------------------------------------

def load_assignments(root: Path, event: EventMeta, rows: list[dict]) -> dict[int, str]:
    """`seeds/attribution/<event_id>.yaml`: row index -> participant id. Entries are
    `{lines: "12-40", speaker: id}` or `{snippet: "...", speaker: id}`; unknown speakers,
    snippets that match no or several utterances, lines outside the file and overlapping
    entries are errors naming this file's line."""
    path = Project(root).attribution_dir / f"{event.event_id}.yaml"
    if not path.is_file():
        return {}
    items = load_yaml(path).get("assign") or []
    if not isinstance(items, list):
        raise TranscriptError(path, "`assign` must be a list", line=1,
                              fix="write one `- {lines: 1-4, speaker: id}` per entry")
    ids = {p.id for p in event.participants}
    last_line = max((r["line_end"] for r in rows), default=0)
    assigned: dict[int, str] = {}
    owner: dict[int, int] = {}
    for number, item in enumerate(items, 1):
        key = str(item.get("snippet") or item.get("lines") or "") if isinstance(item, dict) else ""
        where = line_of(path, key) if key else None
        if not isinstance(item, dict) or item.get("speaker") not in ids:
            who = item.get("speaker") if isinstance(item, dict) else item
            raise TranscriptError(path, f"entry {number}: speaker {who!r} is not a participant "
                                  f"of {event.event_id}", line=where,
                                  fix=f"use one of: {', '.join(sorted(ids))}")
        if "lines" in item:
            match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", str(item["lines"]))
            if not match:
                raise TranscriptError(path, f"lines {item['lines']!r} is not a range",
                                      line=where, fix='write lines: "12-40" or lines: 12')
            first, last = int(match.group(1)), int(match.group(2) or match.group(1))
            if first > last or last > last_line or first < 1:
                raise TranscriptError(path, f"lines {first}-{last} lie outside 1-{last_line}",
                                      line=where, fix="use line numbers of the transcript")
            hits = [i for i, r in enumerate(rows)
                    if r["line_start"] >= first and r["line_end"] <= last]
        elif item.get("snippet"):
            hits = [one_match([r["text"] for r in rows], str(item["snippet"]), path=path,
                              line=where, event_id=event.event_id)]
        else:
            raise TranscriptError(path, f"entry {number} needs `lines` or `snippet`",
                                  line=where, fix="add lines: 12-40 or snippet: \"...\"")
        for i in hits:
            if i in owner:
                raise TranscriptError(path, f"entry {number} overlaps entry {owner[i]} "
                                      f"(utterance {rows[i]['utterance_id']})", line=where,
                                      fix="make the ranges and snippets disjoint")
            owner[i] = number
            assigned[i] = item["speaker"]
    return assigned

# --- applying ----------------------------------------------------------------------------

def _roles(config: dict) -> dict:
    return {"asks": config.get("asks"), "answers": config.get("answers")}


def _model_of(event: EventMeta, rows: list[dict], assigned: dict[int, str],
              cues: Cues) -> tuple[list[int], Attributor, dict[int, int]]:
    """An event's model over its spoken rows: their positions in `rows`, the model, and
    the analyst's assignments among them as clamps (line -> speaker index)."""
    people = {p.id: p for p in event.participants}
    ids = list(event.attribution["speakers"])
    spoken = [i for i, r in enumerate(rows) if r["kind"] in SPOKEN]
    clamp = {j: ids.index(assigned[i]) for j, i in enumerate(spoken) if assigned.get(i) in ids}
    model = Attributor([normalise(rows[i]["text"]) for i in spoken],
                       [people[pid] for pid in ids], _roles(event.attribution), cues)
    return spoken, model, clamp


def attribute(root: Path, event: EventMeta, rows: list[dict], speakers: dict[str, dict],
              *, method: str = "inferred", enabled: bool = True, assignments: bool = True,
              cues: Cues | None = None) -> None:
    """Set speaker, confidence and method on an event's utterance rows (in place). The
    analyst's assignments are clamped in the model (and teach it the speakers' wording);
    they keep `speaker_method = override`. `method` is how the event's parser names
    speakers (label, roster or inferred)."""
    for row in rows:
        row["speaker_confidence"] = 1.0 if method != "inferred" else np.nan
        row["speaker_method"] = method
    config = event.attribution
    assigned = load_assignments(root, event, rows) if assignments else {}
    if config and config.get("enabled", True) and enabled:
        cues = cues or load_cues()
        spoken, model, clamp = _model_of(event, rows, assigned, cues)
        posterior = model.fit(clamp)
        candidates = model.speakers
        for j, i in enumerate(spoken):
            best = int(posterior[j].argmax()) if len(candidates) else 0
            confidence = round(float(posterior[j, best]), 4) if len(candidates) else 0.0
            rows[i]["speaker_confidence"] = confidence
            if confidence >= cues.threshold:
                _set_speaker(rows[i], speakers[candidates[best].id])
    for i, pid in assigned.items():
        _set_speaker(rows[i], speakers[pid])
        rows[i]["speaker_confidence"] = 1.0
        rows[i]["speaker_method"] = "override"


def _set_speaker(row: dict, speaker: dict) -> None:
    row["speaker_id"] = speaker["speaker_id"]
    row["speaker"] = speaker["name"]
