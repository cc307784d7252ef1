"""Who talks how much, with the speakers a model inferred counted by their probabilities.

Counting each utterance for the speaker the attribution model chose when its confidence
passes the threshold drops every unsure stretch out of everyone's share (a guest the model
is unsure about shrinks). Here every inferred utterance is shared out by the model's
posterior (expected characters), and the interval comes from drawing whole speaker
sequences from the model (`analysis.speakers.attribution.sample_speakers`: an unsure
stretch moves as one turn). The interval holds the model's own uncertainty, not its error
(it is not calibrated on labelled lines: `make evaluate` shows how far it is from a reading).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.corpus import Corpus, load_corpus
from analysis.estimates.labels import LEVEL, SEED
from analysis.ingest.pipeline import project_events
from analysis.kinds import SPOKEN
from analysis.speakers.attribution import (_model_of, load_assignments, load_cues,
                                           sample_speakers)


def speaker_time(corpus: Corpus, *, draws: int = 400, level: float = LEVEL,
                 seed: int = SEED) -> pd.DataFrame:
    """Per event and speaker: event_id, speaker_id, chars (expected characters of speech and
    questions), estimate (share of the event's), low, high, inferred (whether a model
    inferred any of it). Events without inferred speakers have exact shares."""
    spoken = corpus.utterances[corpus.utterances["kind"].isin(SPOKEN)]
    events = {e.event_id: e for e in project_events(corpus.project)}
    inferred = [eid for eid in corpus.events["event_id"]
                if events[eid].attribution and events[eid].attribution.get("enabled", True)]
    plain = (load_corpus(corpus.root, attribution=False, assignments=False)
             if inferred else None)
    rng = np.random.default_rng(seed)
    rows = []
    for event_id, part in spoken.groupby("event_id", sort=True):
        total = float(part["n_chars"].sum())
        if event_id not in inferred:
            chars = part.groupby("speaker_id")["n_chars"].sum()
            rows += [{"event_id": event_id, "speaker_id": s, "chars": float(c),
                      "estimate": c / total, "low": c / total, "high": c / total,
                      "inferred": False} for s, c in chars.items()]
            continue
        event = events[event_id]
        utterances = plain.utterances[plain.utterances["event_id"] == event_id]
        records = utterances.to_dict("records")
        assigned = load_assignments(corpus.root, event, records)
        at, model, clamp = _model_of(event, records, assigned, load_cues())
        posterior = model.fit(clamp)
        chars = utterances.iloc[at]["n_chars"].to_numpy(float)
        ids = [f"{event_id}.{p.id}" for p in model.speakers]
        expected = chars @ posterior
        picks = sample_speakers(model, draws, rng)
        sims = np.stack([np.bincount(picks[:, b], chars, len(ids)) for b in range(draws)], axis=1)
        low, high = np.quantile(sims / total, [(1 - level) / 2, (1 + level) / 2], axis=1)
        rows += [{"event_id": event_id, "speaker_id": s, "chars": float(e),
                  "estimate": e / total, "low": min(lo, e / total), "high": max(hi, e / total),
                  "inferred": True}
                 for s, e, lo, hi in zip(ids, expected, low, high)]
    return pd.DataFrame(rows).sort_values(["event_id", "speaker_id"]).reset_index(drop=True)
