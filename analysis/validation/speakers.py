"""How far to trust speaker attribution: the model of one event, accuracy against lines
labelled by a reader, and learning curves (how many labelled lines it takes).

These work on a loaded corpus, so they sit above it; the model itself
(`analysis.speakers.attribution`) sees only one event's rows.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.corpus import load_corpus
from analysis.errors import TranscriptError
from analysis.kinds import SPOKEN
from analysis.ingest.pipeline import project_events
from analysis.project.folder import Project
from analysis.text.lexicons import line_of, load_yaml
from analysis.text.normalise import normalise
from analysis.project.metadata import EventMeta, Participant
from analysis.speakers.attribution import (Attributor, Cues, _model_of, load_assignments,
                                           load_cues)


def event_meta(project: Project, event_id: str) -> EventMeta:
    """One event's metadata entry, by id (an error naming events.yaml when unknown)."""
    events = project_events(project)
    for event in events:
        if event.event_id == event_id:
            return event
    raise TranscriptError(project.events_file, f"no event {event_id!r}",
                          fix=f"use one of: {', '.join(e.event_id for e in events)}")


@dataclass
class EventModel:
    """An unlabelled event ready for attribution: its spoken utterances (one model line
    each), its model, and the analyst's assignments as clamps."""
    event: EventMeta
    spoken: pd.DataFrame
    model: Attributor
    clamp: dict[int, int]

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.model.speakers]


def event_model(root: str | Path | None, event_id: str, *, assignments: bool = True,
                cues: Cues | None = None) -> EventModel:
    """The attribution model of one event of the project at `root`."""
    plain = load_corpus(root, assignments=False, attribution=False)
    event = event_meta(plain.project, event_id)
    if not event.attribution:
        raise TranscriptError(plain.project.events_file,
                              f"{event_id} has no `attribution:` entry: its speakers are "
                              "labelled in the transcript", line=event.line,
                              fix="add attribution: {asks: <id>, answers: <id>} to infer them")
    utterances = plain.utterances[plain.utterances["event_id"] == event_id]
    rows = utterances.to_dict("records")
    assigned = load_assignments(plain.root, event, rows) if assignments else {}
    spoken_at, model, clamp = _model_of(event, rows, assigned, cues or load_cues())
    return EventModel(event, utterances.iloc[spoken_at].reset_index(drop=True), model, clamp)


def evaluate(corpus, labels: Path, *, threshold: float | None = None) -> dict:
    """Accuracy on attributed lines and coverage against a labelled file
    (`line,speaker,text`; `unclear` labels are left out), for the labelled event, without
    the analyst's assignments. `threshold` 0 attributes every utterance."""
    gold = pd.read_csv(labels)
    gold = gold[gold["speaker"] != "unclear"]
    event_id = labels.stem.replace("speaker_labels_", "")
    em = event_model(corpus.root, event_id, assignments=False)
    posterior = em.model.fit()
    threshold = em.model.cues.threshold if threshold is None else threshold
    chosen = [em.ids[b] if posterior[j, b] >= threshold else "unattributed"
              for j, b in enumerate(posterior.argmax(axis=1))]
    by_line = {}
    for row, who in zip(em.spoken.itertuples(), chosen):
        for line in range(row.line_start, row.line_end + 1):
            by_line[line] = who
    predicted = gold["line"].map(by_line)
    attributed = predicted.notna() & (predicted != "unattributed")
    correct = attributed & (predicted == gold["speaker"])
    return {"event_id": event_id, "labelled": int(len(gold)),
            "attributed": int(attributed.sum()),
            "coverage": float(attributed.mean()),
            "accuracy": float(correct.sum() / max(attributed.sum(), 1))}

# --- learning curve ----------------------------------------------------------------------

def line_truth(spoken: pd.DataFrame, labels: Path, ids: list[str]) -> np.ndarray:
    """The speaker index of each model line from a file labelled by reading
    (`line,speaker,text`); -1 where the reader wrote `unclear` or nothing."""
    gold = pd.read_csv(labels)
    by_line = dict(zip(gold["line"], gold["speaker"]))
    return np.array([ids.index(by_line[line]) if by_line.get(line) in ids else -1
                     for line in spoken["line_start"]])

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])")


def stripped(root: str | Path, event_id: str, *, asks: str | None = None,
             cues: Cues | None = None) -> tuple[Attributor, np.ndarray]:
    """A labelled transcript made unlabelled: every turn's text cut into sentences (the
    lines an export without speakers would have), the labels kept aside as the truth.
    `asks` names who mostly asks (a speaker's name or id), as an analyst would configure."""

    corpus = load_corpus(root, assignments=False)
    spoken = corpus.utterances[(corpus.utterances["event_id"] == event_id)
                               & corpus.utterances["kind"].isin(SPOKEN)]
    if spoken.empty:
        raise TranscriptError(corpus.project.events_file, f"{event_id} has no spoken lines",
                              fix="choose a labelled event of this project")
    names = dict(zip(spoken["speaker_id"], spoken["speaker"]))
    order = sorted(names)
    speakers = [Participant(id=sid, name=names[sid]) for sid in order]
    texts, truth = [], []
    for row in spoken.itertuples():
        for sentence in _SENTENCE_END.split(normalise(row.text)):
            if sentence.strip():
                texts.append(sentence.strip())
                truth.append(order.index(row.speaker_id))
    asker = next((sid for sid in order if asks and asks in (sid, names[sid],
                                                              sid.split(".", 1)[-1])), None)
    if asks and asker is None:
        raise TranscriptError(corpus.project.events_file, f"{event_id}: no speaker {asks!r}",
                              fix=f"use one of: {', '.join(names.values())}")
    return Attributor(texts, speakers, {"asks": asker}, cues or load_cues()), np.array(truth)


