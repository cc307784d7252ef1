"""The stance rows a chart shows, against the readers: precision, recall and spurious rate
of the default rows (before any review) per corpus and half, and the review queue answered
from the readers' labels as an analyst would (`make evaluate`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.coding import stance_cues
from analysis.estimates.stances import (STATUSES, default_scores, labelled_stance_rows,
                                        load_stance_model, simulate_review)
from analysis.project.yamlfile import parse as parse_yaml

ANSWERS = 30  # suggestions the simulated analyst answers


def labelled_items(folder, corpus_name: str) -> pd.DataFrame:
    """Labelled units of one corpus of an evaluation folder with their stances and split
    (`gold.yaml` halves; `extra.yaml` units count as tuning)."""
    rows = []
    for name, default_split in (("gold.yaml", None), ("extra.yaml", "tune")):
        path = folder / name
        if not path.is_file():
            continue
        for item in parse_yaml(path.read_text(encoding="utf-8"))["items"]:
            if item.get("corpus", "project") != corpus_name:
                continue
            rows.append({"unit_id": item["unit_id"], "text": item["text"],
                         "split": item.get("split", default_split) or "tune",
                         "stances": dict(item.get("stances") or {})})
    return pd.DataFrame(rows, columns=["unit_id", "text", "split", "stances"])


def scored_rows(items: pd.DataFrame, corpus, model) -> tuple[pd.DataFrame, dict]:
    """The lexicon's rows of labelled units with the model's probability and status (no
    analyst review: confirmed rows would be the readers' own answers), and the readers'
    stances as {(unit_id, target): value}. Rows of events the codebook does not fit are
    dropped, as the stance table drops them."""
    from analysis.coding import codebook_fit

    cues = stance_cues(corpus.root)
    fit = codebook_fit(corpus)
    low = set(fit.loc[fit["low_fit"], "event_id"])
    keep = ~items["unit_id"].str.rsplit(".", n=1).str[0].isin(low)
    rows = labelled_stance_rows(items[keep], cues)
    probability = model.probability(rows) if len(rows) else np.zeros(0)
    speakers = dict(zip(corpus.units["unit_id"], corpus.units["speaker_id"]))
    rows = rows.assign(probability=probability,
                       status=np.where(probability >= model.threshold, STATUSES[1], STATUSES[2]),
                       speaker_id=rows["unit_id"].map(lambda u: speakers.get(u, u)),
                       event_id=rows["unit_id"].str.rsplit(".", n=1).str[0])
    truth = {(u, t): v for u, stances in zip(items["unit_id"], items["stances"])
             for t, v in stances.items()}
    return rows, truth


def _f(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:.2f}"


def stance_lines(corpora: dict, folder) -> list[str]:
    """The stance section of the report: per corpus and half, the default rows' precision,
    recall and spurious rate; the queue's precision at 10 and 30 and the rows after
    ANSWERS simulated answers."""
    lines = ["Stance rows shown by default (confirmed + automatic, before any review) against "
             "the readers; targets: precision >= 0.80 and spurious rate <= 0.15 on the "
             "example's test half and the new transcripts, recall aim >= 0.35."]
    for name, corpus in corpora.items():
        model = load_stance_model(corpus.root)
        items = labelled_items(folder, name)
        if items.empty:
            continue
        if name == next(iter(corpora)):
            lines.append(f"  model: threshold {model.threshold:.3f} for precision "
                         f">= {model.precision:.2f} on the tuning labels ({model.source}; "
                         f"{model.validated_on}); out-of-fold on the tuning rows: "
                         f"{model.tuning}")
        for split in ("tune", "test"):
            part = items[items["split"] == split]
            if part.empty:
                continue
            rows, truth = scored_rows(part, corpus, model)
            s = default_scores(rows, truth)
            lines.append(f"  {name}, {split} half ({len(part)} units, {s['labelled']} labelled "
                         f"pairs): {s['rows']} rows shown, precision {_f(s['precision'])}, "
                         f"recall {_f(s['recall'])}, spurious rate {_f(s['spurious_rate'])}; "
                         f"{int((rows['status'] == 'suggested').sum())} suggested")
    lines.append(f"Review queue, an analyst answering the first {ANSWERS} suggestions from the "
                 "readers' labels (targets on the example: precision at 30 >= 0.60; afterwards "
                 "recall >= 0.60 with precision >= 0.85). p@k: suggestions whose value the "
                 "readers gave; (any): the readers gave the target some value there.")
    for name, corpus in corpora.items():
        model = load_stance_model(corpus.root)
        items = labelled_items(folder, name)
        for label, part in (("test half", items[items["split"] == "test"]),
                            ("all labelled units (includes the tuning ones)", items)):
            if part.empty:
                continue
            rows, truth = scored_rows(part, corpus, model)
            r = simulate_review(rows, truth, model.threshold, ANSWERS)
            lines.append(f"  {name}, {label}: {r['suggested']} suggested; p@10 "
                         f"{_f(r['p_at_10'])} (any {_f(r['p_at_10_any'])}), p@30 "
                         f"{_f(r['p_at_30'])} (any {_f(r['p_at_30_any'])}); after "
                         f"{r['answered']} answers: recall {_f(r['recall_after'])}, precision "
                         f"{_f(r['precision_after'])} ({r['rows_after']} rows; recall no review "
                         f"can pass: {_f(r['ceiling'])})")
    return lines
