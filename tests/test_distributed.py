"""The per-event pipeline on a Dask cluster (processes, 2 workers) gives the local tables
row for row, and keyness as a reduction of per-partition counts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import load_corpus
from analysis.measures.compare import keyness_by

distributed = pytest.importorskip("distributed")
FIXTURE = Path(__file__).parent / "fixtures" / "new_transcripts"


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def test_a_cluster_gives_the_local_tables_row_for_row(client, tmp_path):
    from analysis.scale.cluster import load_corpus_distributed

    local = load_corpus(FIXTURE, cache=False)
    archive = load_corpus_distributed(FIXTURE, client=client)
    assert archive.utterances.npartitions == len(local.events)
    pd.testing.assert_frame_equal(archive.utterances.compute().reset_index(drop=True),
                                  local.utterances)
    pd.testing.assert_frame_equal(archive.events, local.events)
    pd.testing.assert_frame_equal(archive.speakers, local.speakers)
    out = archive.to_parquet(tmp_path / "out")
    back = pd.read_parquet(out / "utterances").sort_values("utterance_id")
    assert back["utterance_id"].tolist() == sorted(local.utterances["utterance_id"])
    assert len(pd.read_parquet(out / "events.parquet")) == len(local.events)


def test_keyness_is_a_reduction_with_the_local_figures(client):
    from analysis.scale.cluster import load_corpus_distributed

    local = keyness_by(load_corpus(FIXTURE, cache=False), "event_id", top=8)
    archive = load_corpus_distributed(FIXTURE, client=client)
    pd.testing.assert_frame_equal(archive.keyness_by_event(top=8), local)
