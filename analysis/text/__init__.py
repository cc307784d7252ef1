"""Text: what every later stage reads instead of raw characters.

Holds: the package's data files with validation (`lexicons`), normalisation and canonical
entities (`normalise`), many word lists in one pass (`matching`), segmentation and the token
cache (`tokenise`).

May import: `analysis.project`, `analysis.scale.pool`, `analysis.errors`.
"""
