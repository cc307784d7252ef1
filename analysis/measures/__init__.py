"""Measures: tidy frames that describe and compare a corpus.

Holds: who speaks and how much (`describe`), term frequencies, entities and kwic (`terms`),
keyness, trajectories and co-occurrence (`compare`).

May import: `analysis.coding`, `analysis.corpus` and below.
"""
