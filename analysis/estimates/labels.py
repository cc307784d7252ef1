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
import yaml

from analysis.corpus import Corpus
from analysis.errors import TranscriptError
from analysis.project.yamlfile import parse as parse_yaml

LEVEL = 0.90  # every interval of the estimates is a 90 % one
SEED = 20261207  # every simulation of the estimates starts here: same corpus, same numbers
EVALUATION_DIR = "evaluation"  # a project's labelled units
LABEL_FILES = ("gold.yaml", "extra.yaml", "labels.yaml")


def agreed_topics(rows: list[set]) -> set:
    """The topics of a unit several people labelled: those that more than half of them gave
    (two labellers: the topics both gave). One rule for the estimates and the report."""
    counts: dict[str, int] = {}
    for topics in rows:
        for topic in topics:
            counts[topic] = counts.get(topic, 0) + 1
    return {t for t, k in counts.items() if k > len(rows) / 2}


def read_labelled_units(*paths: Path, corpus: str | None = None) -> pd.DataFrame:
    """Labelled units from label files (`items:` with unit_id, text, topics, optional corpus,
    stances and labeller: the format of tests/data/units_eval/gold.yaml): unit_id, event_id,
    text, topics (set), corpus, one row per unit; a unit several people labelled has the
    topics more than half of them gave (`agreed_topics`). With `corpus`, only that corpus's."""
    rows = []
    for path in paths:
        if not path.is_file():
            continue
        try:
            doc = parse_yaml(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            raise TranscriptError(path, f"not valid YAML ({getattr(err, 'problem', err)})",
                                  line=mark.line + 1 if mark else None,
                                  fix="fix the file, or import the labels again") from None
        items = doc.get("items") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise TranscriptError(path, "no `items:` list of labelled units",
                                  fix="use the format of tests/data/units_eval/gold.yaml")
        for item in items:
            if not isinstance(item, dict) or not {"unit_id", "text"} <= set(item):
                raise TranscriptError(path, "an item without unit_id and text",
                                      line=getattr(item, "line", None),
                                      fix="every item needs unit_id, text and topics")
            name = item.get("corpus", "project")
            if corpus is None or name == corpus:
                rows.append({"unit_id": item["unit_id"], "event_id":
                             item["unit_id"].rsplit(".", 1)[0], "text": item["text"],
                             "topics": set(item.get("topics") or []), "corpus": name})
    columns = ["unit_id", "event_id", "text", "topics", "corpus"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty or not frame["unit_id"].duplicated().any():
        return frame
    return (frame.groupby(["unit_id", "text", "corpus"], sort=False)
            .agg(event_id=("event_id", "first"), topics=("topics", list)).reset_index()
            .assign(topics=lambda f: f["topics"].map(agreed_topics))[columns])


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
