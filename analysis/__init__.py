"""Analysis of Chinese discussion transcripts: load, normalise, tokenise, code, compare, plot.

    >>> from analysis import load_corpus
    >>> corpus = load_corpus()            # the project's seeds/
    >>> corpus.utterances.head()
"""

from .corpus import Corpus, load_corpus
from .errors import MetadataError, TranscriptError

__all__ = ["Corpus", "MetadataError", "TranscriptError", "load_corpus"]
