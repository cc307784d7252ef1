"""Analyst overrides: the project's overrides.yaml, each entry's quoted snippet resolved to
exactly one analysis unit (`load_overrides`), read once per corpus until the file changes
(`_overrides`), and appended to, one entry at a time (`write_override`, from the explorer).

The tables apply them (`TopicLexicon.with_overrides` in analysis.coding.topics,
`_with_stance_overrides` in analysis.coding.stances); a row an override decides says
`source` = `override`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis.coding.codebook import TOPICS_FILE, codebook
from analysis.coding.memo import _cached
from analysis.coding.stance_cues import STANCES_FILE, stance_cues
from analysis.corpus import Corpus
from analysis.errors import TranscriptError
from analysis.project.folder import atomic_write
from analysis.text.lexicons import files_stamp, line_of, load_yaml
from analysis.text.normalise import ALIASES_FILE, normalise, one_match


@dataclass
class Overrides:
    """Analyst decisions from the project's overrides.yaml, resolved to unit ids."""

    stances: dict[tuple[str, str], dict] = field(default_factory=dict)
    topics_add: dict[tuple[str, str], str] = field(default_factory=dict)
    topics_remove: set[tuple[str, str]] = field(default_factory=set)


def load_overrides(corpus: Corpus, path: str | Path | None = None) -> Overrides:
    """Resolve each override's quoted snippet to exactly one analysis unit of its event."""
    path = Path(path) if path else corpus.project.overrides_file
    result = Overrides()
    topic_ids, target_ids = codebook(corpus.root).ids, stance_cues(corpus.root).ids
    if not path.is_file():
        return result
    items = load_yaml(path).get("overrides") or []
    if not isinstance(items, list):
        raise TranscriptError(path, "`overrides` must be a list", line=1,
                              fix="write one `- {event_id: ..., snippet: ..., ...}` per override")
    pools = event_pools(corpus)
    for item in items:
        snippet = str(item.get("snippet", "")) if isinstance(item, dict) else ""
        where = line_of(path, snippet) if snippet else None
        if not isinstance(item, dict) or not snippet.strip():
            raise TranscriptError(path, f"override {item!r} has no `snippet`", line=where,
                                  fix="quote a few words of the utterance as `snippet`")
        event = item.get("event_id")
        if event not in pools:
            raise TranscriptError(path, f"unknown event_id {event!r}", line=where,
                                  fix="use an event_id from the project's events.yaml")
        uids, normalised = pools[event]
        uid = uids[one_match(normalised, snippet, path=path, line=where, event_id=event,
                             normalised=True)]
        note = str(item.get("note", "")).strip()
        if "target" in item:
            if item["target"] not in target_ids:
                raise TranscriptError(path, f"unknown target {item['target']!r}", line=where,
                                      fix=f"use one of {', '.join(target_ids)}")
            if item.get("stance") not in (-1, 0, 1, None):
                raise TranscriptError(path, f"stance {item.get('stance')!r} is not -1, 0, 1 "
                                      "or null", line=where,
                                      fix="write stance: 1, 0, -1, or null to drop the row")
            result.stances[(uid, item["target"])] = {"stance": item.get("stance"), "note": note,
                                                     "snippet": snippet}
        elif "topic" in item:
            if item["topic"] not in topic_ids:
                raise TranscriptError(path, f"unknown topic {item['topic']!r}", line=where,
                                      fix=f"use one of {', '.join(topic_ids)}")
            key = (uid, item["topic"])
            if item.get("remove"):
                result.topics_remove.add(key)
            else:
                result.topics_add[key] = note or snippet
        else:
            raise TranscriptError(path, "an override needs `target` (with `stance`) or `topic`",
                                  line=where, fix="add target: ... or topic: ...")
    return result


def event_pools(corpus: Corpus) -> dict[str, tuple[list[str], list[str]]]:
    """event_id -> (unit ids, normalised texts) of its units, built once per corpus (and
    aliases file): an override's snippet is looked up in its event's units."""
    def build():
        units = corpus.units
        pools: dict[str, tuple[list[str], list[str]]] = {}
        for event, uid, text in zip(units["event_id"].tolist(), units["unit_id"].tolist(),
                                    units["text"].tolist()):
            ids, texts = pools.setdefault(event, ([], []))
            ids.append(uid)
            texts.append(normalise(text))
        return pools
    return _cached(corpus, ("override_pools", files_stamp(ALIASES_FILE)), build)


