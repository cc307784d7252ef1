"""Colours of ids: the house palette, and a colour derived from an id where the data gives none."""

from __future__ import annotations

import hashlib
import re

PALETTE: list[str] = [
    # matplotlib's tab10: familiar and saturated enough for a projector.
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    # Paul Tol's colour-blind-safe "muted" scheme, then near-black.
    "#332288", "#88ccee", "#44aa99", "#117733", "#999933",
    "#ddcc77", "#cc6677", "#882255", "#aa4499", "#222222",
]
"""Twenty distinct colours."""

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def derived_color(key: str) -> str:
    """A palette colour chosen by a hash of `key`: the same id gets the same colour in every
    run and every project, whatever other ids exist (two ids may share one; give `color:` in
    the data file to choose)."""
    digest = hashlib.sha1(key.encode("utf-8")).digest()
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]
