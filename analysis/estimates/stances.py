"""The chance that a careful reader gives a stance row, and which rows a chart may show.

The lexicon's stance rows (analysis.coding.stances) are candidates: on the example's
labelled units about one in five carries the value readers gave. A logistic model on each
row's evidence features (`FEATURES`: cue strength and kinds, mixed cues, negation, hedges,
first-person markers, the target's subject, clauses skipped as questions or reported
speech, unit length) turns a row into a probability, fitted on units readers labelled and
kept as data beside the project's codebook (`codebook/stance_model.yaml`, refitted by
`python -m analysis evaluate --calibrate`). The file also holds the threshold: the lowest
probability at which the rows kept reach the codebook's `precision` (default 0.80) on
out-of-fold predictions of the tuning labels.

`stance_rows` gives every row a `probability` and a `status`:

    confirmed   an analyst's decision (overrides.yaml): a fact
    automatic   probability at or above the threshold: shown, outlined
    suggested   below it: kept for the review queue, never shown as a finding

`review_queue` orders the suggested rows by how much a decision would change the charts;
`simulate_review` answers it from readers' labels, for `make evaluate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.coding import analysis_text, stance_table
from analysis.coding.stances import STANCE_FEATURES
from analysis.coding.words import verbatim_quote
from analysis.coding.stance_cues import StanceCues
from analysis.corpus import Corpus
from analysis.errors import TranscriptError
from analysis.estimates.calibration import _fit, _sigmoid, write_fitted
from analysis.estimates.labels import EVALUATION_DIR, LABEL_FILES, SEED
from analysis.project.folder import Project, atomic_write, default_codebook_dir
from analysis.project.yamlfile import parse as parse_yaml

STANCE_MODEL_FILE = "stance_model.yaml"
FEATURES = ("strength", "mixed", "own_cues", "general_cues", "negated", "hedged", "opinion",
            "subject", "skipped", "clauses", "n_clauses", "log_chars", "balance", "position")
PRECISION = 0.80  # default precision the automatic rows must reach on the tuning labels
MIN_KEPT = 5  # a threshold must keep at least this many tuning rows to count
REGULARISATION = 0.5  # sklearn's C (inverse L2 strength)
FOLDS = 5
FEW_ROWS = 3  # a (speaker, target) with fewer shown rows is drawn in a table, not a bar
STATUSES = ("confirmed", "automatic", "suggested")


def stance_design(frame: pd.DataFrame) -> np.ndarray:
    """The model's inputs for rows of a stance table: an intercept, then FEATURES."""
    count = {name: np.log1p(frame[name].to_numpy(float)) for name in
             ("own_cues", "general_cues", "negated", "hedged", "opinion", "subject",
              "skipped", "clauses", "n_clauses")}
    columns = [np.ones(len(frame)), frame["score"].abs().to_numpy(float),
               (frame["stance"] == 0).to_numpy(float)]
    columns += [count[name] for name in FEATURES[2:11]]
    columns += [np.log(np.maximum(frame["n_chars"].to_numpy(float), 1.0)),
                frame["balance"].to_numpy(float), frame["position"].to_numpy(float)]
    return np.column_stack(columns)


@dataclass(frozen=True)
class StanceModel:
    """A fitted stance model: coefficients (intercept first), the threshold for automatic
    rows and the precision it was chosen for, what it was fitted on; `validated_on` says it
    for a caption."""

    coef: np.ndarray
    threshold: float
    precision: float
    rows: int
    source: str
    tuning: dict
    validated_on: str = ""

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        """P(a careful reader gives this row's value for its target in its unit)."""
        if frame.empty:
            return np.zeros(0)
        return _sigmoid(stance_design(frame) @ self.coef)


def labelled_stance_rows(items: pd.DataFrame, cues: StanceCues) -> pd.DataFrame:
    """The lexicon's stance rows of labelled units (`items`: unit_id, text, stances as
    {target: value}), with `truth` (the readers' value, None where they gave none) and
    `right` (the row's value is theirs)."""
    rows = []
    for item in items.itertuples():
        for found in cues.score(analysis_text(item.text)):
            truth = item.stances.get(found["target"])
            rows.append({"unit_id": item.unit_id, "target": found["target"],
                         "stance": found["stance"], "score": found["score"],
                         "quote": found["quote"], "truth": truth,
                         "right": truth == found["stance"],
                         **{name: float(found["features"][name]) for name in STANCE_FEATURES}})
    return pd.DataFrame(rows, columns=["unit_id", "target", "stance", "score", "quote", "truth",
                                       "right", *STANCE_FEATURES])


