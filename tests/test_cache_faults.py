"""A damaged cache is never trusted, and a failed write never leaves half a file: the token
cache checks each entry's checksum before Arrow reads it; figures are written through a
temporary file."""

from __future__ import annotations

import ast
import errno
import random
import struct
import subprocess
import sys
from itertools import accumulate
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from analysis import charts as plots  # noqa: E402
from analysis.text.tokenise import TokenCache, Tokenizer  # noqa: E402

TEXTS = ["我们今天讨论大模型的算力问题", "开源模型会追上 GPT-4 吗", "模型训练需要很多数据"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer()


def _parts(root: Path) -> list[Path]:
    return sorted(root.rglob("part-*.arrow"))


def _fresh(root: Path, tokenizer) -> list[list[str]]:
    return TokenCache(root).lookup(TEXTS, tokenizer).to_pylist()


@pytest.mark.parametrize("damage", ["truncate", "same_length", "garbage", "unchecked"])
def test_a_damaged_part_is_removed_and_rebuilt(tmp_path, tokenizer, damage, caplog):
    expected = [tokenizer.tokenize(t) for t in TEXTS]
    assert _fresh(tmp_path, tokenizer) == expected
    part = _parts(tmp_path)[0]
    data = bytearray(part.read_bytes())
    if damage == "truncate":
        part.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "same_length":  # 模型 -> 模㐀 in the tokens (the last column written)
        at = bytes(data).rfind("型".encode("utf-8"))
        data[at:at + 3] = "㐀".encode("utf-8")
        part.write_bytes(bytes(data))
    elif damage == "garbage":
        part.write_bytes(b"\x00\xff" * 500)
    else:  # an entry without a checksum in its name (an older cache)
        part.rename(part.with_name("part-0123456789abcdef.arrow"))
    assert _fresh(tmp_path, tokenizer) == expected
    assert "damaged" in caplog.text
    assert len(_parts(tmp_path)) == 1  # rebuilt, checksum in its name
    assert _fresh(tmp_path, tokenizer) == expected


@pytest.mark.parametrize("damage", ["tail", "random"])
def test_a_damaged_frame_is_rebuilt(corpus, tmp_path, damage):
    from analysis.text.tokenise import tokens_table

    cold = tokens_table(corpus, cache=tmp_path)
    frame = next(tmp_path.rglob("frame-*.arrow"))
    data = frame.read_bytes()
    if damage == "tail":
        frame.write_bytes(data[:-100] + b"\x07" * 100)
    else:
        frame.write_bytes(random.Random(0).randbytes(len(data)))
    assert tokens_table(corpus, cache=tmp_path).equals(cold)
    assert tokens_table(corpus, cache=tmp_path).equals(cold)


@pytest.mark.parametrize("damage", ["flipped", "offsets"])
def test_a_corrupted_entry_never_crashes_the_interpreter(tmp_path, tokenizer, damage):
    expected = _fresh(tmp_path, tokenizer)
    part = _parts(tmp_path)[0]
    data = bytearray(part.read_bytes())
    if damage == "flipped":  # flip bytes through the file, lengths included
        for i in range(8, len(data) - 8, 7):
            data[i] ^= 0xA5
    else:  # a token list's end far past its buffer: Arrow read it and crashed (SIGSEGV)
        offsets = struct.pack(f"<{len(expected) + 1}i",
                              *accumulate((len(t) for t in expected), initial=0))
        at = bytes(data).index(offsets)
        data[at + 4:at + 8] = struct.pack("<i", 1 << 30)
    part.write_bytes(bytes(data))
    script = ("from analysis.text.tokenise import TokenCache, Tokenizer\n"
              f"print(TokenCache({str(tmp_path)!r}).lookup({TEXTS!r}, Tokenizer()).to_pylist())")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert ast.literal_eval(done.stdout) == expected


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failed_write_leaves_nothing_and_still_returns_tokens(tmp_path, tokenizer,
                                                                  monkeypatch, step):
    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(f"analysis.text.tokenise.os.{step}", full)
    got = TokenCache(tmp_path).lookup(TEXTS, tokenizer).to_pylist()
    assert got == [tokenizer.tokenize(t) for t in TEXTS]
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_damaged_entry_in_a_read_only_cache_still_returns_tokens(tmp_path, tokenizer,
                                                                     monkeypatch):
    expected = _fresh(tmp_path, tokenizer)
    part = _parts(tmp_path)[0]
    part.write_bytes(part.read_bytes()[:100])

    def refused(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "unlink", refused)
    monkeypatch.setattr("analysis.project.folder.open", refused, raising=False)
    assert _fresh(tmp_path, tokenizer) == expected


def test_a_figure_that_fails_to_save_leaves_the_previous_file(tmp_path, monkeypatch):
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    png, svg = plots.save(fig, "demo", folder=tmp_path)
    before = png.read_bytes(), svg.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("analysis.project.folder.os.fsync", full)
    ax.plot([3, 2, 1])
    with pytest.raises(OSError):
        plots.save(fig, "demo", folder=tmp_path)
    assert (png.read_bytes(), svg.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.png", "demo.svg"]
    plt.close(fig)
