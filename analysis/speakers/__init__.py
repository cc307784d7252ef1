"""Speakers: who speaks in one event.

Holds: the project's roles (`roles`: ids, names, colours, pools, job-title rules) and the
attribution model for transcripts without speaker labels (`attribution`: an HMM over one
event's rows, the analyst's assignments clamped).

Sees one event's utterance rows only, never the corpus: the ingest pipeline calls it while
it loads an event. How well it does on labelled lines is `analysis.validation.speakers`.

May import: `analysis.text`, `analysis.project`, `analysis.kinds`, `analysis.errors`.
"""
