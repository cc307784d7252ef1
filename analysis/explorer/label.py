"""Label speakers with the model's help: `python -m analysis label EVENT`.

The loop shows the line whose answer is expected to remove the most uncertainty (with its
neighbours and the current guesses), takes the analyst's answer (a speaker number, `s` to
skip the line, `q` to stop), appends it to `attribution/<event_id>.yaml` at once (through a
temporary file and a rename, so a killed session loses nothing) and refits the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from analysis.validation.speakers import event_model
from analysis.errors import TranscriptError
from analysis.project.folder import Project, atomic_write
from analysis.project.yamlfile import parse as parse_yaml

HEADER = """\
# Analyst speaker assignments for {event_id} ({file}).
# They are clamped in the attribution model, teach it each speaker's wording, and are marked
# speaker_method = override. Entries: {{lines: "first-last", speaker: <participant id>}} or
# {{snippet: "quoted words", speaker: ...}}; line numbers are the transcript's; entries must not
# overlap. `python -m analysis label {event_id}` appends one entry per answer.

assign:
"""


def append_assignment(path: Path, header: str, lines: str, speaker: str, note: str) -> None:
    """Append `{lines, speaker}` to the file's `assign:` list, keeping every comment; the
    result is parsed back before it replaces the file."""
    text = path.read_text(encoding="utf-8") if path.is_file() else header
    before = (parse_yaml(text) or {}).get("assign") or []
    if not text.endswith("\n"):
        text += "\n"
    entry = f'  - {{lines: "{lines}", speaker: {speaker}}}'
    new = f"{text}{entry}  # {note}\n" if note else f"{text}{entry}\n"
    try:
        after = (parse_yaml(new) or {}).get("assign") or []
    except yaml.YAMLError:
        after = []
    if len(after) != len(before) + 1 or after[-1] != {"lines": lines, "speaker": speaker}:
        raise TranscriptError(path, "`assign:` is not the file's last block, so an entry "
                              "cannot be appended", line=1,
                              fix="move the `assign:` list to the end of the file")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, new)


def run(root: str | Path | None, event_id: str, *, ask: Callable[[str], str] = input,
        say: Callable[[str], None] = print, context: int = 3) -> int:
    """The labelling loop; returns the number of lines labelled in this session."""
    project = Project.of(root)
    em = event_model(project.root, event_id)
    model, spoken = em.model, em.spoken
    path = project.attribution_dir / f"{event_id}.yaml"
    header = HEADER.format(event_id=event_id, file=em.event.file)
    names = [p.name for p in model.speakers]
    menu = "  ".join(f"{n}) {name}" for n, name in enumerate(names, 1))
    clamp, skip, done = dict(em.clamp), set(), 0
    threshold = model.cues.threshold
    say(f"{event_id}: {len(spoken)} lines, {len(clamp)} labelled in {path.name}. "
        f"Speakers: {menu}; s skips a line, q saves and stops.")
    while True:
        started = time.perf_counter()
        posterior = model.fit(clamp)
        line = model.suggest(posterior, clamp, skip)
        took = time.perf_counter() - started
        confident = float((posterior.max(axis=1) >= threshold).mean()) if len(posterior) else 0
        if line is None:
            say("Every line is labelled or skipped.")
            break
        row = spoken.iloc[line]
        say(f"\n{confident:.0%} of lines attributed at confidence >= {threshold}; "
            f"next: line {row.line_start} (refit and suggestion {took:.2f} s)")
        for j in range(max(0, line - context), min(len(spoken), line + context + 1)):
            if j in clamp:
                guess = f"{names[clamp[j]]} (labelled)"
            else:
                best = int(posterior[j].argmax())
                guess = f"{names[best]}? {posterior[j, best]:.2f}"
            mark = ">>" if j == line else "  "
            say(f"{mark} {spoken.iloc[j].line_start:>5}  {guess:<22} {spoken.iloc[j].text}")
        answer = _answer(ask, f"who says line {row.line_start}? [{menu} / s / q] ", len(names))
        if answer == "q":
            break
        if answer == "s":
            skip.add(line)
            continue
        lines = (f"{row.line_start}" if row.line_start == row.line_end
                 else f"{row.line_start}-{row.line_end}")
        append_assignment(path, header, lines, model.speakers[answer].id, "label loop")
        clamp[line] = answer
        done += 1
    say(f"{done} line(s) labelled in this session; saved in {path}")
    return done


def _answer(ask: Callable[[str], str], prompt: str, speakers: int) -> int | str:
    """A speaker index, "s" or "q"; anything else asks again (end of input stops)."""
    while True:
        try:
            raw = ask(prompt).strip().lower()
        except EOFError:
            return "q"
        if raw in ("s", "q"):
            return raw
        if raw.isdigit() and 1 <= int(raw) <= speakers:
            return int(raw) - 1
        prompt = f"please answer 1-{speakers}, s or q: "


def step_times(root: str | Path | None, event_id: str, steps: int = 10) -> np.ndarray:
    """Seconds per refit and suggestion over `steps` simulated answers (the most likely
    speaker each time), for the benchmark."""
    em = event_model(root, event_id)
    clamp, times = dict(em.clamp), []
    for _ in range(steps):
        started = time.perf_counter()
        posterior = em.model.fit(clamp)
        line = em.model.suggest(posterior, clamp)
        times.append(time.perf_counter() - started)
        if line is None:
            break
        clamp[line] = int(posterior[line].argmax())
    return np.array(times)
