"""The project's own error type: every problem with input names the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path


class TranscriptError(ValueError):
    """Bad input (transcript, metadata, lexicon): one line naming file, line and what to do.

    Attributes:
        path: the file at fault.
        line: 1-based line number, or None when the whole file is at fault.
        problem: what is wrong.
        fix: what the user should do about it.
    """

    def __init__(self, path: str | Path, problem: str, *, line: int | None = None,
                 fix: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.problem = _capped(problem)
        self.fix = _capped(fix) if fix else fix
        problem, fix = self.problem, self.fix
        where = f"{self.path}:{line}" if line is not None else self.path
        message = f"{where}: {problem}"
        if fix:
            message += f" -> {fix}"
        super().__init__(message)


MAX_CHARS = 300  # of a problem or a fix: a message quoting hostile input stays one line


def _capped(text: str) -> str:
    text = " ".join(str(text).split())  # one line, whatever the input held
    return text if len(text) <= MAX_CHARS else f"{text[:MAX_CHARS - 1]}…"


MAX_LISTED = 20  # problems listed one per line; the rest are counted


class MetadataError(TranscriptError):
    """Problems in the event metadata file (seeds/events.yaml), all of them at once.

    Attributes:
        problems: one TranscriptError per problem, each with its own line.
    """

    def __init__(self, problems: list[TranscriptError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(first.path, first.problem, line=first.line, fix=first.fix)
        if len(problems) > 1:
            shown = [str(p) for p in problems[:MAX_LISTED]]
            if len(problems) > MAX_LISTED:
                shown.append(f"... and {len(problems) - MAX_LISTED:,} more problems "
                             f"in {first.path}")
            self.args = ("\n".join(shown),)

    def __str__(self) -> str:
        return self.args[0]
