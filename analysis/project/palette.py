"""The house look that outputs record: the palette, a colour derived from an id where the data
gives none, and the CJK font family every chart is set in."""

from __future__ import annotations

import hashlib
import re

PALETTE: list[str] = [
    # Okabe & Ito's colour-blind-safe set (black left out: it reads as text), then Paul Tol's
    # colour-blind-safe "muted" scheme, then a few darker tones.
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
    "#882255", "#AA4499", "#6699CC", "#997700", "#555555", "#222222",
]
"""Twenty distinct colours."""

CJK_FONT_FAMILY = "Noto Sans CJK SC"  # installed by mplfonts (analysis.charts.style)

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def derived_color(key: str) -> str:
    """A palette colour chosen by a hash of `key`: the same id gets the same colour in every
    run and every project, whatever other ids exist (two ids may share one; give `color:` in
    the data file to choose)."""
    digest = hashlib.sha1(key.encode("utf-8")).digest()
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]