def _overrides(corpus: Corpus, overrides) -> Overrides:
    """The overrides a table applies (read once per corpus until the file changes)."""
    if overrides is False:
        return Overrides()
    path = corpus.project.overrides_file if overrides is True else Path(overrides)
    return _cached(corpus, _overrides_key(corpus, path), lambda: load_overrides(corpus, path))


def _topic_fixes(fixes: Overrides) -> tuple:
    """The topic part of the overrides, as a key: a stance override leaves the topic tables
    (and the codebook's fit) as they were."""
    return (tuple(sorted(fixes.topics_remove)), tuple(sorted(fixes.topics_add.items())))


def _overrides_key(corpus: Corpus, path: Path) -> tuple:
    return ("overrides", str(path), files_stamp(path, corpus.project.codebook_file(TOPICS_FILE),
                                                corpus.project.codebook_file(STANCES_FILE)))


_OVERRIDES_HEADER = """\
# Analyst overrides of topic and stance codes (see docs/codebook.md, "Overrides"). Each entry
# quotes a snippet of one analysis unit of its event:
#   - {event_id: ..., snippet: "...", topic: <topic id>, remove: false, note: "..."}
#   - {event_id: ..., snippet: "...", target: <target id>, stance: 1 | 0 | -1 | null, note: "..."}
overrides:
"""


def write_override(corpus: Corpus, unit_id: str, *, topic: str | None = None,
                   remove: bool = False, target: str | None = None, stance: int | None = None,
                   note: str = "", by: str | None = None, at: str | None = None) -> dict:
    """Append one override for a unit to the project's overrides.yaml: a topic added (or
    removed with `remove=True`), or a target's stance set (None drops the row). The entry
    quotes the shortest snippet of the unit that no other unit of its event contains; the
    new file is read back through `load_overrides` (the path a hand edit takes) before it
    replaces the old one, under the project's lock. `by` and `at` record who decided and
    when (the review queue writes both). Returns the entry written."""
    if (topic is None) == (target is None):
        raise ValueError("give either a topic or a stance target")
    event = unit_id.rsplit(".", 1)[0]
    ids, texts = event_pools(corpus).get(event, ([], []))
    if unit_id not in ids:
        raise ValueError(f"unknown unit {unit_id!r}")
    place = ids.index(unit_id)
    text, others = texts[place], texts[:place] + texts[place + 1:]
    snippet = next((text[i:i + size] for size in (12, 20, 32, 64, len(text))
                    for i in range(0, max(1, len(text) - size + 1), max(1, size // 2))
                    if text[i:i + size].strip() and not any(text[i:i + size] in o
                                                            for o in others)), text)
    entry = {"event_id": event, "snippet": snippet}
    entry |= {"topic": topic, "remove": bool(remove)} if topic else {"target": target,
                                                                     "stance": stance}
    entry["note"] = note
    entry |= {key: value for key, value in (("by", by), ("at", at)) if value}
    return _rewrite(corpus, lambda before: before.rstrip("\n") + "\n  - "
                    + json.dumps(entry, ensure_ascii=False) + "\n", entry)


def remove_override(corpus: Corpus, entry: dict) -> bool:
    """Take back an entry `write_override` wrote (its last copy in overrides.yaml): the undo
    of the review queue. Returns whether it was found."""
    line = "  - " + json.dumps(entry, ensure_ascii=False)
    found = []

    def without(before: str) -> str:
        lines = before.split("\n")
        for i in range(len(lines) - 1, -1, -1):
            if lines[i] == line:
                found.append(i)
                return "\n".join(lines[:i] + lines[i + 1:])
        return before
    _rewrite(corpus, without, entry)
    return bool(found)


def _rewrite(corpus: Corpus, change, entry: dict) -> dict:
    """Change overrides.yaml's text under the project's lock; the new text is read back
    through `load_overrides` (the path a hand edit takes) before it replaces the old."""
    project = corpus.project
    path = project.overrides_file
    with project.editing():
        before = path.read_text(encoding="utf-8") if path.is_file() else _OVERRIDES_HEADER
        if not (load_yaml(path).get("overrides") if path.is_file() else None):
            before = re.sub(r"(?m)^overrides:\s*\[\]\s*$", "overrides:", before)
        after = change(before)  # entries are JSON lines: JSON is YAML flow style
        candidate = path.with_name(f".{path.name}.{os.getpid()}.candidate")
        try:
            atomic_write(candidate, after)
            checked = load_overrides(corpus, candidate)  # a bad entry changes nothing
            os.replace(candidate, path)
        finally:
            candidate.unlink(missing_ok=True)
        corpus.memo[_overrides_key(corpus, path)] = checked  # what the file now says
    return entry
