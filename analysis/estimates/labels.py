"""Units labelled by readers, laid onto the corpus's current units.

Labels name the unit they were made on and quote its text. Units are re-cut when a parser or
the speaker model changes (an inferred speaker moves a turn boundary), so a label is tied to
the utterances its text covers, not to a unit id: a current unit counts as labelled when
every one of its utterances lies inside labelled text, and its topics are those of the
labelled text it is made of.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.corpus import Corpus
from analysis.errors import TranscriptError
from analysis.project.yamlfile import parse as parse_yaml

LEVEL = 0.90  # every interval of the estimates is a 90 % one
SEED = 20261207  # every simulation of the estimates starts here: same corpus, same numbers
EVALUATION_DIR = "evaluation"  # a project's labelled units
LABEL_FILES = ("gold.yaml", "extra.yaml", "labels.yaml")


def read_labelled_units(*paths: Path, corpus: str | None = None) -> pd.DataFrame:
    """Labelled units from label files (`items:` with unit_id, text, topics, optional corpus
    and stances: the format of tests/data/units_eval/gold.yaml): unit_id, event_id, text,
    topics (set), corpus. With `corpus`, only that corpus's items."""
    rows = []
    for path in paths:
        if not path.is_file():
            continue
        doc = parse_yaml(path.read_text(encoding="utf-8"))
        items = doc.get("items") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise TranscriptError(path, "no `items:` list of labelled units",
                                  fix="use the format of tests/data/units_eval/gold.yaml")
        for item in items:
            name = item.get("corpus", "project")
            if corpus is None or name == corpus:
                rows.append({"unit_id": item["unit_id"], "event_id":
                             item["unit_id"].rsplit(".", 1)[0], "text": item["text"],
                             "topics": set(item.get("topics") or []), "corpus": name})
    return pd.DataFrame(rows, columns=["unit_id", "event_id", "text", "topics", "corpus"])


def utterance_labels(corpus: Corpus, labelled: pd.DataFrame) -> dict[str, frozenset]:
    """utterance_id -> the topics of the labelled text that covers it (spoken utterances
    only; a label whose text is no longer in its event is left out)."""
    spoken = corpus.spoken().sort_values(["event_id", "seq"])
    found: dict[str, frozenset] = {}
    by_event = {event: part for event, part in labelled.groupby("event_id")}
    for event, part in spoken.groupby("event_id", sort=True):
        if event not in by_event:
            continue
        texts, ids = part["text"].tolist(), part["utterance_id"].tolist()
        starts, at = [], 1
        for text in texts:
            starts.append(at)
            at += len(text) + 1
        stream = " " + " ".join(texts) + " "
        for row in by_event[event].itertuples():
            begin = stream.find(" " + row.text + " ")
            if begin < 0:
                continue
            begin, end = begin + 1, begin + 1 + len(row.text)
            topics = frozenset(row.topics)
            for start, text, uid in zip(starts, texts, ids):
                if start >= begin and start + len(text) <= end:
                    found[uid] = topics
    return found


def unit_labels(corpus: Corpus, labelled: pd.DataFrame) -> dict[str, frozenset]:
    """unit_id -> the readers' topics, for every current unit whose utterances all lie in
    labelled text (a unit made of two labelled pieces has the topics of both)."""
    by_utterance = utterance_labels(corpus, labelled)
    result = {}
    for unit_id, ids in zip(corpus.units["unit_id"], corpus.units["utterance_ids"]):
        parts = ids.split()
        if parts and all(uid in by_utterance for uid in parts):
            result[unit_id] = frozenset().union(*(by_utterance[uid] for uid in parts))
    return result
