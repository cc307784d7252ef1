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
        self.problem = problem
        self.fix = fix
        where = f"{self.path}:{line}" if line is not None else self.path
        message = f"{where}: {problem}"
        if fix:
            message += f" -> {fix}"
        super().__init__(message)


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
            self.args = ("\n".join(str(p) for p in problems),)

    def __str__(self) -> str:
        return self.args[0]
