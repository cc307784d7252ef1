"""Ingest: one transcript file to one event's frames.

read bytes (`sources`) -> detect the format (`parsers.detect`) -> parse (`parsers`, one
module per format) -> speakers (`analysis.speakers`) -> units (`analysis.units`) -> an
entry of the parsed-corpus cache (`cache`). `pipeline.load_event` is that whole path;
`inspect` shows what it would make of a file and `add` brings files into a project.

May import: `analysis.speakers`, `analysis.units`, `analysis.text`, `analysis.project`,
`analysis.kinds`, `analysis.errors`. Never the corpus, which calls it.
"""
