"""Accuracy of topic coding and stance scoring on the labelled development set.

A project's development set lives in `<project>/evaluation/` (dev_topics.yaml,
dev_stances.yaml, optionally dev_topics_second.yaml and speaker_labels_<event>.csv); the
example project's was labelled by reading the seeds and lives in tests/data/. Whatever topics
and targets the project's codebook has are scored. Lexicons are scored without analyst
overrides, so the figures measure the codebook alone.

    python -m analysis evaluate          # or: make evaluate
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from .coding import Codebook, StanceCues, analysis_text, codebook, stance_cues
from .corpus import Corpus
from .errors import TranscriptError

DEV_DIR = Path(__file__).resolve().parents[1] / "tests" / "data"
EVALUATION_DIR = "evaluation"


def dev_dir(corpus: Corpus) -> Path:
    """The project's development set folder, else the example project's (tests/data)."""
    own = corpus.root / EVALUATION_DIR
    return own if own.is_dir() else DEV_DIR


def _items(path: Path, corpus: Corpus) -> list[dict]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = corpus.utterances.set_index("utterance_id")["text"]
    items = doc["items"]
    for item in items:
        uid = item["utterance_id"]
        if uid not in texts.index or str(item["snippet"]) not in texts[uid]:
            raise TranscriptError(path, f"{uid}: snippet {item['snippet']!r} not in that "
                                  "utterance", fix="the corpus changed: relabel this item")
    return items


def evaluate_topics(corpus: Corpus, path: Path | None = None,
                    book: Codebook | None = None) -> tuple[dict, pd.DataFrame]:
    """Micro precision/recall/F1 over (utterance, topic) pairs, and a per-topic table."""
    book = book or codebook(corpus.root)
    items = _items(path or DEV_DIR / "dev_topics.yaml", corpus)
    texts = corpus.utterances.set_index("utterance_id")["text"]
    # the codebook's topics, then any the readers used that the codebook lacks (all missed)
    labelled = sorted({t for item in items for t in item["topics"] or []} - set(book.ids))
    ids = list(book.ids) + labelled
    counts = {t: {"tp": 0, "fp": 0, "fn": 0} for t in ids}
    for item in items:
        gold = set(item["topics"] or [])
        predicted = set(book.code(analysis_text(texts[item["utterance_id"]])))
        for topic in ids:
            if topic in gold and topic in predicted:
                counts[topic]["tp"] += 1
            elif topic in predicted:
                counts[topic]["fp"] += 1
            elif topic in gold:
                counts[topic]["fn"] += 1
    table = pd.DataFrame.from_dict(counts, orient="index")
    table["precision"] = table["tp"] / (table["tp"] + table["fp"])
    table["recall"] = table["tp"] / (table["tp"] + table["fn"])
    table["f1"] = 2 * table["tp"] / (2 * table["tp"] + table["fp"] + table["fn"])
    tp, fp, fn = table[["tp", "fp", "fn"]].sum()
    summary = {"items": len(items), "labels": int(tp + fn),
               "precision": tp / (tp + fp), "recall": tp / (tp + fn),
               "micro_f1": 2 * tp / (2 * tp + fp + fn)}
    return summary, table.round(3).rename_axis("topic").reset_index()


def evaluate_stances(corpus: Corpus, path: Path | None = None,
                     cues: StanceCues | None = None) -> tuple[dict, pd.DataFrame]:
    """Macro-F1 over the classes +1, 0, -1 on the pairs the scorer covers, and coverage
    (share of labelled pairs where the scorer finds the target addressed)."""
    cues = cues or stance_cues(corpus.root)
    items = _items(path or DEV_DIR / "dev_stances.yaml", corpus)
    texts = corpus.utterances.set_index("utterance_id")["text"]
    pairs = []
    for item in items:
        scored = {r["target"]: r for r in cues.score(analysis_text(texts[item["utterance_id"]]))}
        row = scored.get(item["target"])
        pairs.append({"utterance_id": item["utterance_id"], "target": item["target"],
                      "gold": int(item["stance"]),
                      "predicted": None if row is None else int(row["stance"]),
                      "cue": None if row is None else row["cue"]})
    frame = pd.DataFrame(pairs)
    covered = frame.dropna(subset=["predicted"])
    f1s = {}
    for label in (1, 0, -1):
        tp = int(((covered["gold"] == label) & (covered["predicted"] == label)).sum())
        fp = int(((covered["gold"] != label) & (covered["predicted"] == label)).sum())
        fn = int(((covered["gold"] == label) & (covered["predicted"] != label)).sum())
        f1s[label] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    per_target = frame.assign(covered=frame["predicted"].notna(),
                              correct=frame["predicted"] == frame["gold"]) \
        .groupby("target").agg(labels=("gold", "size"), covered=("covered", "mean"),
                                accuracy=("correct", "sum"))
    per_target["accuracy"] = per_target["accuracy"] / (per_target["covered"] * per_target["labels"])
    summary = {"labels": len(frame), "coverage": len(covered) / len(frame),
               "macro_f1": sum(f1s.values()) / 3, "accuracy": float((covered["gold"] ==
                                                                    covered["predicted"]).mean()),
               **{f"f1_{'+1' if k == 1 else k}": v for k, v in f1s.items()}}
    order = list(cues.ids) + sorted(set(per_target.index) - set(cues.ids))
    return summary, per_target.reindex(order).round(3).reset_index()


def annotator_agreement(first: Path | None = None, second: Path | None = None) -> float:
    """Micro-F1 of the second annotator's topics against the first's (the ceiling a coder
    can be expected to reach)."""
    def read(path):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        return {i["utterance_id"]: set(i["topics"] or []) for i in doc["items"]}

    a = read(first or DEV_DIR / "dev_topics.yaml")
    b = read(second or DEV_DIR / "dev_topics_second.yaml")
    tp = sum(len(a[u] & b.get(u, set())) for u in a)
    fp = sum(len(b.get(u, set()) - a[u]) for u in a)
    fn = sum(len(a[u] - b.get(u, set())) for u in a)
    return 2 * tp / (2 * tp + fp + fn)


def evaluate_attribution(corpus: Corpus, labels: Path) -> dict:
    """Accuracy and coverage of inferred speakers against lines labelled by reading; the
    corpus is re-read without analyst assignments so they cannot flatter the figures."""
    from .attribution import evaluate, load_cues
    from .corpus import load_corpus

    plain = load_corpus(corpus.root, assignments=False)
    result = evaluate(plain, labels)
    cues = load_cues()
    everything = evaluate(plain, labels, threshold=0.0)
    result["accuracy_all"] = everything["accuracy"]
    result["threshold"] = cues.threshold
    return result


def report(corpus: Corpus) -> str:
    """Both evaluations as text, with the targets."""
    folder = dev_dir(corpus)
    labelled = folder / "dev_topics.yaml"
    known = set(corpus.utterances["utterance_id"])
    if not labelled.is_file() or not {i["utterance_id"] for i in yaml.safe_load(
            labelled.read_text(encoding="utf-8"))["items"]} <= known:
        return (f"No development set for the project {corpus.root}: label utterances by "
                f"reading into {corpus.root / EVALUATION_DIR}/dev_topics.yaml and "
                "dev_stances.yaml (same format as the example's under tests/data/), then run "
                "this again.")
    topics, per_topic = evaluate_topics(corpus, labelled)
    stances, per_target = evaluate_stances(corpus, folder / "dev_stances.yaml")
    second_file = folder / "dev_topics_second.yaml"
    second = evaluate_topics(corpus, second_file)[0] if second_file.is_file() else None
    agreement = annotator_agreement(labelled, second_file) if second else None
    lines = [
        f"Topics: {topics['items']} utterances, {topics['labels']} labels",
        f"  micro precision {topics['precision']:.3f}  recall {topics['recall']:.3f}  "
        f"micro-F1 {topics['micro_f1']:.3f}   (target >= 0.80)",
        (f"  against the second annotator: micro-F1 {second['micro_f1']:.3f}; "
         f"annotators against each other: {agreement:.3f}" if second else
         "  (no second annotator: add dev_topics_second.yaml to measure agreement)"),
        per_topic.to_string(index=False),
        "",
        f"Stances: {stances['labels']} labelled (utterance, target) pairs",
        f"  coverage {stances['coverage']:.3f} (target >= 0.60)  macro-F1 {stances['macro_f1']:.3f} "
        f"(target >= 0.65)  accuracy {stances['accuracy']:.3f}",
        f"  F1 per class: +1 {stances['f1_+1']:.3f}  0 {stances['f1_0']:.3f}  "
        f"-1 {stances['f1_-1']:.3f}",
        per_target.to_string(index=False),
    ]
    for labels in sorted(folder.glob("speaker_labels_*.csv")):
        result = evaluate_attribution(corpus, labels)
        lines += ["", f"Speaker attribution ({result['event_id']}, {result['labelled']} lines "
                  "labelled by reading, `unclear` left out; analyst assignments not applied):",
                  f"  coverage {result['coverage']:.3f} (target >= 0.60)  accuracy on attributed "
                  f"lines {result['accuracy']:.3f} (target >= 0.85)  "
                  f"accuracy if every line were attributed {result['accuracy_all']:.3f}"]
    return "\n".join(lines)
