"""Terms and entities: frequencies, keywords, entity mentions and KWIC concordances.

Every table is long (tidy) and sorted, so it prints the same on every run:

term_frequencies   <by>, token, n, per_10k (per 10,000 content tokens of the group)
keywords           <by>, rank, token, n, tf, df, tfidf
entity_mentions    utterance_id, event_id, speaker_id, entity, type, surface, start, end
entity_counts      <by>, entity, type, n, n_utterances, per_10k_chars
kwic               utterance_id, event_id, speaker_id, speaker, pre, keyword, post, entity

`<by>` is `event_id`, `speaker_id` or `role`. Spoken utterances (speech, question) only,
unless `kinds` says otherwise. Content tokens are the non-stopword tokens of at least two
characters (canonical entities always count, whatever their length).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from analysis.corpus import Corpus
from analysis.kinds import SPOKEN
from analysis.text.normalise import aliases, normalise
from analysis.text.tokenise import tokens_table

GROUPINGS = ("event_id", "speaker_id", "role")


def _utterances(corpus: Corpus, kinds) -> pd.DataFrame:
    utterances = corpus.utterances
    if kinds is not None:
        utterances = utterances[utterances["kind"].isin(kinds)]
    roles = corpus.speakers.set_index("speaker_id")["role"]
    return utterances.assign(role=utterances["speaker_id"].map(roles))


def content_codes(corpus: Corpus, *, kinds=SPOKEN, tokens: pd.DataFrame | None = None
                  ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The content tokens as arrays: (utterances of these kinds with their role, the row of
    each content token's utterance in that frame, the token's code, the vocabulary the
    codes index, merges applied). What `content_tokens` builds its frame from, and what
    counting by group needs without one Python string per token."""
    tokens = tokens_table(corpus) if tokens is None else tokens
    names = set(aliases().names)
    vocabulary = tokens["token"].cat.categories.astype(str)
    keep_token = np.array([len(t) >= 2 or t in names for t in vocabulary], dtype=bool)
    codes = tokens["token"].cat.codes.to_numpy()
    utterances = _utterances(corpus, kinds).reset_index(drop=True)
    position = pd.Index(utterances["utterance_id"]).get_indexer(
        tokens["utterance_id"].cat.categories)
    rows = position[tokens["utterance_id"].cat.codes.to_numpy()]
    mask = ~tokens["is_stopword"].to_numpy() & keep_token[codes] & (rows >= 0)
    merges = aliases().token_merges  # e.g. 模型 counted as 大模型 (aliases.yaml `merge:`)
    words = np.array([merges.get(t, t) for t in vocabulary] if merges else list(vocabulary),
                     dtype=object)
    return utterances, rows[mask], codes[mask], words


