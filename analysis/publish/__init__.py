"""Publish: what leaves the project: the executed notebooks (`report`, the main
job), the figure manifest and the slide deck (`export`), and the check of charts against
their committed baselines (`figcheck`).

May import: `analysis.charts` and everything below it.
"""
