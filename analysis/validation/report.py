"""`make evaluate`: how far to trust every number, in one report: units (topics, stances)
against the readers, the chart cells against the readers' shares, speaker attribution and
talk time against reading labels, and a project's own labels.

It sits on top of the other validation modules, which know nothing of each other's output.
"""

from __future__ import annotations

import pandas as pd

from analysis.corpus import Corpus, load_corpus
from analysis.estimates.calibration import fit_calibration, load_calibration
from analysis.estimates.features import unit_topic_frame
from analysis.estimates.labels import LABEL_FILES, SEED, read_labelled_units, unit_labels
from analysis.estimates.shares import project_labels
from analysis.project.folder import REPOSITORY
from analysis.validation.coding import (EVALUATION_DIR, UNITS_EVAL, dev_dir, evaluate_attribution,
                                        unit_report)
from analysis.validation.sample import choose_units, labels_report
from analysis.validation.shares import chart_report, halving_lines
from analysis.validation.speakers import talk_time_lines

DRAWN = 60  # units an analyst labels in a new project (`validate draw 60`)


def report(corpus: Corpus) -> str:
    """The evaluation as text: units (topics, stances) and speaker attribution, with targets."""
    own = corpus.root / EVALUATION_DIR
    if (own / "gold.yaml").is_file():
        lines = [unit_report(own, {"project": corpus})]
    else:
        lines = ["No unit evaluation set in this project (evaluation/gold.yaml): the example "
                 "project's, scored with this project's codebook where its corpora are used.",
                 unit_report()]
    lines += ["", *stance_section(corpus)]
    lines += ["", *chart_section(corpus)]
    for labels in sorted(dev_dir(corpus).glob("speaker_labels_*.csv")):
        result = evaluate_attribution(corpus, labels)
        lines += ["", f"Speaker attribution ({result['event_id']}, {result['labelled']} lines "
                  "labelled by reading, `unclear` left out; analyst assignments not applied):",
                  f"  coverage {result['coverage']:.3f} (target >= 0.60)  accuracy on attributed "
                  f"lines {result['accuracy']:.3f} (target >= 0.85)  "
                  f"accuracy if every line were attributed {result['accuracy_all']:.3f}"]
        lines += talk_time_lines(corpus, labels)
    lines += ["", *labels_report(corpus)]
    return "\n".join(lines)


def stance_section(corpus: Corpus) -> list[str]:
    """Stance rows against the readers: this project's evaluation set, else the example's
    (the example project and the new transcripts)."""
    from analysis.validation.stances import stance_lines

    own = corpus.root / EVALUATION_DIR
    if (own / "gold.yaml").is_file():
        return stance_lines({"project": corpus}, own)
    new = load_corpus(REPOSITORY / "tests" / "fixtures" / "new_transcripts")
    example = corpus if corpus.project.is_example else load_corpus(REPOSITORY / "seeds")
    return stance_lines({"example": example, "new": new}, UNITS_EVAL)


def chart_section(corpus: Corpus) -> list[str]:
    """Chart numbers against the readers: this project's labelled units; for the example
    project, its own (cross-fitted, and each event left out) and the new transcripts' (under
    the example's calibration; with 60 units drawn by `validate draw` and answered from the
    readers' labels, as an analyst would; and cross-fitted on their own labels)."""
    corpora = {"This project, cross-fitted": (corpus, project_labels(corpus), None, False)}
    if corpus.project.is_example:
        new = load_corpus(REPOSITORY / "tests" / "fixtures" / "new_transcripts")
        labelled = read_labelled_units(*(UNITS_EVAL / name for name in LABEL_FILES), corpus="new")
        labels = unit_labels(new, labelled)
        own = corpora["This project, cross-fitted"][:2]
        # the first `validate draw 60` an analyst would make, among the units readers labelled
        drawn = set(choose_units(new, DRAWN, seed=SEED + 1,
                                 taken=set(new.units["unit_id"]) - set(labels)))
        both = unit_topic_frame(corpus), unit_topic_frame(new)
        calibration = fit_calibration(pd.concat(both, ignore_index=True),
                                      {**own[1], **{u: labels[u] for u in drawn}},
                                      list(both[0]["topic"].unique()))
        corpora = {"Example corpus, cross-fitted": own + (None, False),
                   "Example corpus, each event left out of its own fit": own + (None, True),
                   "New transcripts under the example's calibration (none of their labels used)":
                       (new, labels, load_calibration(corpus.project), False),
                   f"New transcripts, calibrated on the example's labels and {DRAWN} drawn units "
                   "answered from the readers' (those units keep their labels)":
                       (new, labels, calibration, False, drawn),
                   "New transcripts, cross-fitted on their own labels": (new, labels, None, False)}
    lines = chart_report(corpora) or [
        "Chart numbers: no labelled units in this project, so no check of the shares against "
        "readers (label units into evaluation/labels.yaml)."]
    return lines + halving_lines(corpus)
