"""Running the work elsewhere: a forked process pool on this machine (`pool`) and a Dask
cluster beyond it (`cluster`).

The two modules sit at different heights of the stack: `pool` is plumbing that any stage
from `text` up may use (it knows nothing of the corpus); `cluster` runs the corpus's own
per-event functions (`analysis.ingest.pipeline.load_event`, keyness) on Dask workers, so it
sits above the corpus and the measures. Both are declared as layers in pyproject.toml.

May import: `pool`, only `analysis.project` and below (today nothing of the package); `cluster`, the
corpus, `analysis.ingest`, `analysis.measures` and everything below them.
"""
