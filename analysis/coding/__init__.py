"""Coding: topics and stances per analysis unit, from the project's codebook, with
the words behind every row.

May import: `analysis.corpus` and everything below it.

Inside, modules import one way (top to bottom):
    summaries     topic frequencies, topic quotes, stance summary
    coded_text    one text coded on the spot (`code_text`), beside the tables
    stances       the stance table
    fit           how well the codebook fits each event (the stance table skips low-fit ones)
    topics        the topic table
    overrides     the analyst's overrides.yaml, read and written
    memo          per-corpus memo, the units coded and their prepared texts
    codebook      the topic codebook (topics.yaml) and how mentions are judged
    stance_cues   the stance cues (stances.yaml, sentiment.yaml) and how a text is scored
    learned       the learned salience model beside a codebook (topic_model.yaml)
    words         word lists, patterns and analysis text, shared by every coder
"""

from analysis.coding.codebook import TOPIC_MODEL_FILE, Codebook, codebook, load_codebook
from analysis.coding.coded_text import CodedText, code_text
from analysis.coding.fit import codebook_fit
from analysis.coding.overrides import load_overrides, write_override
from analysis.coding.stance_cues import StanceCues, load_stance_cues, stance_cues
from analysis.coding.stances import stance_table
from analysis.coding.summaries import MIN_UNITS, stance_summary, topic_frequencies, topic_quotes
from analysis.coding.topics import topic_table
from analysis.coding.words import analysis_text, split_clauses

__all__ = ["MIN_UNITS", "TOPIC_MODEL_FILE", "CodedText", "Codebook", "StanceCues", "analysis_text", "code_text",
           "codebook", "codebook_fit", "load_codebook", "load_overrides", "load_stance_cues",
           "split_clauses", "stance_cues", "stance_summary", "stance_table",
           "topic_frequencies", "topic_quotes", "topic_table", "write_override"]
