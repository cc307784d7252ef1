"""Shared fixtures: the example corpus (a pinned copy under tests/fixtures/example, so that
adding transcripts to seeds/ never breaks a unit test), loaded once per test session, and a
project builder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analysis import load_corpus

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fixtures" / "example"
FINANCE = ROOT / "tests" / "fixtures" / "finance"


@pytest.fixture(scope="session")
def corpus():
    return load_corpus(SEEDS)


@pytest.fixture
def make_seeds(tmp_path):
    """Build a seeds folder: make_seeds(events_yaml, {file name: bytes or str}) -> folder."""

    def build(events_yaml: str, files: dict[str, bytes | str] | None = None) -> Path:
        root = tmp_path / "seeds"
        (root / "transcripts").mkdir(parents=True, exist_ok=True)
        (root / "events.yaml").write_text(textwrap.dedent(events_yaml), encoding="utf-8")
        for name, content in (files or {}).items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (root / "transcripts" / name).write_bytes(data)
        return root

    return build
