"""Every number in a finding title is the number the chart draws: each title is checked
against the frame behind it."""

from __future__ import annotations

import re

from analysis import charts
from analysis.charts.stances import stance_counts
from analysis.measures import describe


def numbers(title: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", title)]


def test_speakers_by_role_title_counts_what_the_bar_draws(corpus):
    ctx = charts.Context(corpus)
    chart = charts.render("01_speakers_by_role", ctx)
    table = describe.speakers_by_role(ctx.pooled_many)
    drawn = table.groupby("label", sort=False)["n_speakers"].sum()
    people = table[~table["role"].isin(ctx.roles.pools)].groupby("label", sort=False)[
        "n_speakers"].sum()
    if not chart.finding:
        return
    (top,) = [label for label in drawn.index if chart.title.startswith(str(label))]
    found = numbers(chart.title[len(str(top)):])
    assert found[0] == people[top]
    assert sum(found) == drawn[top]  # people plus anonymous or collective seats: the bar


def test_stance_title_counts_what_the_panel_draws(corpus, tmp_path):
    ctx = charts.Context(corpus)
    chart = charts.render("04_stances_by_event", ctx)
    if not chart.finding:
        return
    counts = stance_counts(ctx, "event_group")
    n, k = numbers(chart.title.split("：", 1)[1])[:2]
    assert ((counts["n"] == n) & ((counts["n_pro"] == k) | (counts["n_con"] == k))).any()


def test_entity_heatmap_title_is_its_darkest_cell(corpus):
    from analysis.charts.terms import ENTITY_ROWS
    from analysis.measures.terms import entity_counts, entity_mentions

    ctx = charts.Context(corpus)
    chart = charts.render("02_entity_heatmap", ctx)
    mentions = entity_mentions(ctx.pooled_many)
    counts = entity_counts(ctx.pooled_many, "event_id", mentions=mentions)
    if not chart.finding:
        return
    drawn = mentions.groupby("entity").size().sort_values(ascending=False, kind="stable").head(
        ENTITY_ROWS)
    cells = counts[counts["entity"].isin(drawn.index) & (counts["n"] >= 5)]
    rate = float(re.search(r"每万字 ([\d.]+) 次", chart.title).group(1))
    assert rate == round(cells["per_10k_chars"].max(), 1)
