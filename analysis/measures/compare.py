"""Comparison: keyness between groups of utterances, trajectories over time, co-occurrence.

keyness            term, target_count, reference_count, target_total, reference_total,
                   g2, p, log_ratio, log_odds, z, direction   (one row per term)
event_timeline     events in date order with a label that respects the date precision
topic_trajectory   event_id, date_label, topic, n_units, share_chars, per_10k_chars
term_trajectory    event_id, date_label, term, n, per_10k_chars
topic_cooccurrence topic x topic counts of units carrying both
entity_network     networkx graph: nodes = entities (count, type), edges = co-mentions

Keyness statistics (tested against hand-computed values in tests/test_compare.py):

* G² (log-likelihood, Dunning 1993; Rayson & Garside 2000): 2 Σ O ln(O/E) over the two
  cells of the term (target, reference) with E from the pooled rate; no continuity
  correction (neither Yates nor Williams). p from χ² with 1 degree of freedom. Effect size:
  log ratio = log2 of the ratio of relative frequencies (Hardie 2014), zero counts
  replaced by 0.5.
* Weighted log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008,
  "Fightin' Words", eq. 22 and 20): α_w = α0 · pooled share of w, where the pooled counts
  are the target plus the reference; δ_w = log[(y_t + α_w)/(n_t + α0 − y_t − α_w)] −
  log[(y_r + α_w)/(n_r + α0 − y_r − α_w)], var ≈ 1/(y_t + α_w) + 1/(y_r + α_w), z = δ/√var.
  Terms are ranked by z.

`unit="token"` counts occurrences; `unit="utterance"` counts utterances containing the
term (so one talkative speaker cannot dominate a group).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from itertools import combinations

import numpy as np
from scipy import sparse
import pandas as pd

from analysis.coding import codebook, topic_frequencies, topic_table
from analysis.corpus import Corpus
from analysis.kinds import SPOKEN
from analysis.measures.terms import content_codes, content_tokens, entity_mentions

PRIOR_STRENGTH = 1000.0


# --- statistics --------------------------------------------------------------------------

def log_likelihood(a, b, n1: float, n2: float) -> np.ndarray:
    """G² of counts `a` (target, total n1) against `b` (reference, total n2), per term."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    e1 = n1 * (a + b) / (n1 + n2)
    e2 = n2 * (a + b) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, a * np.log(a / e1), 0.0)
        t2 = np.where(b > 0, b * np.log(b / e2), 0.0)
    return 2 * (t1 + t2)


def chi2_sf_1df(x) -> np.ndarray:
    """P(χ²₁ >= x): the p-value of G² with one degree of freedom."""
    return np.array([math.erfc(math.sqrt(max(v, 0.0) / 2)) for v in np.atleast_1d(x)])


def log_ratio(a, b, n1: float, n2: float) -> np.ndarray:
    """log2 of the ratio of relative frequencies, zero counts taken as 0.5."""
    a = np.where(np.asarray(a, dtype=float) == 0, 0.5, a)
    b = np.where(np.asarray(b, dtype=float) == 0, 0.5, b)
    return np.log2((a / n1) / (b / n2))


