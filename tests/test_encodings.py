"""Encodings: a stray byte in UTF-8 is refused, never read as GB18030 mojibake; errors="replace"
replaces and counts; bad encoding names and empty files give a TranscriptError, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import TranscriptError
from analysis.ingest.sources import decode, read_source

ROOT = Path(__file__).resolve().parents[1]
PATH = Path("demo.txt")
SENTENCE = "主持人：我们今天请到了贝翼杰老师。\n"


def _insert(data: bytes, offset: int, byte: int) -> bytes:
    return data[:offset] + bytes([byte]) + data[offset:]


def _first_bad(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start
    raise AssertionError("expected invalid UTF-8")


# Each of these was silently decoded as GB18030 mojibake before (e.g. 贝翼杰 -> 璐濈考鏉).
@pytest.mark.parametrize("text, offset, byte, line", [
    ("贝翼杰：我们先说 AI\n贝翼杰：好的\n主持人：OK\n", 56, 0x80, 3),
    ("贝翼杰：我们先说 AI\n贝翼杰：好的\n贝翼杰：对\n", 61, 0x81, 3),
    ("贝翼杰：好的\n主持人：OK\n贝翼杰：我们先说 AI\n", 25, 0x81, 2),
    ("主持人：好\n贝翼杰：好的\n", 15, 0x80, 1),
])
def test_stray_byte_in_utf8_is_refused_not_read_as_gb18030(text, offset, byte, line):
    data = _insert(text.encode("utf-8"), offset, byte)
    with pytest.raises(TranscriptError) as caught:
        decode(data, PATH)
    err = caught.value
    first = _first_bad(data)
    assert err.line == line
    assert f"0x{data[first]:02x}, at byte offset {first:#x}" in err.problem
    assert "re-save the file as UTF-8" in err.fix and "`errors: replace`" in err.fix


@pytest.mark.parametrize("byte", [0xFF, 0x80])
def test_stray_byte_error_names_line_offset_and_fix(tmp_path, byte):
    data = (SENTENCE * 4).encode("utf-8")
    offset = 2 * len(SENTENCE.encode("utf-8")) + 9  # line 3, after 主持人
    path = tmp_path / "stray.txt"
    path.write_bytes(_insert(data, offset, byte))
    with pytest.raises(TranscriptError) as caught:
        read_source(path)
    message = str(caught.value)
    assert "stray.txt:3: cannot be decoded as UTF-8" in message
    assert f"except for 1 byte (the first, 0x{byte:02x}, at byte offset {offset:#x})" in message
    assert "set `encoding: utf-8` with `errors: replace`" in message


def test_stray_byte_in_ascii_text_is_refused():
    data = _insert(b"Kevin: Thanks for joining, everyone.\nLisa: Sure.\n", 11, 0x81)
    with pytest.raises(TranscriptError, match="cannot be decoded as UTF-8"):
        decode(data, PATH)  # GB18030 would read 0x81 't' as one character


_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_OTHER = st.sampled_from(list("AIgpt019 :,.\n\t，。：？！“”（）《》·é😀"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_one_inserted_byte_never_decodes_to_other_text(data):
    """Six or more Chinese characters are evidence enough (see sources._mostly_utf8)."""
    chars = data.draw(st.lists(_HAN, min_size=6, max_size=30)) + data.draw(
        st.lists(_OTHER, max_size=20))
    text = "".join(data.draw(st.permutations(chars)))
    raw = text.encode("utf-8")
    mutated = _insert(raw, data.draw(st.integers(0, len(raw))), data.draw(st.integers(0, 255)))
    try:
        expected = mutated.decode("utf-8")  # still valid UTF-8 (e.g. an ASCII byte): read as such
    except UnicodeDecodeError:
        expected = None
    try:
        got, used = decode(mutated, PATH)
    except TranscriptError:
        assert expected is None, "valid UTF-8 was refused"
        return
    assert expected is not None, f"bad UTF-8 was read as {used}: {got!r}"
    assert (got, used) == (expected, "utf-8")


@pytest.mark.parametrize("text, encoding", [
    ("主持人：今天我们讨论大模型。\n" * 4, "gb18030"),
    ("主持人：今天我们讨论大模型。\n王明：好的，先说算力。\n", "gb18030"),
    ("Kevin: 朱镕基 said so.\n王磊：是的，镕字在 GBK 里第二个字节是 F。\n", "gbk"),  # 镕 = e9 46
    ("開源模型的進步速度超出了很多人的預期，這是真的。\n" * 3, "gbk"),
])
def test_genuine_gb_files_are_still_detected(text, encoding):
    assert decode(text.encode(encoding), PATH) == (text, "gb18030")


def test_samples_still_decode():
    files = [p for p in (ROOT / "tests" / "samples").rglob("*")
             if p.is_file() and p.suffix in {".txt", ".srt", ".vtt", ".md", ".json"}]
    encodings = {p.name: read_source(p).encoding for p in files}
    assert encodings.pop("roundtable_utf16.txt").startswith("utf-16")
    assert set(encodings.values()) == {"utf-8"}


def test_replace_turns_each_bad_byte_into_fffd_and_counts_it(tmp_path):
    raw = (SENTENCE * 3).encode("utf-8")
    offset = len(SENTENCE.encode("utf-8")) + 9
    data = _insert(_insert(raw, offset, 0xFF), 0, 0x80)
    want = "\ufffd" + SENTENCE + "主持人\ufffd" + SENTENCE[3:] + SENTENCE
    assert decode(data, PATH, errors="replace") == (want, "utf-8")
    assert decode(data, PATH, "utf-8", errors="replace") == (want, "utf-8")
    path = tmp_path / "stray.txt"
    path.write_bytes(data)
    source = read_source(path, errors="replace")
    assert (source.text, source.encoding, source.replaced) == (want, "utf-8", 2)
    assert read_source(path, "utf-8", errors="replace").replaced == 2
    gb = _insert(SENTENCE.encode("gb18030"), 6, 0xFF)
    path.write_bytes(gb)
    assert read_source(path, "gb18030", errors="replace").replaced == 1
    with pytest.raises(TranscriptError, match="cannot be decoded"):
        read_source(path)  # strict is the default


def test_replace_is_not_used_unless_asked(tmp_path):
    path = tmp_path / "clean.txt"
    path.write_text(SENTENCE, encoding="utf-8")
    assert read_source(path).replaced == 0 and read_source(path, errors="replace").replaced == 0


@pytest.mark.parametrize("errors", ["ignore", "surrogateescape", "", "REPLACE", None])
def test_unknown_errors_value_is_refused(tmp_path, errors):
    path = tmp_path / "clean.txt"
    path.write_text(SENTENCE, encoding="utf-8")
    with pytest.raises(TranscriptError, match="unknown `errors` value"):
        read_source(path, errors=errors)
    with pytest.raises(TranscriptError, match="unknown `errors` value"):
        decode(SENTENCE.encode(), PATH, errors=errors)


@pytest.mark.parametrize("encoding", ["rot13", "hex", "utf-8\0", "base64", "", "bz2", "zlib",
                                      "uu", "no-such-codec", "mbcs", 5])
def test_unknown_or_non_text_encoding_is_refused(tmp_path, encoding):
    path = tmp_path / "demo.txt"
    path.write_text(SENTENCE, encoding="utf-8")
    for call in (lambda: decode(SENTENCE.encode(), path, encoding),
                 lambda: read_source(path, encoding)):
        with pytest.raises(TranscriptError) as caught:
            call()
        assert caught.value.problem == f"unknown encoding {encoding!r}"
        assert caught.value.fix == "use an encoding such as utf-8, gb18030, utf-16 or big5"


@pytest.mark.parametrize("encoding", ["undefined", "idna"])
def test_codec_that_fails_without_a_position_is_refused(encoding):
    with pytest.raises(TranscriptError, match=f"cannot be decoded as {encoding}"):
        decode(SENTENCE.encode(), PATH, encoding)


def test_declared_encoding_failure_names_offset_and_line():
    data = (SENTENCE * 2).encode("utf-8") + b"\xff\n"
    with pytest.raises(TranscriptError) as caught:
        decode(data, PATH, "utf-8")
    assert caught.value.line == 3 and f"at byte offset {len(data) - 2:#x}" in caught.value.problem
    assert "`errors: replace`" in caught.value.fix
    with pytest.raises(TranscriptError) as caught:
        decode("first line\n第二行\n".encode("gb18030"), PATH, "ascii")
    assert caught.value.line == 2
    assert caught.value.problem == ("cannot be decoded as ascii "
                                    "(bytes b5 da b6 fe at byte offset 0xb)")


@pytest.mark.parametrize("content", [b"", b" \r\n\t", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
                                     b"\xef\xbb\xbf \n", b"\xff\xfe \x00\n\x00",
                                     b"\xef\xbb\xbf\xef\xbb\xbf\n", "\u3000\n".encode()])
def test_empty_whitespace_or_bom_only_file_is_refused(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(TranscriptError,
                       match=r"empty.txt:1: file (is empty|holds only whitespace)"):
        read_source(path)
