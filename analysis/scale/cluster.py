"""Beyond one machine: the per-event pipeline on a Dask cluster (`pip install .[dask]`).

Events are partitions. Each worker runs `analysis.ingest.pipeline.load_event` (the very
function a local `load_corpus` runs, in one process or a pool) and, for keyness, counts the
event's content tokens (`terms.content_tokens` on that event alone). What scales is that per-event work.
What does not is anything corpus-wide: keyness compares each event with all the others, so
it is a reduction here: per-partition counts of (event, token), summed on the cluster, and
only the summed table comes back to compute the log-odds (`compare.keyness_from_counts`,
the same code `keyness_by` ends in).

    from dask.distributed import Client
    from analysis.scale.cluster import load_corpus_distributed

    client = Client("tcp://scheduler:8786")      # or Client() for a local cluster
    archive = load_corpus_distributed("path/to/project", client=client)
    archive.utterances                            # a Dask DataFrame, one partition per event
    archive.to_parquet("out/")                    # utterances/ (partitioned), events, speakers
    archive.keyness_by_event(top=10)              # pandas, the same as compare.keyness_by
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.measures.compare import PRIOR_STRENGTH, keyness_from_counts
from analysis.corpus import Corpus, _event_frame, _speaker_frame
from analysis.ingest.pipeline import load_event, project_events
from analysis.ingest.cache import _SCHEMA, decode, utterance_frame
from analysis.project.folder import Project

_SMALL = ["utterance_id", "event_id", "speaker_id", "kind", "n_chars"]


def _utterances(data: bytes) -> pd.DataFrame:
    return utterance_frame([decode(data)["utterances"]])


def _summary(data: bytes) -> tuple[dict, list[dict], pd.DataFrame]:
    """What the small frames need of an event: its row, its speakers and the utterance
    columns their counts come from (no text)."""
    result = decode(data)
    return result["event"], result["speakers"], utterance_frame([result["utterances"]])[_SMALL]


def _term_counts(data: bytes, root: str) -> pd.DataFrame:
    """(event_id, token, count) of one event's content tokens."""
    from analysis.measures.terms import content_tokens
    from analysis.text.tokenise import tokens_table

    result = decode(data)
    utterances = utterance_frame([result["utterances"]])
    speakers = _speaker_frame(result["speakers"], utterances)
    events = _event_frame([result["event"]], utterances, speakers)
    event = Corpus(events=events, speakers=speakers, utterances=utterances, root=Path(root))
    content = content_tokens(event, tokens=tokens_table(event, cache=False))
    counts = content.groupby(["event_id", "token"], sort=True).size().rename("count")
    return counts.reset_index().astype({"event_id": object, "token": object})


@dataclass
class DistributedCorpus:
    """An archive loaded on a cluster: `utterances` and `term_counts` are Dask DataFrames
    (one partition per event, in metadata order), `events` and `speakers` are pandas (one
    row per event and speaker: small however large the archive)."""
    utterances: object
    term_counts: object
    events: pd.DataFrame
    speakers: pd.DataFrame
    root: Path

    def to_parquet(self, folder: str | Path) -> Path:
        """utterances/ (one file per partition), events.parquet and speakers.parquet."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.utterances.to_parquet(str(folder / "utterances"), write_index=False)
        self.events.to_parquet(folder / "events.parquet", index=False)
        self.speakers.to_parquet(folder / "speakers.parquet", index=False)
        return folder

    def keyness_by_event(self, *, top: int = 10, min_count: int = 5,
                         prior_strength: float = PRIOR_STRENGTH) -> pd.DataFrame:
        """Each event's distinctive terms against all the others (token counts): counts
        summed on the cluster, log-odds here."""
        summed = self.term_counts.groupby(["token", "event_id"])["count"].sum().compute()
        counts = summed.unstack("event_id", fill_value=0)
        spoken = self.events[self.events["n_chars"] > 0]  # as keyness_by: events that speak
        groups = spoken.sort_values("metadata_order")["event_id"].tolist()
        return keyness_from_counts(counts, groups, "event_id", top=top, min_count=min_count,
                                   prior_strength=prior_strength)


def load_corpus_distributed(path: str | Path | None = None, *, client=None,
                            attribution: bool = True, assignments: bool = True
                            ) -> DistributedCorpus:
    """Load a project on a Dask cluster (`client`, else the default scheduler): the same
    tables as `load_corpus`, row for row."""
    import dask
    import dask.dataframe as dd

    project = Project.of(path)
    events = project_events(project)
    options = (attribution, assignments)
    root = str(project.root)
    parts = [dask.delayed(load_event, pure=True)(project.root, event, options)
             for event in events]
    parts = client.persist(parts) if client is not None else dask.persist(*parts)
    meta = _SCHEMA.empty_table().to_pandas()
    utterances = dd.from_delayed([dask.delayed(_utterances)(p) for p in parts], meta=meta,
                                 verify_meta=False)
    counts_meta = pd.DataFrame({"event_id": pd.Series(dtype=object),
                                "token": pd.Series(dtype=object),
                                "count": pd.Series(dtype="int64")})
    term_counts = dd.from_delayed([dask.delayed(_term_counts)(p, root) for p in parts],
                                  meta=counts_meta, verify_meta=False)
    summaries = dask.compute(*[dask.delayed(_summary)(p) for p in parts])
    small = pd.concat([s[2] for s in summaries], ignore_index=True) if summaries else \
        pd.DataFrame(columns=_SMALL)
    speakers = _speaker_frame([row for s in summaries for row in s[1]], small)
    events_frame = _event_frame([s[0] for s in summaries], small, speakers)
    return DistributedCorpus(utterances, term_counts, events_frame, speakers, project.root)