def log_odds_dirichlet(a, b, alpha) -> tuple[np.ndarray, np.ndarray]:
    """Monroe et al.'s weighted log-odds δ and its z-score, for target counts `a`,
    reference counts `b` and prior pseudo-counts `alpha` (arrays over the same terms)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    alpha = np.asarray(alpha, dtype=float)
    n1, n2, a0 = a.sum(), b.sum(), alpha.sum()
    delta = (np.log((a + alpha) / (n1 + a0 - a - alpha))
             - np.log((b + alpha) / (n2 + a0 - b - alpha)))
    variance = 1 / (a + alpha) + 1 / (b + alpha)
    return delta, delta / np.sqrt(variance)


# --- grouping ----------------------------------------------------------------------------

Selector = Mapping[str, object] | Callable[[pd.DataFrame], pd.Series] | Iterable[str]


def _utterance_frame(corpus: Corpus, kinds=SPOKEN) -> pd.DataFrame:
    utterances = corpus.utterances[corpus.utterances["kind"].isin(kinds)]
    roles = corpus.speakers.set_index("speaker_id")["role"]
    dates = corpus.events.set_index("event_id")["date"]
    return utterances.assign(role=utterances["speaker_id"].map(roles),
                             date=utterances["event_id"].map(dates))


def select(frame: pd.DataFrame, which: Selector) -> pd.Series:
    """Boolean mask of utterances: a mapping {column: value or list of values} (e.g.
    {"event_id": "indigo_talk"}, {"role": ["investor"]}), a function of the frame, or a
    list of utterance ids."""
    if callable(which):
        return pd.Series(which(frame), index=frame.index).astype(bool)
    if isinstance(which, Mapping):
        mask = pd.Series(True, index=frame.index)
        for column, value in which.items():
            values = [value] if isinstance(value, str) or not isinstance(value, Iterable) \
                else list(value)
            mask &= frame[column].isin(values)
        return mask
    return frame["utterance_id"].isin(list(which))


def keyness(corpus: Corpus, target: Selector, reference: Selector | None = None, *,
            unit: str = "token", min_count: int = 5, prior_strength: float = PRIOR_STRENGTH,
            tokens: pd.DataFrame | None = None, kinds=SPOKEN,
            content: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distinctive terms of a group of utterances against the rest (or `reference`).

    Content tokens only (stopwords excluded). Terms seen fewer than `min_count` times in
    target and reference together are left out. Rows sorted by z (most distinctive of the
    target first, ties by term); `direction` says which side the term leans to. `content`
    (from `terms.content_tokens`) saves recomputing the content tokens across calls.
    """
    if unit not in ("token", "utterance"):
        raise ValueError("unit must be 'token' or 'utterance'")
    frame = _utterance_frame(corpus, kinds)
    in_target = select(frame, target)
    in_reference = select(frame, reference) if reference is not None else ~in_target
    if content is None:
        content = content_tokens(corpus, kinds=kinds, tokens=tokens)
    ids_t = set(frame.loc[in_target, "utterance_id"])
    ids_r = set(frame.loc[in_reference & ~in_target, "utterance_id"])
    if unit == "utterance":
        content = content.drop_duplicates(["utterance_id", "token"])
    side = np.where(content["utterance_id"].isin(ids_t), "t",
                    np.where(content["utterance_id"].isin(ids_r), "r", ""))
    counts = pd.crosstab(content["token"], side).reindex(columns=["t", "r"], fill_value=0)
    sizes = (len(ids_t), len(ids_r)) if unit == "utterance" else None
    return _keyness_table(counts["t"], counts["r"], sizes, min_count, prior_strength)


def _keyness_table(t: pd.Series, r: pd.Series, sizes: tuple[int, int] | None,
                   min_count: int, prior_strength: float) -> pd.DataFrame:
    """The keyness statistics of term counts in a target (`t`) and a reference (`r`), indexed
    by term; `sizes` are the two groups' sizes in utterances (None: their token counts)."""
    keep = (t + r) > 0
    t, r = t[keep], r[keep]
    n_t, n_r = sizes if sizes is not None else (int(t.sum()), int(r.sum()))
    pooled = t + r
    alpha = prior_strength * pooled / pooled.sum()
    delta, z = log_odds_dirichlet(t, r, alpha)
    table = pd.DataFrame({
        "term": t.index.astype(str),
        "target_count": t.to_numpy(),
        "reference_count": r.to_numpy(),
        "target_total": n_t,
        "reference_total": n_r,
        "g2": log_likelihood(t, r, n_t, n_r),
        "log_ratio": log_ratio(t, r, n_t, n_r),
        "log_odds": delta,
        "z": z,
    })
    table = table[(table["target_count"] + table["reference_count"]) >= min_count]
    table["p"] = chi2_sf_1df(table["g2"].to_numpy())
    table["direction"] = np.where(table["target_count"] / max(n_t, 1)
                                  >= table["reference_count"] / max(n_r, 1), "target",
                                  "reference")
    table = table.round({"g2": 4, "log_ratio": 4, "log_odds": 4, "z": 4})
    columns = ["term", "target_count", "reference_count", "target_total", "reference_total",
               "g2", "p", "log_ratio", "log_odds", "z", "direction"]
    return table.sort_values(["z", "term"], ascending=[False, True])[columns] \
        .reset_index(drop=True)


MIN_TERM_COUNT = 5
"""Charts of distinctive terms need a term said at least this often in its own group."""