def out_of_fold(rows: pd.DataFrame, folds: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """Each row's probability from a model fitted without the units of its fold (units, not
    rows, are split, so a unit's rows never teach the model about themselves)."""
    x, y = stance_design(rows), rows["right"].to_numpy(bool)
    units = np.array(sorted(set(rows["unit_id"])))
    fold_of = dict(zip(units, np.random.default_rng(seed).permutation(len(units)) % folds))
    fold = rows["unit_id"].map(fold_of).to_numpy()
    found = np.zeros(len(rows))
    for k in range(folds):
        test = fold == k
        if test.any():
            found[test] = _sigmoid(x[test] @ _fit(x[~test], y[~test], REGULARISATION))
    return found


def choose_threshold(probability: np.ndarray, right: np.ndarray, precision: float = PRECISION,
                     min_kept: int = MIN_KEPT) -> float:
    """The lowest probability at which the rows at or above it reach `precision` (and keep
    at least `min_kept`); 1.0 (nothing automatic) when no cut does."""
    order = np.argsort(-probability, kind="stable")
    p, r = probability[order], right[order].astype(float)
    kept = np.arange(1, len(p) + 1)
    running = np.cumsum(r) / kept
    best = 1.0
    for i in range(len(p)):
        last = i == len(p) - 1 or p[i + 1] < p[i]  # ties are kept or dropped together
        if last and kept[i] >= min_kept and running[i] >= precision:
            best = float(p[i])
    return best


def fit_stance_model(rows: pd.DataFrame, *, precision: float = PRECISION,
                     source: str) -> StanceModel:
    """Fit on labelled stance rows (`labelled_stance_rows`), the threshold from out-of-fold
    probabilities so that it is not chosen on the rows it was fitted on."""
    if rows.empty or rows["right"].nunique() < 2:
        raise ValueError("the labelled units give no stance rows both right and wrong")
    coef = _fit(stance_design(rows), rows["right"].to_numpy(bool), REGULARISATION)
    held_out = out_of_fold(rows)
    right = rows["right"].to_numpy(bool)
    threshold = choose_threshold(held_out, right, precision)
    kept = held_out >= threshold
    tuning = {"rows": len(rows), "kept": int(kept.sum()),
              "precision": round(float(right[kept].mean()), 3) if kept.any() else None,
              "recall_of_rows": round(float(right[kept].sum() / max(right.sum(), 1)), 3),
              f"precision_of_top_{MIN_KEPT}": round(float(
                  right[np.argsort(-held_out, kind="stable")[:MIN_KEPT]].mean()), 3)}
    return StanceModel(coef, round(threshold, 4), precision, len(rows), source, tuning)


_HEADER = """\
# Stance model (analysis/estimates/stances.py): P(a careful reader gives a stance row's value)
# from the row's evidence features. Refit with `python -m analysis evaluate --calibrate`.
# `precision` is the share of automatic rows (probability >= `threshold`) that must carry the
# readers' value on the tuning labels (held out fold by fold): raise it to show fewer, surer
# rows; edit it and refit to move the threshold. Rows below the threshold are `suggested`:
# kept for the review queue in the explorer, never shown as findings.
"""


def write_stance_model(model: StanceModel, path: Path) -> Path:
    doc = {"precision": model.precision, "threshold": model.threshold,
           "features": ["intercept", *FEATURES],
           "coefficients": {name: round(float(c), 6)
                            for name, c in zip(["intercept", *FEATURES], model.coef)},
           "rows": model.rows, "source": model.source, "tuning": model.tuning}
    atomic_write(path, (_HEADER + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True,
                                                 width=100)).encode("utf-8"))
    return path


def read_stance_model(path: Path) -> StanceModel:
    """Read and validate a stance model file."""
    doc = parse_yaml(path.read_text(encoding="utf-8"))
    try:
        names = list(doc["features"])
        coef = np.asarray([float(doc["coefficients"][n]) for n in names], float)
        threshold, precision = float(doc["threshold"]), float(doc["precision"])
        rows, source = int(doc["rows"]), str(doc.get("source", ""))
        tuning = dict(doc.get("tuning") or {})
    except (KeyError, TypeError, ValueError) as err:
        raise TranscriptError(path, f"not a stance model file ({err})",
                              fix="refit it with `python -m analysis evaluate --calibrate`") from None
    if names != ["intercept", *FEATURES]:
        raise TranscriptError(path, "made for other features than this version uses",
                              fix="refit it with `python -m analysis evaluate --calibrate`")
    if not (0 < precision <= 1 and 0 <= threshold <= 1):
        raise TranscriptError(path, "precision and threshold must lie between 0 and 1",
                              fix="write e.g. precision: 0.8 and refit")
    return StanceModel(coef, threshold, precision, rows, source, tuning)


