"""Analysis of Chinese discussion transcripts: load, normalise, tokenise, code, compare, plot.

    >>> from analysis import load_corpus
    >>> corpus = load_corpus()            # the current project (the example: seeds/)
    >>> corpus.utterances.head()
"""

from analysis import _moved
from analysis.coding import code_text, stance_summary, stance_table, topic_frequencies, topic_quotes, topic_table
from analysis.corpus import Corpus, load_corpus
from analysis.errors import MetadataError, TranscriptError
from analysis.explorer import Explorer, explore, review_stances
from analysis.text.lexicons import reload
from analysis.text.normalise import normalise
from analysis.measures.terms import entity_counts, entity_mentions, keywords, kwic, term_frequencies
from analysis.text.tokenise import tokenize, tokens_table

_moved.install()  # the flat layout's module paths, with a DeprecationWarning

__all__ = ["Corpus", "Explorer", "MetadataError", "TranscriptError", "code_text", "entity_counts",
           "entity_mentions", "explore",
           "keywords", "kwic", "load_corpus", "normalise", "reload", "review_stances", "stance_summary",
           "stance_table",
           "term_frequencies", "tokenize", "tokens_table", "topic_frequencies", "topic_quotes",
           "topic_table"]
