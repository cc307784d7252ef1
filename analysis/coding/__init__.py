"""Stage 5, coding: topics and stances per analysis unit, from the project's codebook, with
the words behind every row.

May import: `analysis.corpus` and everything below it.
"""

from analysis.coding.topics import (MIN_UNITS, TOPIC_MODEL_FILE, CodedText, Codebook, StanceCues, analysis_text,
                                    code_text, codebook, codebook_fit, load_codebook,
                                    load_overrides, load_stance_cues, split_clauses,
                                    stance_cues, stance_summary, stance_table,
                                    topic_frequencies, topic_quotes, topic_table,
                                    write_override)

__all__ = ["MIN_UNITS", "TOPIC_MODEL_FILE", "CodedText", "Codebook", "StanceCues", "analysis_text", "code_text",
           "codebook", "codebook_fit", "load_codebook", "load_overrides", "load_stance_cues",
           "split_clauses", "stance_cues", "stance_summary", "stance_table",
           "topic_frequencies", "topic_quotes", "topic_table", "write_override"]
