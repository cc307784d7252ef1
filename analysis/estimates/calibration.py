"""The chance that a careful reader tags a unit with a topic, from the keyword coder's
evidence: a logistic model fitted on units readers labelled (`fit_calibration`), kept as data
beside the project's codebook (`codebook/calibration.yaml`, refitted by
`python -m analysis evaluate --calibrate`).

The file holds the fitted coefficients and `draws`: the coefficients refitted on bootstrap
resamples of the labelled units, so every later share can carry the calibration's own
uncertainty without refitting. A project without its own file uses the package's (fitted on
the example project's labels) when its topic ids are the same; otherwise it is uncalibrated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.coding import codebook
from analysis.errors import TranscriptError
from analysis.estimates.features import FEATURES, design, unit_topic_frame
from analysis.estimates.labels import EVALUATION_DIR, LABEL_FILES, SEED
from analysis.project.folder import Project, atomic_write, default_codebook_dir
from analysis.project.yamlfile import parse as parse_yaml

CALIBRATION_FILE = "calibration.yaml"
REGULARISATION = 0.3  # sklearn's C (inverse L2 strength): chosen by leaving one example event out
DRAWS = 100  # bootstrap refits kept in the file


@dataclass(frozen=True)
class Calibration:
    """A fitted calibration: topic ids, feature names, coefficients and bootstrap draws, and
    where its labels came from (`source`, `units`); `validated_on` says it for a caption."""

    topics: tuple[str, ...]
    features: tuple[str, ...]
    coef: np.ndarray
    draws: np.ndarray
    units: int
    source: str
    validated_on: str = ""
    spread: float = 0.0

    def probability(self, frame: pd.DataFrame, effects: pd.DataFrame | None = None) -> np.ndarray:
        """P(a reader tags the unit with the topic) for each row of `unit_topic_frame`; with
        `effects` (`cell_effects`), each (event, topic) shifted by what its labelled units showed."""
        return _sigmoid(design(frame, list(self.topics)) @ self.coef
                        + _cell_values(frame, effects, "shift", 0.0))

    def probability_draws(self, frame: pd.DataFrame, *, spread: float | None = None,
                          effects: pd.DataFrame | None = None, seed: int = SEED) -> np.ndarray:
        """The same under each bootstrap draw (rows x draws), each draw also shifting every
        (event, topic) by its own amount on the log-odds scale: units of one event are read in
        one context, so their chances move together in a way the features do not see. The
        shift is normal around 0 with sd `spread` (default the fitted one), or, for a cell in
        `effects`, around what its labelled units showed with the sd that leaves."""
        logits = design(frame, list(self.topics)) @ self.draws.T
        spread = self.spread if spread is None else spread
        centre = _cell_values(frame, effects, "shift", 0.0)
        sd = _cell_values(frame, effects, "sd", spread)
        if (sd > 0).any():
            cell = frame.groupby(["event_id", "topic"], sort=True).ngroup().to_numpy()
            noise = np.random.default_rng(seed).normal(0.0, 1.0, (cell.max() + 1, logits.shape[1]))
            logits = logits + centre[:, None] + sd[:, None] * noise[cell]
        else:
            logits = logits + centre[:, None]
        return _sigmoid(logits)

    def cell_effects(self, frame: pd.DataFrame, truth: np.ndarray) -> pd.DataFrame:
        """How far each (event, topic) of `frame`'s rows (units a reader labelled, with their
        answers `truth`) strays from the model, on the log-odds scale: the shift that best
        explains the cell's tags under a normal prior of sd `spread` (a few Newton steps), and
        its posterior sd. Unlabelled units of the event then share the shift: a topic readers
        found more often than its keywords say in the labelled units of a talk is, most likely,
        more present in the rest of that talk too. Indexed by event_id, topic."""
        keys = ["event_id", "topic"]
        if frame.empty or self.spread <= 0:
            return pd.DataFrame(columns=["shift", "sd"], index=pd.MultiIndex.from_tuples([], names=keys))
        eta = design(frame, list(self.topics)) @ self.coef
        cell = frame.groupby(keys, sort=True).ngroup().to_numpy()
        size = cell.max() + 1
        prior = 1.0 / self.spread ** 2
        shift = np.zeros(size)
        for _ in range(8):
            p = _sigmoid(eta + shift[cell])
            gradient = np.bincount(cell, truth - p, size) - prior * shift
            curvature = np.bincount(cell, p * (1 - p), size) + prior
            shift = shift + gradient / curvature
        p = _sigmoid(eta + shift[cell])
        curvature = np.bincount(cell, p * (1 - p), size) + prior
        index = frame[keys].drop_duplicates().sort_values(keys).set_index(keys).index
        return pd.DataFrame({"shift": shift, "sd": 1.0 / np.sqrt(curvature)}, index=index)


def _cell_values(frame: pd.DataFrame, effects: pd.DataFrame | None, column: str,
                 default: float) -> np.ndarray:
    """`effects[column]` for each row's (event, topic), `default` where the cell has none."""
    if effects is None or effects.empty:
        return np.full(len(frame), default, float)
    cells = pd.MultiIndex.from_arrays([frame["event_id"].to_numpy(), frame["topic"].to_numpy()])
    found = effects[column].reindex(cells)
    return found.fillna(default).to_numpy(float)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    if y.min() == y.max():  # a resample with one class: no slope to learn
        return np.zeros(x.shape[1])
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000, tol=1e-8)
    return model.fit(x, y).coef_[0]


