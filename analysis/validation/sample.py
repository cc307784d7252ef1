"""A validation sample any project can label: `python -m analysis validate draw N` draws units
to label, `python -m analysis validate import FILE.csv` brings in the labels made elsewhere.

The draw gives every topic the keyword coder finds some units first (rarest topics first, so
a rare topic is not missed), then fills the rest stratified by event and unit size; it
is reproducible from its seed and never draws a unit twice across draws: the drawn units are
kept in `<project>/evaluation/sample.yaml`. Labels go to `<project>/evaluation/labels.yaml`
in the format of tests/data/units_eval/gold.yaml, which the calibration (`evaluate
--calibrate`) and the evaluation read.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.coding import codebook, stance_cues, topic_table
from analysis.corpus import Corpus
from analysis.errors import TranscriptError
from analysis.estimates.labels import EVALUATION_DIR, SEED, agreed_topics
from analysis.project.folder import Project, atomic_write
from analysis.project.yamlfile import parse as parse_yaml
from analysis.validation.coding import draw_sample

SAMPLE_FILE = "sample.yaml"
LABELS_FILE = "labels.yaml"
_HEADER = {SAMPLE_FILE: "# Units drawn for labelling (python -m analysis validate draw N); "
                        "label them in labels.yaml.\n",
           LABELS_FILE: "# Labelled units (python -m analysis validate import FILE.csv): "
                        "topics by codebook id, stances target: -1/0/1, who labelled.\n"}


def _plain(value):
    """The strict loader's mappings (which remember their lines) as plain values to write."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _items(path: Path) -> list[dict]:
    """The `items:` of a sample or labels file, checked (one-line errors naming the file)."""
    if not path.is_file():
        return []
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise TranscriptError(path, f"not valid YAML ({getattr(err, 'problem', err)})",
                              line=mark.line + 1 if mark else None,
                              fix="fix the file by hand, or move it away and draw or import "
                                  "again") from None
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) and "unit_id" in i
                                              for i in items):
        raise TranscriptError(path, "needs `items:`, a list of entries with a unit_id",
                              fix="fix the file by hand, or move it away and draw or import "
                                  "again")
    return _plain(items)