def learning_curve(model: Attributor, truth: np.ndarray, *, ks=(0, 5, 10, 20, 40, 80),
                   seeds: int = 5, threshold: float | None = None) -> pd.DataFrame:
    """How attribution improves as an analyst labels lines: for each k, k lines labelled at
    random (mean over `seeds` seeds) or by `suggest()` (refitting after each answer) are
    clamped, and the other lines with a known speaker (`truth` >= 0) are scored at the
    confidence threshold and at full coverage. The analyst is simulated by `truth`; lines
    it does not know are skipped, as an analyst would skip them. `ece` is the expected
    calibration error of the confidences (10 bins). Columns: strategy, k, accuracy,
    coverage, accuracy_all, ece."""
    threshold = model.cues.threshold if threshold is None else threshold
    known = np.flatnonzero(truth >= 0)
    unknown = set(np.flatnonzero(truth < 0).tolist())

    def measure(clamp: dict[int, int]) -> tuple[float, ...]:
        posterior = model.fit(clamp)
        best, confidence = posterior.argmax(axis=1), posterior.max(axis=1)
        rest = truth >= 0
        rest[list(clamp)] = False
        confident = rest & (confidence >= threshold)
        right = best == truth
        accuracy = float(right[confident].mean()) if confident.any() else float("nan")
        bins = np.minimum((confidence[rest] * 10).astype(int), 9)
        ece = sum(abs(right[rest][bins == b].mean() - confidence[rest][bins == b].mean())
                  * (bins == b).mean() for b in np.unique(bins))
        return (accuracy, float(confident.sum() / rest.sum()), float(right[rest].mean()),
                float(ece))

    rows = []
    for k in ks:
        k = min(k, len(known))
        runs = []
        for seed in range(seeds):
            picked = np.random.default_rng(seed).choice(known, k, replace=False)
            runs.append(measure({int(i): int(truth[i]) for i in picked}))
        with warnings.catch_warnings():  # no run confident enough: accuracy stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            rows.append(("random", k, *np.nanmean(np.array(runs), axis=0)))
        clamp: dict[int, int] = {}
        while len(clamp) < k:
            line = model.suggest(model.fit(clamp), clamp, skip=unknown)
            if line is None:
                break
            clamp[line] = int(truth[line])
        rows.append(("suggested", k, *measure(clamp)))
    frame = pd.DataFrame(rows, columns=["strategy", "k", "accuracy", "coverage",
                                        "accuracy_all", "ece"])
    return frame.sort_values(["strategy", "k"], kind="stable").round(3).reset_index(drop=True)


def curves(spec: Path, **options) -> pd.DataFrame:
    """The learning curves of every transcript listed in `spec` (attribution_curves.yaml):
    `{event, labels}` for an unlabelled event of the project labelled by reading, or
    `{project, event, strip: true, asks}` for a labelled transcript with its labels
    stripped. Paths are relative to the spec's folder. Column `transcript` first."""

    frames = []
    for number, entry in enumerate(load_yaml(spec).get("curves") or [], 1):
        if not isinstance(entry, dict) or "event" not in entry:
            raise TranscriptError(spec, f"entry {number} needs `event`", line=line_of(spec, "event"),
                                  fix="write - {event: <id>, labels: <file>} or "
                                      "- {project: <folder>, event: <id>, strip: true}")
        root = (spec.parent / entry["project"]).resolve() if entry.get("project") else None
        if entry.get("strip"):
            model, truth = stripped(root, entry["event"], asks=entry.get("asks"))
            name = f"{entry['event']} (labels stripped)"
        else:
            em = event_model(root, entry["event"], assignments=False)
            model, truth = em.model, line_truth(em.spoken, spec.parent / entry["labels"], em.ids)
            name = entry["event"]
        frame = learning_curve(model, truth, **options)
        frame.insert(0, "transcript", name)
        frame.insert(1, "lines", len(truth))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def talk_time_lines(corpus, labels: Path) -> list[str]:
    """Each speaker's share of a labelled event's characters three ways: the reading labels
    (`unclear` lines left out), the count of utterances over the confidence threshold, and
    the posterior estimate with its interval (analysis.estimates.talk_time, what the
    talk-time chart draws)."""
    from analysis.estimates.talk_time import speaker_time

    gold = pd.read_csv(labels)
    gold = gold[gold["speaker"] != "unclear"]
    event_id = labels.stem.replace("speaker_labels_", "")
    chars = gold["text"].astype(str).str.replace(r"\s", "", regex=True).str.len()
    truth = chars.groupby(gold["speaker"]).sum() / chars.sum()
    spoken = corpus.spoken()
    spoken = spoken[spoken["event_id"] == event_id]
    counted = spoken.groupby("speaker_id")["n_chars"].sum() / spoken["n_chars"].sum()
    estimates = speaker_time(corpus)
    estimates = estimates[estimates["event_id"] == event_id].set_index("speaker_id")
    lines = [f"Talk time ({event_id}), share of characters: reading labels | lines over the "
             "confidence threshold (what 01_talk_time drew before) | estimate (posterior "
             "expected characters, as 01_talk_time draws it; 90 % interval from whole speaker "
             "sequences); target: within 8 points of the reading, interval covering it"]
    for speaker, share in truth.sort_index().items():
        sid = f"{event_id}.{speaker}"
        if sid not in estimates.index:
            continue
        row = estimates.loc[sid]
        lines.append(f"  {speaker}: {share:.1%} | {counted.get(sid, 0.0):.1%} | {row['estimate']:.1%} "
                     f"({row['low']:.1%}-{row['high']:.1%})")
    return lines