def keyness_by(corpus: Corpus, column: str = "event_id", *, groups: list[str] | None = None,
               top: int = 10, unit: str = "token", min_count: int = 5,
               prior_strength: float = PRIOR_STRENGTH, tokens: pd.DataFrame | None = None,
               kinds=SPOKEN, min_target: int = 0) -> pd.DataFrame:
    """Each group of `column` against the other groups (given, or all): its `top` terms by
    z, with the group in the first column; a term must be seen `min_count` times in all and
    `min_target` times in the group itself. The same figures as `keyness` for each group,
    from one table of counts per term and group (linear in the number of groups). (For
    pools of events, pass describe.pooled_corpus(...).)"""
    if unit not in ("token", "utterance"):
        raise ValueError("unit must be 'token' or 'utterance'")
    frame = _utterance_frame(corpus, kinds)
    groups = groups or list(pd.unique(frame[column].dropna()))
    utterances, rows, codes, words = content_codes(corpus, kinds=kinds, tokens=tokens)
    group_of = frame.set_index("utterance_id")[column].reindex(utterances["utterance_id"])
    group = pd.Index(groups).get_indexer(group_of.to_numpy())[rows]
    inside = group >= 0
    vocabulary, to_merged = np.unique(words.astype(str), return_inverse=True)
    rows, merged, group = rows[inside], to_merged[codes[inside]], group[inside]
    members = None
    if unit == "utterance":
        rows, merged = np.unique(np.stack([rows, merged]), axis=1)  # a term once per utterance
        group = pd.Index(groups).get_indexer(group_of.to_numpy())[rows]
        members = frame[frame[column].isin(groups)].groupby(column)["utterance_id"].nunique()
    matrix = sparse.coo_matrix((np.ones(len(merged), dtype=np.int64), (merged, group)),
                               shape=(len(vocabulary), len(groups))).tocsc()
    return _keyness_groups(matrix, vocabulary.astype(object), groups, column, top=top,
                           min_count=min_count, prior_strength=prior_strength,
                           members=members, min_target=min_target)


def keyness_from_counts(counts: pd.DataFrame, groups: list, column: str, *, top: int = 10,
                        min_count: int = 5, prior_strength: float = PRIOR_STRENGTH,
                        members: pd.Series | None = None) -> pd.DataFrame:
    """`keyness_by` from a table of counts (terms x groups): each group against the sum of
    the others. `members` (utterances per group) switches to utterance counts. The
    distributed reduction (`analysis.scale.cluster`) ends here."""
    counts = counts.reindex(columns=groups, fill_value=0)
    matrix = sparse.csc_matrix(counts.to_numpy(dtype=np.int64))
    return _keyness_groups(matrix, np.asarray(counts.index.astype(str), dtype=object), groups,
                           column, top=top, min_count=min_count,
                           prior_strength=prior_strength, members=members)


_KEYNESS_COLUMNS = ["term", "target_count", "reference_count", "target_total",
                    "reference_total", "g2", "p", "log_ratio", "log_odds", "z", "direction"]


def _keyness_groups(matrix, terms: np.ndarray, groups: list, column: str, *, top: int,
                    min_count: int, prior_strength: float,
                    members: pd.Series | None, min_target: int = 0) -> pd.DataFrame:
    """The rows `_keyness_table(...).head(top)` gives for each group, computed on arrays:
    one vectorised pass over the vocabulary per group, and tables only for the rows kept
    (so a thousand groups cost a thousand array passes, not a thousand full tables)."""
    everything = np.asarray(matrix.sum(axis=1)).ravel()
    present = everything > 0
    matrix, terms, everything = matrix[present], terms[present], everything[present]
    alpha = prior_strength * everything / max(everything.sum(), 1)
    counted = everything >= min_count
    rank = np.empty(len(terms), dtype=np.int64)  # the position of each term in sorted order
    rank[np.argsort(terms.astype(str), kind="stable")] = np.arange(len(terms))
    rows = []
    for j, group in enumerate(groups):
        t = matrix[:, j].toarray().ravel().astype(float)
        r = everything - t
        if members is not None:
            n_t = int(members.get(group, 0))
            n_t, n_r = n_t, int(members.sum()) - n_t
        else:
            n_t, n_r = int(t.sum()), int(r.sum())
        delta, z = log_odds_dirichlet(t, r, alpha)
        z4 = np.round(z, 4)
        candidates = np.flatnonzero(counted & (t >= min_target))
        if len(candidates) > top:
            cut = np.partition(z4[candidates], len(candidates) - top)[len(candidates) - top]
            candidates = candidates[z4[candidates] >= cut]
        chosen = candidates[np.lexsort((rank[candidates], -z4[candidates]))][:top]
        a, b = t[chosen], r[chosen]
        g2 = log_likelihood(a, b, n_t, n_r)
        table = pd.DataFrame({
            "term": pd.Index(terms[chosen]).astype(str),
            "target_count": a.astype(np.int64), "reference_count": b.astype(np.int64),
            "target_total": n_t, "reference_total": n_r,
            "g2": np.round(g2, 4), "p": chi2_sf_1df(g2),
            "log_ratio": np.round(log_ratio(a, b, n_t, n_r), 4),
            "log_odds": np.round(delta[chosen], 4), "z": z4[chosen],
            "direction": np.where(a / max(n_t, 1) >= b / max(n_r, 1), "target", "reference"),
        })
        rows.append(table[_KEYNESS_COLUMNS].assign(**{column: group}))
    result = pd.concat(rows, ignore_index=True)
    return result[[column] + [c for c in result.columns if c != column]]


