"""Analysis of Chinese discussion transcripts: load, normalise, tokenise, code, compare, plot.

    >>> from analysis import load_corpus
    >>> corpus = load_corpus()            # the project's seeds/
    >>> corpus.utterances.head()
"""

from .coding import code_text, stance_summary, stance_table, topic_frequencies, topic_quotes, topic_table
from .corpus import Corpus, load_corpus
from .errors import MetadataError, TranscriptError
from .explore import Explorer, explore
from .lexicons import reload
from .normalise import normalise
from .terms import entity_counts, entity_mentions, keywords, kwic, term_frequencies
from .tokenise import tokenize, tokens_table

__all__ = ["Corpus", "Explorer", "MetadataError", "TranscriptError", "code_text", "entity_counts",
           "entity_mentions", "explore",
           "keywords", "kwic", "load_corpus", "normalise", "reload", "stance_summary", "stance_table",
           "term_frequencies", "tokenize", "tokens_table", "topic_frequencies", "topic_quotes",
           "topic_table"]
