"""Comparison statistics against hand-computed values, and the comparison tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.measures.compare import (chi2_sf_1df, entity_network, event_timeline, keyness, keyness_by,
                              log_likelihood, log_odds_dirichlet, log_ratio, term_trajectory,
                              topic_cooccurrence, topic_trajectory)
from analysis.coding import codebook


def test_g2_matches_hand_computation_not_pearson_or_yates():
    # a = 10 of 1,000 tokens, b = 5 of 1,000: E = 7.5 each.
    # G² = 2 (10 ln(10/7.5) + 5 ln(5/7.5)) = 2 (2.876821 - 2.027326) = 1.698991
    g2 = log_likelihood([10], [5], 1000, 1000)[0]
    assert g2 == pytest.approx(1.698991, abs=1e-6)
    pearson = 2 * (10 - 7.5) ** 2 / 7.5          # 1.666667 for these cells
    yates = 2 * (abs(10 - 7.5) - 0.5) ** 2 / 7.5  # 1.066667
    assert abs(g2 - pearson) > 0.03 and abs(g2 - yates) > 0.5


def test_g2_with_unequal_corpora_and_a_zero_cell():
    # a = 20 of 10,000, b = 0 of 5,000: E1 = 13.3333, E2 = 6.6667
    # G² = 2 * 20 ln(20 / 13.3333) = 16.218604 (the zero cell adds nothing)
    assert log_likelihood([20], [0], 10_000, 5_000)[0] == pytest.approx(16.218604, abs=1e-5)


def test_p_value_of_g2_is_chi2_one_df():
    assert chi2_sf_1df([3.841459])[0] == pytest.approx(0.05, abs=1e-6)
    assert chi2_sf_1df([6.634897])[0] == pytest.approx(0.01, abs=1e-6)


def test_log_ratio_is_log2_of_relative_frequencies_with_half_for_zero():
    assert log_ratio([10], [5], 1000, 1000)[0] == pytest.approx(1.0)
    assert log_ratio([4], [0], 1000, 2000)[0] == pytest.approx(math.log2((4 / 1000) / (0.5 / 2000)))


def test_fightin_words_log_odds_matches_hand_computation():
    # a = (3, 1), b = (1, 3), alpha = (1, 1): n = 4 each, alpha0 = 2
    # delta_1 = ln(4 / 2) - ln(2 / 4) = 2 ln 2; var = 1/4 + 1/2; z = 1.386294 / 0.866025
    delta, z = log_odds_dirichlet([3, 1], [1, 3], [1, 1])
    assert delta[0] == pytest.approx(2 * math.log(2))
    assert z[0] == pytest.approx(1.600754, abs=1e-6)
    assert delta[1] == pytest.approx(-delta[0]) and z[1] == pytest.approx(-z[0])


def test_keyness_frame_and_direction(corpus):
    table = keyness(corpus, {"event_id": "shixiang_gpt4"}, min_count=5)
    assert list(table.columns) == ["term", "target_count", "reference_count", "target_total",
                                   "reference_total", "g2", "p", "log_ratio", "log_odds", "z",
                                   "direction"]
    assert table["z"].is_monotonic_decreasing
    assert ((table["target_count"] + table["reference_count"]) >= 5).all()
    top = table.iloc[0]
    assert top["direction"] == "target" and top["g2"] > 3.84
    assert not table["term"].isin(["的", "就是", "，"]).any()
    bottom = table.iloc[-1]
    assert bottom["direction"] == "reference" and bottom["z"] < 0


def test_utterance_level_counts_cannot_exceed_utterances(corpus):
    table = keyness(corpus, {"event_id": "indigo_talk"}, unit="utterance", min_count=3)
    assert (table["target_count"] <= table["target_total"]).all()
    indigo = (corpus.utterances["event_id"] == "indigo_talk").sum()
    assert table["target_total"].iloc[0] == indigo


def test_keyness_by_groups_and_selectors(corpus):
    roles = ["investor", "founder_exec", "engineer_researcher"]
    table = keyness_by(corpus, "role", groups=roles, top=5, min_count=3)
    assert set(table["role"]) <= set(roles) and table.groupby("role").size().max() <= 5
    by_ids = keyness(corpus, list(corpus.utterances["utterance_id"][:200]), min_count=3)
    assert len(by_ids) > 0
    with pytest.raises(ValueError):
        keyness(corpus, {"event_id": "indigo_talk"}, unit="sentence")


def test_timeline_respects_date_precision(corpus):
    timeline = event_timeline(corpus)
    assert timeline["date"].is_monotonic_increasing
    labels = dict(zip(timeline["event_id"], timeline["date_label"]))
    assert labels["monica_podcast"] == "2023 Q1" and labels["indigo_talk"] == "2023-03"
    assert labels["geekpark_llm"] == "2023-08-23"


def test_trajectories(corpus):
    topics = topic_trajectory(corpus)
    assert len(topics) == len(corpus.events) * len(codebook(corpus.root).ids)
    assert list(pd.unique(topics["event_id"])) == list(event_timeline(corpus)["event_id"])
    terms = term_trajectory(corpus, ["GPT-4", "Llama", "开源"])
    llama = terms[terms["term"] == "Llama"].set_index("event_id")["n"]
    assert llama["geekpark_llm"] >= 1  # `Llama2`/`LLaMA` count under the canonical LLaMA


def test_cooccurrence_and_network(corpus):
    matrix = topic_cooccurrence(corpus)
    assert (matrix.to_numpy() == matrix.to_numpy().T).all()
    assert np.all(np.diag(matrix) >= matrix.max(axis=1))
    graph = entity_network(corpus, min_count=3, min_edge=2)
    assert graph.number_of_nodes() > 10
    assert all(graph.nodes[n]["count"] >= 3 for n in graph.nodes)
    assert all(graph.edges[e]["weight"] >= 2 for e in graph.edges)
    again = entity_network(corpus, min_count=3, min_edge=2)
    assert list(graph.nodes) == list(again.nodes) and list(graph.edges) == list(again.edges)


def test_keyness_by_equals_keyness_of_each_group(corpus):
    """keyness_by counts once for all groups; each group's table must be keyness's."""
    from analysis import tokens_table

    tokens = tokens_table(corpus)
    roles = ["investor", "founder_exec", "engineer_researcher"]
    for column, groups, unit in (("event_id", list(corpus.events["event_id"]), "token"),
                                 ("role", roles, "utterance")):
        fast = keyness_by(corpus, column, groups=groups, top=8, unit=unit, min_count=3,
                          tokens=tokens)
        for group in groups:
            slow = keyness(corpus, {column: group}, {column: groups}, unit=unit, min_count=3,
                           tokens=tokens).head(8)
            mine = fast[fast[column] == group].drop(columns=column).reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, slow, check_dtype=False)


def test_distinctive_terms_need_a_minimum_count_in_their_own_group(corpus):
    from analysis.measures.compare import keyness_by

    loose = keyness_by(corpus, "event_id", top=30, min_count=5)
    strict = keyness_by(corpus, "event_id", top=30, min_count=5, min_target=5)
    assert (strict["target_count"] >= 5).all()
    assert (loose["target_count"] < 5).any()  # the rule removes something
    kept = strict.merge(loose, on=["event_id", "term"])  # and changes nothing else
    assert (kept["z_x"] == kept["z_y"]).all()
