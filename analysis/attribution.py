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

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import TranscriptError
from .lexicons import data_path, files_stamp, line_of, load_yaml
from .project import Project
from .metadata import EventMeta
from .normalise import normalise, one_match

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


_WEIGHTS = ("question_for_asker", "statement_for_answerer", "self_reference",
            "self_reference_bare", "named_other", "self_introduction", "long_statement")
_SWITCHES = ("base", "after_question", "backchannel", "answer_opener", "handoff",
             "continuer", "opener_dui", "asker_turns_shorter")
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
    for block, keys, name in ((weights, _WEIGHTS, "weights"), (switch, _SWITCHES, "switch")):
        for key in keys:
            value = block.get(key)
            if not isinstance(value, (int, float)) or (name == "switch" and not 0 < value < 1
                                                       and key != "asker_turns_shorter"):
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
                lists["reply_openers"], lists["self_markers"], lists["self_introductions"])


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


def infer(texts: list[str], speakers: list, roles: dict, cues: Cues,
          clamp: dict[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Posterior probability of each speaker for each utterance (forward-backward), and
    the best speaker's index. `clamp` (utterance index -> speaker index) fixes lines an
    analyst labelled: they are certain, and the turn structure carries them to their
    neighbours."""
    n, k = len(texts), len(speakers)
    if n == 0 or k == 0:
        return np.zeros((n, k)), np.zeros(n, dtype=int)
    scores = np.array([_emissions(t, speakers, roles, cues) for t in texts])
    for i, s in (clamp or {}).items():
        scores[i] = -50.0
        scores[i, s] = 0.0
    change = [_switch_chance(texts[i - 1] if i else None, texts[i], cues) for i in range(n)]
    posterior = _forward_backward(scores, change, speakers, roles, cues)
    return posterior, posterior.argmax(axis=1)


def _forward_backward(scores: np.ndarray, change: list[float], speakers: list, roles: dict,
                      cues: Cues) -> np.ndarray:
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
    backward = np.ones((n, k))
    for i in range(n - 2, -1, -1):
        backward[i] = transition(change[i + 1]) @ (emit[i + 1] * backward[i + 1])
        backward[i] /= backward[i].sum()
    posterior = forward * backward
    return posterior / posterior.sum(axis=1, keepdims=True)


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

def attribute(root: Path, event: EventMeta, rows: list[dict], speakers: dict[str, dict],
              *, enabled: bool = True, assignments: bool = True,
              cues: Cues | None = None) -> None:
    """Set speaker, confidence and method on an event's utterance rows (in place)."""
    from .parsers import REGISTRY

    method = REGISTRY[event.parser].speakers
    for row in rows:
        row["speaker_confidence"] = 1.0 if method != "inferred" else np.nan
        row["speaker_method"] = method
    config = event.attribution
    assigned = load_assignments(root, event, rows) if assignments else {}
    if config and config.get("enabled", True) and enabled:
        cues = cues or load_cues()
        people = {p.id: p for p in event.participants}
        candidates = [people[pid] for pid in config["speakers"]]
        spoken = [i for i, r in enumerate(rows) if r["kind"] in ("speech", "question")]
        posterior, best = infer([normalise(rows[i]["text"]) for i in spoken], candidates,
                                {"asks": config.get("asks"), "answers": config.get("answers")},
                                cues)
        for j, i in enumerate(spoken):
            confidence = round(float(posterior[j, best[j]]), 4) if len(candidates) else 0.0
            rows[i]["speaker_confidence"] = confidence
            if confidence >= cues.threshold:
                _set_speaker(rows[i], speakers[candidates[best[j]].id])
    for i, pid in assigned.items():
        _set_speaker(rows[i], speakers[pid])
        rows[i]["speaker_confidence"] = 1.0
        rows[i]["speaker_method"] = "override"


def _redecide(corpus, event_id: str, utterances: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The event's utterances with speakers decided at another confidence threshold."""
    from .metadata import load_metadata
    from .parsers import PARSERS

    event = next(e for e in load_metadata(corpus.project.events_file,
                                          transcripts_dir=corpus.project.transcripts,
                                          parsers=tuple(PARSERS) + ("auto",))
                 if e.event_id == event_id)
    people = {p.id: p for p in event.participants}
    candidates = [people[pid] for pid in event.attribution["speakers"]]
    spoken = utterances[utterances["kind"].isin(("speech", "question"))]
    posterior, best = infer([normalise(t) for t in spoken["text"]], candidates,
                            event.attribution, load_cues())
    chosen = [f"{event_id}.{candidates[b].id}" if posterior[i, b] >= threshold
              else f"{event_id}.unattributed" for i, b in enumerate(best)]
    return utterances.assign(speaker_id=pd.Series(chosen, index=spoken.index)
                             .reindex(utterances.index).fillna(utterances["speaker_id"]))


def _set_speaker(row: dict, speaker: dict) -> None:
    row["speaker_id"] = speaker["speaker_id"]
    row["speaker"] = speaker["name"]


def evaluate(corpus, labels: Path, *, threshold: float | None = None) -> dict:
    """Accuracy on attributed lines and coverage against a labelled file
    (`line,speaker,text`; `unclear` labels are left out), for the labelled event.
    `threshold` re-decides from the posteriors (0: every utterance attributed)."""
    gold = pd.read_csv(labels)
    gold = gold[gold["speaker"] != "unclear"]
    event = labels.stem.replace("speaker_labels_", "")
    utterances = corpus.utterances[corpus.utterances["event_id"] == event]
    if threshold is not None:
        utterances = _redecide(corpus, event, utterances, threshold)
    by_line = {}
    for row in utterances.itertuples():
        for line in range(row.line_start, row.line_end + 1):
            by_line[line] = row.speaker_id.split(".", 1)[1]
    predicted = gold["line"].map(by_line)
    attributed = predicted.notna() & (predicted != "unattributed")
    correct = attributed & (predicted == gold["speaker"])
    return {"event_id": event, "labelled": int(len(gold)),
            "attributed": int(attributed.sum()),
            "coverage": float(attributed.mean()),
            "accuracy": float(correct.sum() / max(attributed.sum(), 1))}


# --- learning curve ----------------------------------------------------------------------

def learning_curve(corpus, event_id: str, labels: Path, *, ks=(0, 5, 10, 20, 40, 80),
                   seeds: int = 5, threshold: float | None = None) -> pd.DataFrame:
    """How attribution improves as an analyst labels lines: for each k, k labelled lines
    chosen at random (mean over `seeds` seeds) or by suggestion (the least confident line
    next, refitting after each answer) are clamped, and accuracy and coverage are measured
    on every other labelled line, at the confidence threshold and at full coverage.
    The analyst is simulated by the labelled file (`line,speaker,text`). Analyst assignments
    in the project are not used. Columns: strategy, k, accuracy, coverage, accuracy_all."""
    from .corpus import load_corpus
    from .metadata import load_metadata
    from .parsers import PARSERS

    plain = load_corpus(corpus.root, assignments=False)
    event = next(e for e in load_metadata(plain.project.events_file,
                                          transcripts_dir=plain.project.transcripts,
                                          parsers=tuple(PARSERS) + ("auto",))
                 if e.event_id == event_id)
    people = {p.id: p for p in event.participants}
    config = event.attribution
    candidates = [people[pid] for pid in config["speakers"]]
    ids = [p.id for p in candidates]
    cues = load_cues()
    threshold = cues.threshold if threshold is None else threshold
    spoken = plain.utterances[(plain.utterances["event_id"] == event_id)
                              & plain.utterances["kind"].isin(("speech", "question"))]
    texts = [normalise(t) for t in spoken["text"]]
    gold = pd.read_csv(labels)
    by_line = dict(zip(gold["line"], gold["speaker"]))
    truth = np.array([ids.index(by_line[line]) if by_line.get(line) in ids else -1
                      for line in spoken["line_start"]])
    roles = {"asks": config.get("asks"), "answers": config.get("answers")}

    def measure(clamp: dict[int, int]) -> tuple[float, float, float]:
        posterior, best = infer(texts, candidates, roles, cues, clamp)
        rest = np.array([i not in clamp and truth[i] >= 0 for i in range(len(texts))])
        confident = rest & (posterior.max(axis=1) >= threshold)
        accuracy = float((best[confident] == truth[confident]).mean()) if confident.any() \
            else float("nan")
        return accuracy, float(confident.sum() / rest.sum()), \
            float((best[rest] == truth[rest]).mean())

    rows = []
    labelled = [i for i in range(len(texts)) if truth[i] >= 0]
    for k in ks:
        runs = []
        for seed in range(seeds):
            picked = np.random.default_rng(seed).choice(labelled, min(k, len(labelled)),
                                                        replace=False)
            runs.append(measure({int(i): int(truth[i]) for i in picked}))
        mean = np.nanmean(np.array(runs), axis=0)
        rows.append(("random", k, *mean))
        clamp: dict[int, int] = {}
        while len(clamp) < k:
            posterior, _ = infer(texts, candidates, roles, cues, clamp)
            confidence = posterior.max(axis=1)
            confidence[list(clamp)] = 2.0
            confidence[truth < 0] = 2.0
            line = int(confidence.argmin())
            clamp[line] = int(truth[line])
        rows.append(("suggested", k, *measure(clamp)))
    frame = pd.DataFrame(rows, columns=["strategy", "k", "accuracy", "coverage", "accuracy_all"])
    return frame.sort_values(["strategy", "k"]).round(3).reset_index(drop=True)