def fit_calibration(frame: pd.DataFrame, labels: dict[str, frozenset], topics: list[str], *,
                    draws: int = DRAWS, seed: int = SEED, c: float = REGULARISATION,
                    source: str = "") -> Calibration:
    """Fit on the rows of `frame` (`unit_topic_frame`) whose unit has labels; `draws`
    refits on resamples of the labelled units (whole units: a unit's topics stay together)."""
    labelled = frame[frame["unit_id"].isin(labels)].reset_index(drop=True)
    if labelled.empty:
        raise ValueError("no labelled unit among the corpus's units")
    x = design(labelled, topics)
    y = np.fromiter((t in labels[u] for u, t in zip(labelled["unit_id"], labelled["topic"])),
                    float, len(labelled))
    coef = _fit(x, y, c)
    unit_ids = labelled["unit_id"].unique()
    rows_of = labelled.groupby("unit_id", sort=False).indices
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(draws):
        chosen = rng.choice(len(unit_ids), len(unit_ids), replace=True)
        rows = np.concatenate([rows_of[unit_ids[i]] for i in chosen])
        samples.append(_fit(x[rows], y[rows], c))
    return Calibration(tuple(topics), tuple(FEATURES), coef, np.asarray(samples).reshape(draws, -1),
                       len(unit_ids), source, spread=_spread(labelled, y, _sigmoid(x @ coef)))


def _spread(frame: pd.DataFrame, y: np.ndarray, p: np.ndarray) -> float:
    """How far (event, topic) cells stray from the model together, on the log-odds scale: a
    cell whose tags exceed their expectation by `O - E` over a binomial variance `V` strays by
    about `(O - E) / V`, which varies by `spread^2 + 1 / V`; the method of moments over the
    cells with V >= 1 gives spread^2 (0 when the cells stray no more than chance)."""
    cells = pd.DataFrame({"event": frame["event_id"].to_numpy(), "topic": frame["topic"].to_numpy(),
                          "excess": y - p, "var": p * (1 - p)}).groupby(["event", "topic"]).sum()
    cells = cells[cells["var"] >= 1.0]
    if cells.empty:
        return 0.0
    strays = (cells["excess"] / cells["var"]) ** 2 - 1.0 / cells["var"]
    return round(float(np.sqrt(max(strays.mean(), 0.0))), 4)