def load_stance_model(project: Project | str | Path | None = None) -> StanceModel:
    """The project's stance model (`codebook/stance_model.yaml`), else the package's (fitted
    on the example's labels: its features name no target, so it applies to any codebook);
    `validated_on` says which."""
    project = Project.of(project)
    own = project.codebook_dir / STANCE_MODEL_FILE
    path = own if own.is_file() else default_codebook_dir() / STANCE_MODEL_FILE
    found = read_stance_model(path)
    labelled = project.is_example or any(
        (project.root / EVALUATION_DIR / name).is_file() for name in LABEL_FILES)
    if path == own and labelled:
        said = f"fitted on {found.rows} stance rows of this project's labelled units"
    elif path == own:
        said = f"fitted elsewhere ({found.rows} rows), not validated on this project"
    else:
        said = "fitted on the example's labels, not validated on this project"
    return StanceModel(found.coef, found.threshold, found.precision, found.rows, found.source,
                       found.tuning, said)


def stance_rows(corpus: Corpus, *, table: pd.DataFrame | None = None,
                model: StanceModel | None = None) -> pd.DataFrame:
    """The stance table with `probability` and `status` (confirmed / automatic / suggested,
    STATUSES), and the `quote` of shown rows in the words of the transcript
    (`verbatim_quote`: the table's is cut from the analysis text, where spellings are
    canonical; the review queue maps a suggestion's when it shows it). Confirmed rows are the
    analyst's overrides (probability 1)."""
    table = stance_table(corpus) if table is None else table
    model = load_stance_model(corpus.root) if model is None else model
    probability = model.probability(table)
    confirmed = (table["source"] == "override").to_numpy()
    probability = np.where(confirmed, 1.0, probability).round(4)
    status = np.where(confirmed, "confirmed",
                      np.where(probability >= model.threshold, "automatic", "suggested"))
    texts = dict(zip(corpus.units["unit_id"], corpus.units["text"]))
    said = [verbatim_quote(texts[u], q) if s != "suggested" and u in texts else q
            for u, q, s in zip(table["unit_id"], table["quote"], status)]
    frame = table.assign(quote=said, probability=probability, status=status)
    frame.attrs["stance_model"] = model
    return frame


def shown_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows tables and charts show by default: confirmed and automatic."""
    return rows[rows["status"] != "suggested"]


def review_queue(rows: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The suggested rows in the order an analyst should answer them: those whose decision
    changes the charts most first. A row's priority is its probability relative to the
    threshold (near it: the likeliest to be shown), doubled where its speaker has fewer than
    FEW_ROWS shown rows on the target (a decision there decides whether a bar is drawn at
    all). Ties by unit and target. Adds `priority`."""
    shown = shown_rows(rows).groupby(["speaker_id", "target"]).size()
    queue = rows[rows["status"] == "suggested"]
    if queue.empty:
        return queue.assign(priority=pd.Series(dtype=float))
    have = pd.MultiIndex.from_frame(queue[["speaker_id", "target"]]).map(
        lambda key: shown.get(key, 0))
    scarce = np.where(np.asarray(have) < FEW_ROWS, 2.0, 1.0)
    priority = queue["probability"].to_numpy(float) / max(threshold, 1e-9) * scarce
    return (queue.assign(priority=priority.round(4))
            .sort_values(["priority", "unit_id", "target"], ascending=[False, True, True])
            .reset_index(drop=True))


