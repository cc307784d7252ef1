"""The corpus's vocabulary, shared by every stage: kinds of utterance and unnamed voices."""

KINDS = ("speech", "question", "note", "meta")
SPOKEN = ("speech", "question")  # what the discussion said (not notes or meta)
#: Speaker keys a parser may use besides the participants' ids.
UNNAMED = ("editor", "audience", "anonymous", "unattributed")