def write_calibration(calibration: Calibration, path: Path) -> Path:
    """The calibration as YAML through a temporary file (coefficients to 6 decimals, so a
    refit on the same labels writes the same bytes)."""
    names = [*calibration.features, *(f"topic:{t}" for t in calibration.topics),
             *(f"discussed:{t}" for t in calibration.topics)]
    doc = {"topics": list(calibration.topics), "features": list(calibration.features),
           "units": calibration.units, "source": calibration.source,
           "spread": calibration.spread,
           "coefficients": {n: round(float(v), 6) for n, v in zip(names, calibration.coef)},
           "draws": [[round(float(v), 6) for v in row] for row in calibration.draws]}
    header = ("# Topic calibration (analysis/estimates/calibration.py): P(a careful reader tags "
              "a unit with a topic)\n# from the keyword coder's evidence. Refit with `python -m "
              "analysis evaluate --calibrate`;\n# `draws` are bootstrap refits (whole labelled "
              "units resampled) for the intervals.\n")
    atomic_write(path, header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True,
                                               default_flow_style=None, width=100))
    return path


def read_calibration(path: Path) -> Calibration:
    """A calibration file, checked: its feature names must be this version's."""
    doc = parse_yaml(path.read_text(encoding="utf-8"))
    try:
        topics, features = tuple(doc["topics"]), tuple(doc["features"])
        coef = np.asarray(list(doc["coefficients"].values()), float)
        draws = np.asarray(doc["draws"], float)
        units, source = int(doc["units"]), str(doc.get("source", ""))
        spread = float(doc.get("spread", 0.0))
    except (KeyError, TypeError, ValueError) as err:
        raise TranscriptError(path, f"not a calibration file ({err})",
                              fix="refit it with `python -m analysis evaluate --calibrate`") from None
    width = len(features) + 2 * len(topics)
    if features != FEATURES or coef.shape != (width,) or draws.ndim != 2 or draws.shape[1] != width:
        raise TranscriptError(path, "made for other features than this version uses",
                              fix="refit it with `python -m analysis evaluate --calibrate`")
    return Calibration(topics, features, coef, draws, units, source, spread=spread)


def load_calibration(project: Project | str | Path | None = None, *,
                     labelled: bool | None = None) -> Calibration | None:
    """The project's calibration (`codebook/calibration.yaml`), else the package's when the
    topic ids are the project's, else None; `validated_on` says which. A file counts as
    this project's own only where the project has labelled units (`labelled`, default: an
    `evaluation/` label file, or the example project): a codebook folder copied from
    another project brings that project's calibration, not a validation of this one."""
    project = Project.of(project)
    ids = tuple(codebook(project.root).ids)
    own = project.codebook_dir / CALIBRATION_FILE
    shipped = default_codebook_dir() / CALIBRATION_FILE
    for path, own_file in ((own, True), (shipped, False)):
        if path.is_file():
            found = read_calibration(path)
            if found.topics != ids:
                if own_file:
                    raise TranscriptError(path, "its topics are not the codebook's",
                                          fix="refit it with `python -m analysis evaluate "
                                              "--calibrate`")
                continue
            if labelled is None:
                labelled = project.is_example or any(
                    (project.root / EVALUATION_DIR / name).is_file() for name in LABEL_FILES)
            if own_file and labelled:
                said = f"calibrated on {found.units} labelled units of this project"
            elif own_file:
                said = (f"calibrated elsewhere ({found.units} labelled units), not validated "
                        "on this project")
            else:
                said = "calibrated on the example's labels, not validated on this project"
            return Calibration(found.topics, found.features, found.coef, found.draws,
                               found.units, found.source, said, found.spread)
    return None


def calibrate(corpus, labels: dict[str, frozenset], *, source: str) -> list[Path]:
    """Fit the calibration on a corpus's labelled units and write it beside its codebook; for
    the example project also as the package's default (what projects with the same topic ids
    fall back to)."""
    topics = list(codebook(corpus.root).ids)
    found = fit_calibration(unit_topic_frame(corpus), labels, topics, source=source)
    return write_fitted(corpus, CALIBRATION_FILE, lambda path: write_calibration(found, path))


def write_fitted(corpus, name: str, write) -> list[Path]:
    """Write a fitted model file beside the project's codebook (`write(path)`), and for the
    example project also as the package's default, which other projects fall back to."""
    targets = [corpus.project.codebook_dir / name]
    if corpus.project.is_example:
        targets.append(default_codebook_dir() / name)
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(target)
    return targets


UNCALIBRATED = "uncalibrated keyword shares: label units of this project to calibrate"