def _write(path: Path, items: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump({"items": items}, allow_unicode=True, sort_keys=False, width=100)
    atomic_write(path, _HEADER[path.name] + body)
    return path


def draw_validation(corpus: Corpus, n: int, *, seed: int = SEED) -> pd.DataFrame:
    """N more units to label (`choose_units`), appended to sample.yaml; returns them
    (unit_id, event_id, text, draw)."""
    folder = corpus.root / EVALUATION_DIR
    if n < 1:
        raise TranscriptError(folder / SAMPLE_FILE, f"cannot draw {n} units",
                              fix="give how many units to draw, 1 or more: validate draw 60")
    drawn = _items(folder / SAMPLE_FILE)
    taken = {item["unit_id"] for item in drawn}
    if len(taken & set(corpus.units["unit_id"])) >= len(corpus.units):
        raise TranscriptError(folder / SAMPLE_FILE, "every unit has been drawn already",
                              fix="label the drawn units; there is nothing left to draw")
    draw = 1 + max((int(item.get("draw", 0)) for item in drawn), default=0)
    chosen = choose_units(corpus, n, seed=seed + draw, taken=taken)
    units = corpus.units.set_index("unit_id")
    items = [{"item": f"s{len(drawn) + i + 1:04d}", "unit_id": str(uid),
              "event_id": str(units.loc[uid, "event_id"]), "draw": draw,
              "text": str(units.loc[uid, "text"])} for i, uid in enumerate(chosen)]
    _write(folder / SAMPLE_FILE, drawn + items)
    return pd.DataFrame(items)


def choose_units(corpus: Corpus, n: int, *, seed: int, taken: set[str] = frozenset()
                 ) -> list[str]:
    """N unit ids not in `taken`, sorted: topics first (rarest first, up to N / (2 x topics)
    units each of those the keyword coder codes with it), then stratified by event and size."""
    units = corpus.units[~corpus.units["unit_id"].isin(taken)].sort_values("unit_id")
    n = min(n, len(units))
    rng = np.random.default_rng(seed)
    topics = topic_table(corpus)
    topics = topics[topics["unit_id"].isin(set(units["unit_id"]))]
    ids = list(codebook(corpus.root).ids)
    counts = topics.groupby("topic")["unit_id"].nunique().reindex(ids, fill_value=0)
    each = max(1, n // (2 * max(len(ids), 1)))
    chosen: list[str] = []
    for topic in sorted(ids, key=lambda t: (counts[t], ids.index(t))):
        pool = sorted(set(topics.loc[topics["topic"] == topic, "unit_id"]) - set(chosen))
        if pool and len(chosen) < n:
            take = min(each, len(pool), n - len(chosen))
            chosen += list(rng.choice(pool, take, replace=False))
    rest = units[~units["unit_id"].isin(chosen)]
    if len(chosen) < n and len(rest):
        chosen += list(draw_sample(rest, n - len(chosen), seed=seed, floor=1)["unit_id"])
    return sorted(str(u) for u in chosen)


def drawn_items(root: Path) -> list[dict]:
    """The units drawn for labelling (sample.yaml), in the order they were drawn."""
    return _items(Path(root) / EVALUATION_DIR / SAMPLE_FILE)


def labelled_items(root: Path) -> list[dict]:
    """The labelled units (labels.yaml)."""
    return _items(Path(root) / EVALUATION_DIR / LABELS_FILE)


def record_label(root: Path, unit_id: str, text: str, topics: list[str], stances: dict,
                 labeller: str) -> Path:
    """One unit's label by one labeller into labels.yaml (through a temporary file, under the
    project's lock, so two labellers saving at once both land), replacing that labeller's
    earlier label of the unit."""
    target = Path(root) / EVALUATION_DIR / LABELS_FILE
    with Project(root).editing():
        kept = [item for item in _items(target)
                if (item["unit_id"], item.get("labeller")) != (unit_id, labeller)]
        return _write(target, kept + [{"unit_id": unit_id, "labeller": labeller,
                                       "topics": sorted(topics), "stances": dict(stances),
                                       "text": text}])


def remove_label(root: Path, unit_id: str, labeller: str) -> Path:
    """Take a labeller's label of a unit back (undo)."""
    target = Path(root) / EVALUATION_DIR / LABELS_FILE
    with Project(root).editing():
        return _write(target, [item for item in _items(target)
                               if (item["unit_id"], item.get("labeller")) != (unit_id, labeller)])


def _split(value: str) -> list[str]:
    for mark in ("；", ";", "、", "，", ",", "|"):
        value = value.replace(mark, " ")
    return value.split()


def import_labels(corpus: Corpus, path: Path) -> Path:
    """Labels from a CSV (columns unit_id, topics, stances, labeller; topics by id separated
    by spaces, commas or semicolons; stances as `target:+1 target:-1`) into labels.yaml:
    every unit id must be the corpus's and every id the codebook's, else an error naming the
    CSV's line; a unit labelled again by the same labeller replaces the earlier row."""
    ids, targets = set(codebook(corpus.root).ids), set(stance_cues(corpus.root).ids)
    texts = corpus.units.set_index("unit_id")["text"]
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
            rows = [(reader.line_num, row) for row in reader]
    except FileNotFoundError:
        raise TranscriptError(path, "no such file", fix="give the path of the CSV") from None
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise TranscriptError(path, f"cannot read the labels ({err})",
                              fix="save the file as UTF-8 CSV") from None
    needed = {"unit_id", "topics", "labeller"}
    if missing := needed - set(reader.fieldnames):
        raise TranscriptError(path, f"needs the columns {', '.join(sorted(missing))} "
                              "(stances optional)", line=1, fix="add the missing columns")
    if not rows:
        raise TranscriptError(path, "no labels below the header", line=2,
                              fix="one row per labelled unit")
    new = {}
    for line, row in rows:
        unit = (row.get("unit_id") or "").strip()
        if unit not in texts.index:
            raise TranscriptError(path, f"unknown unit {unit!r}", line=line,
                                  fix="use unit ids from evaluation/sample.yaml")
        topics = _split(row.get("topics") or "")
        if unknown := sorted(set(topics) - ids):
            raise TranscriptError(path, f"unknown topic id(s) {', '.join(unknown)}", line=line,
                                  fix=f"use ids of the codebook: {', '.join(sorted(ids))}")
        stances = {}
        for pair in _split(row.get("stances") or ""):
            target, _, value = pair.partition(":")
            if target not in targets or value.strip() not in ("-1", "0", "1", "+1"):
                raise TranscriptError(path, f"bad stance {pair!r}", line=line,
                                      fix=f"write target:+1, target:-1 or target:0 with targets "
                                          f"{', '.join(sorted(targets))}")
            stances[target] = int(value)
        labeller = (row.get("labeller") or "").strip()
        if not labeller:
            raise TranscriptError(path, "no labeller", line=line, fix="say who labelled the unit")
        new[(unit, labeller)] = {"unit_id": unit, "labeller": labeller, "topics": sorted(topics),
                                 "stances": stances, "text": str(texts[unit])}  # last row wins
    target = corpus.root / EVALUATION_DIR / LABELS_FILE
    with corpus.project.editing():
        kept = [item for item in _items(target)
                if (item["unit_id"], item.get("labeller")) not in new]
        return _write(target, kept + list(new.values()))


def labels_report(corpus: Corpus) -> list[str]:
    """What `make evaluate` says of a project's own labels (evaluation/labels.yaml): the
    keyword coder's unit-level precision, recall and F1 per topic against them, and where two
    people labelled the same units, their agreement (Cohen's kappa per topic, Krippendorff's
    alpha) and the units they disagree on."""
    import krippendorff
    from sklearn.metrics import cohen_kappa_score

    from analysis.coding import codebook_fit
    from analysis.validation.coding import predict, score_topics

    items = _items(corpus.root / EVALUATION_DIR / LABELS_FILE)
    if not items:
        return []
    ids = list(codebook(corpus.root).ids)
    by_unit: dict[str, list[dict]] = {}
    for item in items:
        by_unit.setdefault(item["unit_id"], []).append(item)
    units = corpus.units.set_index("unit_id")
    gone = sorted(u for u in by_unit if u not in units.index)
    first = pd.DataFrame([{"unit_id": u, "event_id": units.loc[u, "event_id"],
                           "text": rows[0]["text"],
                           "topics": agreed_topics([set(r["topics"] or []) for r in rows])}
                          for u, rows in sorted(by_unit.items()) if u in units.index])
    fit = codebook_fit(corpus)
    low = set(fit.loc[fit["low_fit"], "event_id"])
    discussed, _, _ = predict(first, codebook(corpus.root), stance_cues(corpus.root), low)
    summary, table = score_topics(first, discussed, ids)
    lines = [f"This project's labels ({len(items)} rows, {len(first)} units, "
             f"{len({i.get('labeller') for i in items})} labeller(s)"
             + (f"; {len(gone)} units no longer in the corpus left out" if gone else "")
             + "): keyword coding against the topics more than half the labellers gave: "
             f"P {summary['precision']:.3f}  R {summary['recall']:.3f}  "
             f"micro-F1 {summary['micro_f1']:.3f}",
             "  per topic:", "    " + table.to_string(index=False).replace("\n", "\n    ")]
    people = pd.Series([i.get("labeller") for i in items]).value_counts()
    pair = sorted(people.index[:2]) if len(people) >= 2 else []
    answers = {(i["unit_id"], i.get("labeller")): i for i in items}
    twice = {u: [answers[(u, pair[0])], answers[(u, pair[1])]] for u in by_unit
             if pair and (u, pair[0]) in answers and (u, pair[1]) in answers}
    if twice:
        pairs = sorted(twice)
        kappas = []
        for topic in ids:
            a = [topic in (twice[u][0]["topics"] or []) for u in pairs]
            b = [topic in (twice[u][1]["topics"] or []) for u in pairs]
            if any(a) or any(b):
                kappa = cohen_kappa_score(a, b) if len(set(a + b)) > 1 else 1.0
                kappas.append(f"{topic} {kappa:.2f}")
        data = np.array([[int(t in (twice[u][k]["topics"] or [])) for u in pairs for t in ids]
                         for k in (0, 1)])
        alpha = (krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
                 if len(np.unique(data)) > 1 else 1.0)
        differ = [u for u in pairs if set(twice[u][0]["topics"] or []) !=
                  set(twice[u][1]["topics"] or [])]
        lines += [f"  {pair[0]} and {pair[1]} both labelled {len(pairs)} units: Krippendorff's "
                  f"alpha {alpha:.3f}; "
                  "Cohen's kappa per topic: " + ", ".join(kappas),
                  f"  they disagree on {len(differ)} units: " + ", ".join(differ[:20])
                  + (f" (+{len(differ) - 20} more)" if len(differ) > 20 else "")]
    return lines