def simulate_review(rows: pd.DataFrame, truth: dict, threshold: float,
                    answers: int = 30) -> dict:
    """An analyst answering the first `answers` suggestions of the queue from readers' labels
    (`truth`: (unit_id, target) -> value): the value they gave is confirmed (a flip or
    `neutral` where it differs), a suggestion they gave nothing for is rejected. Returns the
    queue's precision at 10 and at 30 (suggestions whose value readers gave; `_any`: readers
    gave the target some value, so an answer made a row) and the recall and precision of
    confirmed plus automatic rows afterwards; `ceiling` is the recall no review can pass
    (labelled pairs the lexicon gives any row for)."""
    queue = review_queue(rows, threshold)
    keys = list(zip(queue["unit_id"], queue["target"]))
    values = queue["stance"].tolist()

    def precision_at(k: int, strict: bool) -> float | None:
        if len(keys) < 1:
            return None
        top = list(zip(keys, values))[:k]
        hits = sum(1 for key, v in top if (truth.get(key) == v if strict
                                          else truth.get(key) is not None))
        return hits / len(top)

    automatic = rows[rows["status"] == "automatic"]
    final = {(u, t): v for u, t, v in zip(automatic["unit_id"], automatic["target"],
                                          automatic["stance"])}
    for key in keys[:answers]:
        if truth.get(key) is not None:
            final[key] = truth[key]
    right = sum(1 for key, v in final.items() if truth.get(key) == v)
    candidates = set(zip(rows["unit_id"], rows["target"]))
    return {"suggested": len(keys), "automatic": len(automatic),
            "ceiling": (sum(1 for key in truth if key in candidates) / len(truth)
                        if truth else math.nan),
            "p_at_10": precision_at(10, True), "p_at_30": precision_at(30, True),
            "p_at_10_any": precision_at(10, False), "p_at_30_any": precision_at(30, False),
            "answered": min(answers, len(keys)), "rows_after": len(final),
            "recall_after": right / len(truth) if truth else math.nan,
            "precision_after": right / len(final) if final else math.nan}


def default_scores(rows: pd.DataFrame, truth: dict) -> dict:
    """Precision, recall and spurious rate of the shown rows (confirmed and automatic) of
    labelled units against readers' labels (`truth`: (unit_id, target) -> value)."""
    shown = shown_rows(rows)
    keys = list(zip(shown["unit_id"], shown["target"], shown["stance"]))
    right = sum(1 for u, t, v in keys if truth.get((u, t)) == v)
    spurious = sum(1 for u, t, _ in keys if truth.get((u, t)) is None)
    return {"rows": len(keys), "right": right, "labelled": len(truth),
            "precision": right / len(keys) if keys else math.nan,
            "recall": right / len(truth) if truth else math.nan,
            "spurious_rate": spurious / len(keys) if keys else math.nan}


def tuning_stance_items(corpus: Corpus) -> pd.DataFrame:
    """Labelled units a stance model may be fitted on: unit_id, text, stances ({target:
    value}). The project's `evaluation/` label files, for the example project its evaluation
    set; units of a `test` split are left out, so the test half stays unseen."""
    from analysis.estimates.shares import EXAMPLE_LABELS

    own = corpus.root / EVALUATION_DIR
    if any((own / name).is_file() for name in LABEL_FILES):
        paths, name = [own / f for f in LABEL_FILES], None
    elif corpus.project.is_example:
        paths, name = [EXAMPLE_LABELS / f for f in LABEL_FILES], "example"
    else:
        paths, name = [], None
    rows = []
    for path in paths:
        if not path.is_file():
            continue
        for item in (parse_yaml(path.read_text(encoding="utf-8")) or {}).get("items") or []:
            if not isinstance(item, dict) or item.get("split") == "test" or "text" not in item:
                continue
            if name is not None and item.get("corpus", name) != name:
                continue
            rows.append({"unit_id": item["unit_id"], "text": item["text"],
                         "stances": dict(item.get("stances") or {})})
    frame = pd.DataFrame(rows, columns=["unit_id", "text", "stances"])
    return frame.drop_duplicates("unit_id", keep="last").reset_index(drop=True)


def fit_project_stance_model(corpus: Corpus, cues: StanceCues) -> list[Path]:
    """Fit the stance model on the project's tuning labels and write it beside its codebook
    (for the example project also as the package's default), keeping the `precision` the
    file already asks for."""
    items = tuning_stance_items(corpus)
    own = corpus.project.codebook_dir / STANCE_MODEL_FILE
    precision = read_stance_model(own).precision if own.is_file() else PRECISION
    source = ("the example project's evaluation set (tuning half and extra units)"
              if corpus.project.is_example else "this project's evaluation/ (no test split)")
    model = fit_stance_model(labelled_stance_rows(items, cues), precision=precision,
                             source=f"{len(items)} labelled units of {source}")
    return write_fitted(corpus, STANCE_MODEL_FILE, lambda path: write_stance_model(model, path))
