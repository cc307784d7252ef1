"""Describing the corpus: who speaks, how much, in which kinds of utterance (tidy frames)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .corpus import SPOKEN, Corpus
from .errors import TranscriptError
from .lexicons import data_path, load_yaml
from .metadata import ROLES
from .parsers import KINDS

DISPLAY_NAMES_FILE = "display_names.yaml"


def display_names(section: str, path: str | Path | None = None) -> dict[str, str]:
    """Chinese display names of one id family (`roles`, `kinds`, `entity_types`,
    `stance_targets`) from analysis/data/display_names.yaml (or `path`), in the ids'
    canonical order. Every id needs a name and unknown ids are refused, so a typo cannot
    hide a label."""
    ids = _display_ids()[section]
    path = Path(path) if path else data_path(DISPLAY_NAMES_FILE)
    names = load_yaml(path).get(section)
    if not isinstance(names, dict):
        raise TranscriptError(path, f"`{section}:` is missing or not a mapping",
                              fix=f"add `{section}:` with one `id: 名称` line per id")
    missing = [i for i in ids if not str(names.get(i) or "").strip()]
    unknown = sorted(set(names) - set(ids))
    if missing or unknown:
        raise TranscriptError(path, f"`{section}:` " + "; ".join(
            part for part in (f"no name for {', '.join(missing)}" if missing else "",
                              f"unknown ids {', '.join(map(str, unknown))}" if unknown else "")
            if part), fix=f"give exactly these ids a name: {', '.join(ids)}")
    return {i: str(names[i]).strip() for i in ids}


def _display_ids() -> dict[str, tuple[str, ...]]:
    from .coding import TARGETS
    from .normalise import ENTITY_TYPES

    return {"roles": ROLES, "kinds": KINDS, "entity_types": ENTITY_TYPES,
            "stance_targets": TARGETS}


def __getattr__(name: str) -> dict[str, str]:
    """`ROLE_NAMES` and `KIND_NAMES`: display names read when asked for (not at import),
    so an edit of the data file shows in a running notebook."""
    if name in ("ROLE_NAMES", "KIND_NAMES"):
        return display_names("roles" if name == "ROLE_NAMES" else "kinds")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def event_table(corpus: Corpus) -> pd.DataFrame:
    """One row per event with its date, format and size, in date order."""
    columns = ["event_id", "label", "date", "date_precision", "format", "n_utterances",
               "n_chars", "n_speakers"]
    return corpus.events[columns].reset_index(drop=True)


def utterances_by_kind(corpus: Corpus) -> pd.DataFrame:
    """Long frame: event_id, label, kind, kind_name, n_utterances, n_chars (all four kinds)."""
    counts = (corpus.utterances.groupby(["event_id", "kind"])
              .agg(n_utterances=("utterance_id", "size"), n_chars=("n_chars", "sum"))
              .reset_index())
    counts = _labelled(counts, corpus, "kind", display_names("kinds"))
    return counts[["event_id", "label", "kind", "kind_name", "n_utterances", "n_chars"]
                  ].reset_index(drop=True)


def _labelled(counts: pd.DataFrame, corpus: Corpus, column: str,
              names: dict[str, str]) -> pd.DataFrame:
    """Add `<column>_name` and the event label; sort by the corpus's event order (date),
    then by the order of `names`."""
    counts = counts.assign(**{f"{column}_name": pd.Categorical(
        counts[column].map(names), categories=list(names.values()))})
    counts = counts.merge(corpus.events[["event_id", "label"]], on="event_id")
    order = {e: i for i, e in enumerate(corpus.events["event_id"])}
    ranks = {k: i for i, k in enumerate(names)}
    return counts.sort_values(["event_id", column], key=lambda s: s.map(
        order if s.name == "event_id" else ranks))


def speakers_by_role(corpus: Corpus, *, spoken_only: bool = True) -> pd.DataFrame:
    """Long frame: event_id, label, role, role_name, n_speakers (speakers who spoke, by default)."""
    speakers = corpus.speakers
    if spoken_only:
        speakers = speakers[speakers["n_utterances"] > 0]
    counts = speakers.groupby(["event_id", "role"]).size().rename("n_speakers").reset_index()
    counts = _labelled(counts, corpus, "role", display_names("roles"))
    return counts[["event_id", "label", "role", "role_name", "n_speakers"]].reset_index(drop=True)


def speaker_table(corpus: Corpus) -> pd.DataFrame:
    """Speakers with their event label, role name and how much they said (speech and questions),
    largest first; speakers who said nothing are kept (n_utterances 0)."""
    table = corpus.speakers.merge(corpus.events[["event_id", "label"]], on="event_id")
    table["role_name"] = table["role"].map(display_names("roles"))
    table["display"] = table["name"] + " · " + table["label"]
    spoken = corpus.spoken()
    attribution = spoken.groupby("speaker_id").agg(
        inferred_share=("speaker_method", lambda s: round(float((s == "inferred").mean()), 3)),
        mean_confidence=("speaker_confidence", lambda s: round(float(s.mean()), 3)))
    table = table.join(attribution, on="speaker_id")
    return (table.sort_values(["n_chars", "speaker_id"], ascending=[False, True])
            [["speaker_id", "event_id", "label", "name", "display", "affiliation", "title",
              "role", "role_name", "n_utterances", "n_chars", "inferred_share",
              "mean_confidence"]].reset_index(drop=True))


def attribution_table(corpus: Corpus) -> pd.DataFrame:
    """Per event and speaker: utterances by how the speaker was decided (label, roster,
    inferred, override) and the mean confidence, for the events that needed attribution."""
    spoken = corpus.spoken()
    needed = spoken.groupby("event_id")["speaker_method"].apply(
        lambda s: bool(s.isin(["inferred", "override"]).any()))
    rows = spoken[spoken["event_id"].map(needed)]
    table = (rows.groupby(["event_id", "speaker", "speaker_method"])
             .agg(n_utterances=("utterance_id", "size"),
                  mean_confidence=("speaker_confidence", "mean"))
             .reset_index())
    table["mean_confidence"] = table["mean_confidence"].round(3)
    return table.sort_values(["event_id", "speaker_method", "n_utterances", "speaker"],
                             ascending=[True, True, False, True]).reset_index(drop=True)


__all__ = ["KIND_NAMES", "ROLE_NAMES", "SPOKEN", "attribution_table", "display_names",
           "event_table",
           "speaker_table",
           "speakers_by_role", "utterances_by_kind"]
