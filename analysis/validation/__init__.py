"""How far to trust the numbers: coding (`coding`) and speaker attribution (`speakers`)
scored against units and lines that careful readers labelled.

May import: `analysis.measures`, `analysis.coding`, `analysis.corpus` and below.
"""