def content_tokens(corpus: Corpus, *, kinds=SPOKEN, tokens: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """Content tokens with their utterance's event, speaker and role; a token listed under an
    entity's `merge:` in the alias table counts as that entity (模型 as 大模型)."""
    utterances, rows, codes, words = content_codes(corpus, kinds=kinds, tokens=tokens)
    return pd.DataFrame({"utterance_id": utterances["utterance_id"].to_numpy()[rows],
                         "event_id": utterances["event_id"].to_numpy()[rows],
                         "speaker_id": utterances["speaker_id"].to_numpy()[rows],
                         "role": utterances["role"].to_numpy()[rows],
                         "token": words[codes]})


def _check_by(by: str) -> None:
    if by not in GROUPINGS:
        raise ValueError(f"by={by!r}: use one of {', '.join(GROUPINGS)}")


def term_frequencies(corpus: Corpus, by: str = "event_id", *, kinds=SPOKEN,
                     tokens: pd.DataFrame | None = None, top: int | None = None) -> pd.DataFrame:
    """Content-token counts per group, most frequent first (ties by token)."""
    _check_by(by)
    content = content_tokens(corpus, kinds=kinds, tokens=tokens)
    counts = content.groupby([by, "token"]).size().rename("n").reset_index()
    totals = counts.groupby(by)["n"].transform("sum")
    counts["per_10k"] = (counts["n"] / totals * 10_000).round(2)
    counts = counts.sort_values([by, "n", "token"], ascending=[True, False, True])
    if top:
        counts = counts.groupby(by, sort=False).head(top)
    return counts.reset_index(drop=True)


def keywords(corpus: Corpus, by: str = "event_id", *, top: int = 20, min_n: int = 2,
             kinds=SPOKEN, tokens: pd.DataFrame | None = None) -> pd.DataFrame:
    """TF-IDF keywords per group: each group is one document; tf is the token's share of
    the group's content tokens, idf = ln(N / df). A term every group uses scores 0, so the
    list shows what sets a group apart. Terms seen fewer than `min_n` times are left out."""
    counts = term_frequencies(corpus, by, kinds=kinds, tokens=tokens)
    groups = counts[by].nunique()
    counts["tf"] = counts["n"] / counts.groupby(by)["n"].transform("sum")
    counts["df"] = counts.groupby("token")[by].transform("nunique")
    counts["tfidf"] = counts["tf"] * (counts["df"].rdiv(groups)).map(math.log)
    counts = counts[(counts["n"] >= min_n) & (counts["tfidf"] > 0)]
    counts = counts.sort_values([by, "tfidf", "token"], ascending=[True, False, True])
    counts = counts.groupby(by, sort=False).head(top).copy()
    counts["rank"] = counts.groupby(by, sort=False).cumcount() + 1
    counts["tf"] = counts["tf"].round(6)
    counts["tfidf"] = counts["tfidf"].round(6)
    return counts[[by, "rank", "token", "n", "tf", "df", "tfidf"]].reset_index(drop=True)


def entity_mentions(corpus: Corpus, *, kinds=SPOKEN) -> pd.DataFrame:
    """Every canonical entity mention per utterance, with the spelling found and its
    character span in the normalised text."""
    table = aliases()
    rows = []
    utterances = _utterances(corpus, kinds)
    for uid, event, speaker, text in utterances[["utterance_id", "event_id", "speaker_id",
                                                 "text"]].itertuples(index=False):
        for mention in table.mentions(normalise(text)):
            rows.append((uid, event, speaker, mention.entity, mention.type, mention.surface,
                         mention.start, mention.end))
    return pd.DataFrame(rows, columns=["utterance_id", "event_id", "speaker_id", "entity",
                                       "type", "surface", "start", "end"])


def entity_counts(corpus: Corpus, by: str = "event_id", *, kinds=SPOKEN,
                  mentions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mentions per entity and group, also per 10,000 characters of the group's text (so
    long and short events compare), most mentioned first."""
    _check_by(by)
    mentions = entity_mentions(corpus, kinds=kinds) if mentions is None else mentions
    utterances = _utterances(corpus, kinds)
    if by == "role":
        mentions = mentions.assign(role=mentions["speaker_id"].map(
            corpus.speakers.set_index("speaker_id")["role"]))
    chars = utterances.groupby(by)["n_chars"].sum()
    counts = (mentions.groupby([by, "entity", "type"])
              .agg(n=("utterance_id", "size"), n_utterances=("utterance_id", "nunique"))
              .reset_index())
    counts["per_10k_chars"] = (counts["n"] / counts[by].map(chars) * 10_000).round(2)
    return counts.sort_values([by, "n", "entity"], ascending=[True, False, True]) \
        .reset_index(drop=True)


def kwic(corpus: Corpus, pattern: str, window: int = 20, *, regex: bool = False,
         kinds=None) -> pd.DataFrame:
    """Keyword in context: every match of `pattern` with `window` characters either side.

    A pattern that names an entity (canonical name or any alias, e.g. `OpenAI`) finds every
    spelling of it (`open eye`, `OKI`...); otherwise the pattern is matched literally
    (case-insensitive) or, with `regex=True`, as a regular expression. Texts are the
    normalised utterance texts; all kinds of utterance unless `kinds` is given.
    """
    table = aliases()
    entity = None if regex else table.lookup(pattern)
    matcher = None if entity else re.compile(pattern if regex else re.escape(normalise(pattern)),
                                             re.IGNORECASE)
    rows = []
    utterances = _utterances(corpus, kinds)
    for uid, event, speaker_id, speaker, text in utterances[
            ["utterance_id", "event_id", "speaker_id", "speaker", "text"]].itertuples(index=False):
        text = normalise(text)
        if entity:
            spans = [(m.start, m.end) for m in table.mentions(text) if m.entity == entity.name]
        else:
            spans = [(m.start(), m.end()) for m in matcher.finditer(text) if m.end() > m.start()]
        for start, end in spans:
            rows.append((uid, event, speaker_id, speaker, text[max(0, start - window):start],
                         text[start:end], text[end:end + window],
                         entity.name if entity else pd.NA))
    return pd.DataFrame(rows, columns=["utterance_id", "event_id", "speaker_id", "speaker",
                                       "pre", "keyword", "post", "entity"])
