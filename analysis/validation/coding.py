"""How far to trust the numbers: topic and stance coding scored against units labelled by
careful readers, and speaker attribution against lines labelled by reading.

The example's unit evaluation set lives in tests/data/units_eval/ (440 units of the example
project and of transcripts never tuned on, labelled twice blind to the lexicons, split into
a tuning and a test half; its README and gold.yaml say how). A project can bring its own as
`<project>/evaluation/gold.yaml` (same item format; `corpus` may be left out) and
`speaker_labels_<event>.csv`.

    python -m analysis evaluate          # or: make evaluate
    python -m analysis evaluate --fit    # fit the learned salience layer on the tuning half
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from analysis.coding import Codebook, StanceCues, analysis_text, codebook, stance_cues
from analysis.corpus import Corpus
from analysis.errors import TranscriptError
from analysis.project.folder import REPOSITORY
from analysis.project.yamlfile import parse as parse_yaml

EVALUATION_DIR = "evaluation"
DEV_DIR = REPOSITORY / "tests" / "data"


def dev_dir(corpus: Corpus) -> Path:
    """The project's evaluation folder, else the example project's (tests/data)."""
    own = corpus.root / EVALUATION_DIR
    return own if own.is_dir() else DEV_DIR


def evaluate_attribution(corpus: Corpus, labels: Path) -> dict:
    """Accuracy and coverage of inferred speakers against lines labelled by reading; the
    corpus is re-read without analyst assignments so they cannot flatter the figures."""
    from analysis.speakers.attribution import load_cues
    from analysis.validation.speakers import evaluate
    from analysis.corpus import load_corpus

    plain = load_corpus(corpus.root, assignments=False)
    result = evaluate(plain, labels)
    cues = load_cues()
    everything = evaluate(plain, labels, threshold=0.0)
    result["accuracy_all"] = everything["accuracy"]
    result["threshold"] = cues.threshold
    return result


# --- the unit evaluation set ---------------------------------------------------------------

def draw_sample(units: pd.DataFrame, n: int, *, seed: int, floor: int = 10) -> pd.DataFrame:
    """A random sample of `n` analysis units, stratified by event and by unit size: every
    event gets at least `floor` units (or all it has), the rest in proportion to its units;
    within an event, draws spread over its size terciles. Same units and seed, same sample."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sizes = units.groupby("event_id", sort=True).size()
    n = min(n, int(sizes.sum()))
    floor = min(floor, n // max(len(sizes), 1))  # floors never take more than the sample
    quota = {e: min(int(k), floor) for e, k in sizes.items()}
    left = n - sum(quota.values())
    spare = {e: int(k) - quota[e] for e, k in sizes.items()}
    total_spare = sum(spare.values())
    for event in sizes.index:  # proportional shares of what is left, largest remainders last
        quota[event] += int(left * spare[event] / total_spare) if total_spare else 0
    order = sorted(sizes.index, key=lambda e: (-(left * spare[e] / max(total_spare, 1)) % 1, e))
    for event in order:
        if sum(quota.values()) >= n:
            break
        if quota[event] < sizes[event]:
            quota[event] += 1
    picked = []
    for event in sizes.index:
        frame = units[units["event_id"] == event].sort_values("seq")
        tercile = pd.qcut(frame["n_chars"].rank(method="first"), 3, labels=False) \
            if len(frame) >= 3 else pd.Series(0, index=frame.index)
        order_in = []
        # a copy: an empty tercile's index array is read-only, which permutation refuses
        pools = [list(rng.permutation(np.array(frame.index[tercile == t]))) for t in range(3)]
        while any(pools):
            for pool in pools:
                if pool:
                    order_in.append(pool.pop())
        picked.extend(order_in[:quota[event]])
    return units.loc[sorted(picked, key=lambda i: (units.at[i, "event_id"],
                                                  units.at[i, "seq"]))].reset_index(drop=True)


# --- scoring units against a labelled set -------------------------------------------------

UNITS_EVAL = REPOSITORY / "tests" / "data" / "units_eval"
"""The example's unit evaluation set: sample.yaml (the drawn units, their corpus and split),
labels_<reader><batch>.yaml (two independent readers), adjudicated.yaml (decisions where
they disagreed) and gold.yaml (the final labels)."""


def load_gold(folder: Path = UNITS_EVAL) -> pd.DataFrame:
    """The final labels: item, corpus, unit_id, event_id, split, text, topics (set),
    stances (dict target -> -1/0/+1)."""
    doc = parse_yaml((folder / "gold.yaml").read_text(encoding="utf-8"))
    rows = [{"item": i["item"], "corpus": i.get("corpus", "project"), "unit_id": i["unit_id"],
             "event_id": i["unit_id"].rsplit(".", 1)[0], "split": i["split"], "text": i["text"],
             "topics": set(i["topics"] or []), "stances": dict(i["stances"] or {})}
            for i in doc["items"]]
    return pd.DataFrame(rows)


def check_gold(gold: pd.DataFrame, corpora: dict, path: Path) -> None:
    """Every labelled unit's text must still be a run of consecutive spoken utterances of
    its event: a change to a transcript or its parser invalidates labels, and that must fail
    loudly, not score silently. (Units are re-cut when speakers are inferred anew, so the
    labelled text, not the unit id, is what must survive; `unit_id` names where it was
    drawn.)"""
    for name, frame in gold.groupby("corpus"):
        spoken = corpora[name].spoken()
        streams = {event: f" {' '.join(part.sort_values('seq')['text'])} "
                   for event, part in spoken.groupby("event_id")}
        for row in frame.itertuples():
            event = row.unit_id.rsplit(".u", 1)[0]
            if f" {row.text} " not in streams.get(event, ""):
                raise TranscriptError(path, f"{row.item}: the text of unit {row.unit_id} is no "
                                      "longer in its event's utterances",
                                      fix="the transcript or its parser changed: redraw and "
                                          "relabel the evaluation set (see its README)")


def score_topics(gold: pd.DataFrame, predicted: dict, ids: list[str]) -> tuple[dict, pd.DataFrame]:
    """Micro P/R/F1 over (unit, topic) pairs and a per-topic table; `predicted` maps
    unit_id -> set of topics."""
    counts = {t: {"tp": 0, "fp": 0, "fn": 0} for t in ids}
    for row in gold.itertuples():
        found = predicted.get(row.unit_id, set())
        for topic in ids:
            if topic in row.topics and topic in found:
                counts[topic]["tp"] += 1
            elif topic in found:
                counts[topic]["fp"] += 1
            elif topic in row.topics:
                counts[topic]["fn"] += 1
    table = pd.DataFrame.from_dict(counts, orient="index")
    table["precision"] = table["tp"] / (table["tp"] + table["fp"])
    table["recall"] = table["tp"] / (table["tp"] + table["fn"])
    table["f1"] = 2 * table["tp"] / (2 * table["tp"] + table["fp"] + table["fn"])
    tp, fp, fn = (int(table[c].sum()) for c in ("tp", "fp", "fn"))
    summary = {"units": len(gold), "labels": tp + fn,
               "precision": tp / (tp + fp) if tp + fp else 0.0,
               "recall": tp / (tp + fn) if tp + fn else 0.0,
               "micro_f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0}
    return summary, table.round(3).rename_axis("topic").reset_index()


def score_stances(gold: pd.DataFrame, predicted: dict, targets: list[str]) -> tuple[dict, pd.DataFrame]:
    """Stance scores over (unit, target) pairs; `predicted` maps (unit_id, target) -> stance.

    macro_f1: mean F1 of the +1 and -1 classes, where precision counts every predicted row
    of the class (a row where the readers saw no stance counts against it) and recall every
    labelled pair of the class. coverage: share of labelled pairs (any value) that got a
    row. spurious_rate: rows on (unit, target) pairs without a label, over all rows. The
    confusion table crosses labelled and predicted values (`none` for no stance)."""
    pairs = []
    for row in gold.itertuples():
        for target in targets:
            truth = row.stances.get(target)
            guess = predicted.get((row.unit_id, target))
            if truth is not None or guess is not None:
                pairs.append((truth, guess))
    f1 = {}
    for value in (1, -1):
        tp = sum(1 for t, g in pairs if t == value and g == value)
        fp = sum(1 for t, g in pairs if g == value and t != value)
        fn = sum(1 for t, g in pairs if t == value and g != value)
        f1[value] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    labelled = [p for p in pairs if p[0] is not None]
    rows = [p for p in pairs if p[1] is not None]
    summary = {"labelled_pairs": len(labelled), "rows": len(rows),
               "macro_f1": (f1[1] + f1[-1]) / 2, "f1_+1": f1[1], "f1_-1": f1[-1],
               "coverage": (sum(1 for t, g in labelled if g is not None) / len(labelled)
                            if labelled else 0.0),
               "spurious_rate": (sum(1 for t, g in rows if t is None) / len(rows)
                                 if rows else 0.0)}
    names = {1: "+1", 0: "0", -1: "-1", None: "none"}
    confusion = pd.crosstab(pd.Series([names[t] for t, _ in pairs], name="labelled"),
                            pd.Series([names[g] for _, g in pairs], name="predicted"))
    order = ["+1", "0", "-1", "none"]
    confusion = confusion.reindex(index=order, columns=order, fill_value=0)
    return summary, confusion


def reader_agreement(folder: Path = UNITS_EVAL) -> tuple[dict, pd.DataFrame]:
    """Agreement of the two independent readers before adjudication: Cohen's kappa per topic
    (unit carries the topic or not) and Krippendorff's alpha (nominal) over all (unit, topic)
    decisions and over all (unit, target) stance decisions (`none` is a value)."""
    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    def read(prefix: str) -> dict:
        out = {}
        for path in sorted(folder.glob(f"labels_{prefix}*.yaml")):
            for item in parse_yaml(path.read_text(encoding="utf-8"))["items"]:
                out[item["item"]] = item
        return out

    first, second = read("A"), read("B")
    items = sorted(set(first) & set(second))
    topics = sorted({t for r in (first, second) for i in items for t in r[i]["topics"] or []})
    targets = sorted({t for r in (first, second) for i in items for t in r[i]["stances"] or {}})
    rows = []
    for topic in topics:
        a = [topic in (first[i]["topics"] or []) for i in items]
        b = [topic in (second[i]["topics"] or []) for i in items]
        rows.append({"topic": topic, "first": sum(a), "second": sum(b),
                     "kappa": round(float(cohen_kappa_score(a, b)), 3)})
    topic_data = np.array([[int(t in (r[i]["topics"] or [])) for i in items for t in topics]
                           for r in (first, second)])
    stance_data = np.array([[{1: 1, 0: 0, -1: -1}.get((r[i]["stances"] or {}).get(t), 9)
                             for i in items for t in targets] for r in (first, second)])
    summary = {"units": len(items),
               "topic_alpha": float(krippendorff.alpha(reliability_data=topic_data,
                                                       level_of_measurement="nominal")),
               "stance_alpha": float(krippendorff.alpha(reliability_data=stance_data,
                                                        level_of_measurement="nominal")),
               "disagreements": sum(1 for i in items if set(first[i]["topics"] or []) !=
                                    set(second[i]["topics"] or []) or
                                    (first[i]["stances"] or {}) != (second[i]["stances"] or {}))}
    return summary, pd.DataFrame(rows)


def predict(frame: pd.DataFrame, book: Codebook, cues: StanceCues,
            low_fit: set[str] = frozenset()) -> tuple[dict, dict, dict]:
    """What the coder says of labelled units: discussed topics, mentioned topics and stance
    rows, keyed as the score_* functions want. Units of low-fit events get no stance."""
    discussed, mentioned, stances = {}, {}, {}
    for row in frame.itertuples():
        text = analysis_text(row.text)
        assessed = book.assess(text)
        mentioned[row.unit_id] = {t for t, *_ in assessed}
        discussed[row.unit_id] = {t for t, _, _, _, ok in assessed if ok}
        if row.event_id not in low_fit:
            for found in cues.score(text):
                stances[(row.unit_id, found["target"])] = found["stance"]
    return discussed, mentioned, stances


def unit_report(folder: Path = UNITS_EVAL, corpora: dict | None = None) -> str:
    """The unit evaluation as text: reader agreement, then for each corpus and half the
    topic scores (discussed and mere mentions), per-topic precision and recall, and the
    stance scores with their confusion table, beside the targets."""
    from analysis.coding import codebook_fit
    from analysis.corpus import load_corpus

    root = REPOSITORY
    if corpora is None:
        corpora = {"example": load_corpus(root / "seeds"),
                   "new": load_corpus(root / "tests" / "fixtures" / "new_transcripts")}
    gold = load_gold(folder)
    check_gold(gold, corpora, folder / "gold.yaml")
    lines = []
    if any(folder.glob("labels_A*.yaml")) and any(folder.glob("labels_B*.yaml")):
        agreement, kappas = reader_agreement(folder)
        lines += [f"Readers: {agreement['units']} units labelled twice, blind to the lexicons; "
                  f"Krippendorff's alpha {agreement['topic_alpha']:.3f} (topics), "
                  f"{agreement['stance_alpha']:.3f} (stances); {agreement['disagreements']} "
                  "units adjudicated by a third reader.",
                  "Cohen's kappa per topic: " + ", ".join(f"{r.topic} {r.kappa:.2f}"
                                                         for r in kappas.itertuples()), ""]
    for name, corpus in corpora.items():
        book, cues = codebook(corpus.root), stance_cues(corpus.root)
        fit = codebook_fit(corpus)
        low = set(fit.loc[fit["low_fit"], "event_id"])
        title = {"example": "Example corpus", "new": "New transcripts (never tuned on)"}.get(
            name, name)
        for split in ("tune", "test"):
            part = gold[(gold["corpus"] == name) & (gold["split"] == split)]
            if part.empty:
                continue
            discussed, mentioned, stances = predict(part, book, cues, low)
            topic, per_topic = score_topics(part, discussed, list(book.ids))
            mention, _ = score_topics(part, mentioned, list(book.ids))
            stance, confusion = score_stances(part, stances, list(cues.ids))
            lines += [
                f"{title}, {split} half: {len(part)} units",
                f"  topics (discussed): P {topic['precision']:.3f}  R {topic['recall']:.3f}  "
                f"micro-F1 {topic['micro_f1']:.3f}   (target >= 0.80)",
                f"  topics (any keyword mention): P {mention['precision']:.3f}  "
                f"R {mention['recall']:.3f}  micro-F1 {mention['micro_f1']:.3f}",
                f"  stances: macro-F1 (+1/-1) {stance['macro_f1']:.3f} (target >= 0.70)  "
                f"coverage {stance['coverage']:.3f} (>= 0.60)  spurious rate "
                f"{stance['spurious_rate']:.3f} (<= 0.20); {stance['labelled_pairs']} labelled "
                f"pairs, {stance['rows']} rows",
                "  per topic:",
                "    " + per_topic.to_string(index=False).replace("\n", "\n    "),
                "  stance confusion (rows: readers, columns: coder):",
                "    " + confusion.to_string().replace("\n", "\n    "), ""]
    return "\n".join(lines)


def tuning_items(folder: Path = UNITS_EVAL, corpus: str = "example") -> list[tuple[str, set]]:
    """(text, topics) of the units the learned layer may be fitted on: the tuning half of
    gold.yaml and the extra labelled units (extra.yaml), of one corpus only, so the other
    (the new transcripts) stays unseen."""
    gold = load_gold(folder)
    items = [(r.text, r.topics) for r in gold[(gold["split"] == "tune")
                                                & (gold["corpus"] == corpus)].itertuples()]
    extra = folder / "extra.yaml"
    if extra.is_file():
        doc = parse_yaml(extra.read_text(encoding="utf-8"))
        items += [(i["text"], set(i["topics"] or [])) for i in doc["items"]
                  if i.get("corpus", corpus) == corpus]
    return items


def fit(project_root: Path, folder: Path = UNITS_EVAL) -> Path:
    """Fit the learned salience layer on the tuning data and write it beside the project's
    codebook (`codebook/topic_model.yaml`); remove that file to go back to the keyword rule."""
    from analysis.coding import TOPIC_MODEL_FILE
    from analysis.coding.learned import fit_topic_model
    from analysis.project.folder import Project, atomic_write

    project = Project.of(project_root)
    own = project.root / EVALUATION_DIR
    source = own if (own / "gold.yaml").is_file() else folder
    items = tuning_items(source, "project" if source == own else "example")
    doc = fit_topic_model(codebook(project.root), items)
    target = project.codebook_dir / TOPIC_MODEL_FILE
    header = ("# Learned salience layer (analysis/coding/learned.py), fitted by `python -m analysis "
              f"evaluate --fit` on {len(items)} labelled tuning units.\n")
    atomic_write(target, (header + yaml.safe_dump(doc, sort_keys=False)).encode("utf-8"))
    return target