# --- time --------------------------------------------------------------------------------

def date_label(date: pd.Timestamp, precision: str) -> str:
    """A date written only as precisely as it is known."""
    if precision == "day":
        return date.strftime("%Y-%m-%d")
    if precision == "month":
        return date.strftime("%Y-%m")
    if precision == "quarter":
        return f"{date.year} Q{(date.month - 1) // 3 + 1}"
    return str(date.year)


def event_timeline(corpus: Corpus) -> pd.DataFrame:
    """Events ordered by the start of their date period (a quarter-precise date sorts at
    the quarter's start), ties by metadata order, with `date_label`."""
    events = corpus.events.sort_values(["date", "metadata_order"], kind="stable")
    events["date_label"] = [date_label(d, p) for d, p in zip(events["date"],
                                                             events["date_precision"])]
    return events.reset_index(drop=True)


def topic_trajectory(corpus: Corpus, *, topics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Topic share of each event's text (share_chars) and units per 10,000 characters,
    events in date order."""
    timeline = event_timeline(corpus)
    freq = topic_frequencies(corpus, "event_id", topics=topics)
    freq = freq.merge(timeline[["event_id", "label", "date_label"]], on="event_id")
    freq["event_id"] = pd.Categorical(freq["event_id"], categories=timeline["event_id"])
    freq["topic"] = pd.Categorical(freq["topic"], categories=list(codebook(corpus.root).ids))
    freq = freq.sort_values(["event_id", "topic"]).reset_index(drop=True)
    freq["event_id"] = freq["event_id"].astype(str)
    freq["topic"] = freq["topic"].astype(str)
    return freq[["event_id", "label", "date_label", "topic", "n_units", "share_chars",
                 "per_10k_chars"]]


def term_trajectory(corpus: Corpus, terms: list[str], *,
                    tokens: pd.DataFrame | None = None) -> pd.DataFrame:
    """Occurrences of chosen terms per event per 10,000 characters, events in date order.
    A term is counted as a token (canonical entities included: `Llama 2` counts for
    LLaMA, `Agent` for AI Agent). (For pools of events, pass describe.pooled_corpus(...).)"""
    from analysis.text.normalise import aliases

    table = aliases()
    wanted = {}
    for term in terms:
        entity = table.lookup(term)
        wanted[term] = entity.name if entity else term
    timeline = event_timeline(corpus)
    content = content_tokens(corpus, tokens=tokens)
    content = content[content["token"].isin(set(wanted.values()))]
    chars = _utterance_frame(corpus).groupby("event_id")["n_chars"].sum()
    found = content.groupby(["event_id", "token"]).size()
    rows = []
    for event in timeline.itertuples():
        size = int(chars.get(event.event_id, 0))
        for term, canonical in wanted.items():
            n = int(found.get((event.event_id, canonical), 0))
            rows.append((event.event_id, event.label, event.date_label, term, n,
                         round(n / size * 10_000, 2) if size else 0.0))
    return pd.DataFrame(rows, columns=["event_id", "label", "date_label", "term", "n",
                                       "per_10k_chars"])


def moving_terms(corpus: Corpus, n: int = 6, *, min_count: int = 20,
                 tokens: pd.DataFrame | None = None) -> list[str]:
    """The `n` content terms whose rate (per 10,000 characters) varies most between events,
    among terms seen at least `min_count` times in at least two events: the words worth
    following over time, chosen from the corpus rather than named by hand. Ties by term."""
    content = content_tokens(corpus, tokens=tokens)
    chars = _utterance_frame(corpus).groupby("event_id")["n_chars"].sum()
    counts = content.groupby(["token", "event_id"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(chars.index), fill_value=0)
    keep = (counts.sum(axis=1) >= min_count) & ((counts > 0).sum(axis=1) >= 2)
    rates = counts[keep] / chars.where(chars > 0) * 10_000
    spread = rates.std(axis=1, ddof=0).round(6).rename("spread").reset_index()
    spread = spread.sort_values(["spread", "token"], ascending=[False, True])
    return spread["token"].head(n).tolist()


def main_roles(corpus: Corpus, n: int = 3, *, min_utterances: int = 10) -> list[str]:
    """The `n` roles of people (not pools, not `unknown`) with the most utterances, at least
    `min_utterances` each: the groups a role comparison can rest on."""
    from analysis.speakers.roles import UNKNOWN, roles

    book = roles(corpus.root)
    spoken = corpus.spoken().merge(corpus.speakers[["speaker_id", "role"]], on="speaker_id")
    people = spoken[~spoken["role"].isin((*book.pools, UNKNOWN))]
    sizes = people.groupby("role").size().rename("n").reset_index()
    sizes = sizes[sizes["n"] >= min_utterances].sort_values(["n", "role"], ascending=[False, True])
    return sizes["role"].head(n).tolist()


# --- co-occurrence -----------------------------------------------------------------------

def topic_cooccurrence(corpus: Corpus, *, topics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Topic x topic: units carrying both (diagonal: units carrying the topic)."""
    topics = topic_table(corpus) if topics is None else topics
    ids = list(codebook(corpus.root).ids)
    matrix = pd.DataFrame(0, index=ids, columns=ids)
    for _, carried in topics.groupby("unit_id")["topic"]:
        present = sorted(set(carried), key=ids.index)
        for topic in present:
            matrix.loc[topic, topic] += 1
        for left, right in combinations(present, 2):
            matrix.loc[left, right] += 1
            matrix.loc[right, left] += 1
    return matrix


def topic_association(corpus: Corpus, *, topics: pd.DataFrame | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Topic x topic lift: units carrying both, over what the two topics' frequencies predict
    if they were independent (1 = independent, 2 = twice as often). Raw co-occurrence counts
    track how frequent topics are; lift shows association. Returns the lift matrix (diagonal
    empty) and the pairs: left, right, both, left_n, right_n, lift, jaccard."""
    topics = topic_table(corpus) if topics is None else topics
    ids = list(codebook(corpus.root).ids)
    total = len(corpus.units)
    carried = topics.groupby("unit_id")["topic"].agg(set)
    counts = {t: int((topics["topic"] == t).sum()) for t in ids}
    rows = []
    for left, right in combinations(ids, 2):
        both = int(sum(1 for s in carried if left in s and right in s))
        expected = counts[left] * counts[right] / total if total else 0
        union = counts[left] + counts[right] - both
        rows.append({"left": right, "right": left, "both": both, "left_n": counts[right],
                     "right_n": counts[left],
                     "lift": round(both / expected, 3) if expected else float("nan"),
                     "jaccard": round(both / union, 3) if union else float("nan")})
    pairs = pd.DataFrame(rows)
    lift = pd.DataFrame(np.nan, index=ids, columns=ids)
    for row in pairs.itertuples():
        lift.loc[row.left, row.right] = lift.loc[row.right, row.left] = row.lift
    return lift, pairs


def entity_network(corpus: Corpus, *, min_count: int = 3, min_edge: int = 2,
                   types: Iterable[str] | None = None,
                   mentions: pd.DataFrame | None = None, top: int | None = None,
                   max_edges: int | None = None):
    """Entities mentioned at least `min_count` times as nodes (attributes: count, type),
    edges between entities co-mentioned in at least `min_edge` utterances (weight = the
    number of such utterances). `top` keeps only the most mentioned entities (ties by name)
    and `max_edges` only the heaviest links (ties by names), so a large archive still draws a
    readable network instead of a hairball. Nodes and edges are added in sorted
    order, so layouts with a fixed seed are reproducible."""
    import networkx as nx

    mentions = entity_mentions(corpus) if mentions is None else mentions
    if types is not None:
        mentions = mentions[mentions["type"].isin(list(types))]
    counts = mentions.groupby(["entity", "type"]).size().reset_index(name="count")
    counts = counts[counts["count"] >= min_count]
    if top is not None:
        counts = counts.sort_values(["count", "entity"], ascending=[False, True]).head(top)
    counts = counts.sort_values("entity")
    kept = set(counts["entity"])
    edges: dict[tuple[str, str], int] = {}
    for _, group in mentions[mentions["entity"].isin(kept)].groupby("utterance_id")["entity"]:
        for pair in combinations(sorted(set(group)), 2):
            edges[pair] = edges.get(pair, 0) + 1
    graph = nx.Graph()
    for row in counts.itertuples():
        graph.add_node(row.entity, count=int(row.count), type=row.type)
    kept_edges = sorted(((pair, w) for pair, w in edges.items() if w >= min_edge),
                        key=lambda item: (-item[1], item[0]))
    for (left, right), weight in sorted(kept_edges[:max_edges]):
        graph.add_edge(left, right, weight=weight)
    graph.remove_nodes_from(sorted(n for n in list(graph.nodes) if graph.degree(n) == 0))
    return graph
