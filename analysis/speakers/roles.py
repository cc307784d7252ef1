"""Roles of speakers from the project's codebook/roles.yaml: ids, names, colours, pools and the
job-title rules for people a transcript lists without metadata."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis.errors import TranscriptError
from analysis.text.lexicons import files_stamp, line_of, load_yaml, names_and_color
from analysis.kinds import UNNAMED
from analysis.project.folder import Project

ROLES_FILE = "roles.yaml"
UNKNOWN = "unknown"
"""Role of a labelled speaker whom the metadata does not describe."""


@dataclass(frozen=True)
class Role:
    id: str
    zh: str
    en: str
    color: str
    pool: bool
    voice: str


@dataclass(frozen=True)
class Roles:
    """The roles of a project, in the order of its file."""

    roles: tuple[Role, ...]
    rules: tuple[tuple[str, tuple[str, ...]], ...]
    path: Path

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.roles)

    @property
    def pools(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.roles if r.pool)

    def names(self, language: str = "zh") -> dict[str, str]:
        return {r.id: getattr(r, language) for r in self.roles}

    def colors(self) -> dict[str, str]:
        return {r.id: r.color for r in self.roles}

    def get(self, role_id: str) -> Role:
        return next(r for r in self.roles if r.id == role_id)

    def from_title(self, title: str) -> str:
        """The role for a job title, by the first matching rule; `unknown` when none does."""
        lowered = title.casefold()
        for role, words in self.rules:
            if any(word.casefold() in lowered for word in words):
                return role
        return UNKNOWN


def load_roles(path: str | Path) -> Roles:
    """Read and validate a roles file (every pool of the parsers and `unknown` must be there)."""
    path = Path(path)
    doc = load_yaml(path)
    entries = doc.get("roles")
    if not isinstance(entries, dict) or not entries:
        raise TranscriptError(path, "`roles:` must map role ids to their names", line=1,
                              fix="see the comment at the top of the shipped roles.yaml")
    roles = []
    for role_id, entry in entries.items():
        where = line_of(path, f"{role_id}:")
        if not isinstance(role_id, str) or not role_id.replace("_", "").isalnum() \
                or not role_id[:1].isalpha() or role_id != role_id.lower():
            raise TranscriptError(path, f"role id {role_id!r} is not a snake_case id", line=where,
                                  fix="use lower-case letters, digits and underscores")
        zh, en, color = names_and_color(path, role_id, entry, "role")
        unknown_keys = sorted(set(entry) - {"zh", "en", "color", "pool", "voice"})
        if unknown_keys:
            raise TranscriptError(path, f"role {role_id!r}: unknown key `{unknown_keys[0]}`",
                                  line=where, fix="use only zh, en, color, pool, voice")
        roles.append(Role(role_id, zh, en, color,
                          bool(entry.get("pool", False)), str(entry.get("voice") or entry["zh"])))
    ids = {r.id for r in roles}
    missing = [p for p in (*UNNAMED, UNKNOWN) if p not in ids]
    if missing:
        raise TranscriptError(path, f"role {missing[0]!r} is missing", line=1,
                              fix="list every pool (editor, audience, anonymous, unattributed) "
                                  "and `unknown`")
    wrong = [r.id for r in roles if r.pool != (r.id in UNNAMED)]
    if wrong:
        raise TranscriptError(path, f"role {wrong[0]!r}: `pool: true` belongs to exactly the "
                              "unnamed voices", line=line_of(path, f"{wrong[0]}:"),
                              fix="set pool: true on editor, audience, anonymous, unattributed "
                                  "and on nothing else")
    rules = []
    for rule in doc.get("rules") or []:
        if not isinstance(rule, dict) or rule.get("role") not in ids \
                or not isinstance(rule.get("words"), list):
            raise TranscriptError(path, f"bad rule {rule!r}",
                                  line=line_of(path, str(rule.get("role"))) if isinstance(rule, dict)
                                  else None,
                                  fix=f"each rule needs `role:` (one of {', '.join(sorted(ids))}) "
                                      "and `words: [...]`")
        rules.append((rule["role"], tuple(str(w) for w in rule["words"])))
    return Roles(tuple(roles), tuple(rules), path)


def roles(project: Project | str | Path | None = None) -> Roles:
    """The roles of a project (default: the current one), re-read when the file changes."""
    path = Project.of(project).codebook_file(ROLES_FILE)
    return _roles(path, files_stamp(path))


@lru_cache(maxsize=8)
def _roles(path: Path, stamp: tuple) -> Roles:
    return load_roles(path)
