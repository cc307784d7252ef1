"""Reading transcript files: bytes to text, with clear errors for empty or undecodable input.

Word documents (`.docx`, as 飞书妙记, 腾讯会议 and 讯飞听见 export them) are read with
python-docx: their text is the document's paragraphs (table cells too, in document order),
one per line, and that text is what every utterance's `raw_text` is a span of.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import TranscriptError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_GB_CODE = re.compile(rb"[\x81-\xfe][\x30-\x39][\x81-\xfe][\x30-\x39]|[\x81-\xfe][\x40-\xfe]")
_ESCAPED = re.compile(r"[\udc80-\udcff]")  # bytes that "surrogateescape" could not decode
_WIDE = re.compile(r"[\u0800-\ud7ff\ue000-\U0010ffff]")  # 3- and 4-byte UTF-8 sequences
from analysis.project.metadata import ERRORS  # noqa: E402
_ENCODING_FIX = "use an encoding such as utf-8, gb18030, utf-16 or big5"
_STRAY_FIX = ("re-save the file as UTF-8, or set `encoding: utf-8` with `errors: replace` for this "
              "event in the project's events.yaml to replace the bad bytes (if the file is in "
              "another encoding, set `encoding:` to that)")


@dataclass(frozen=True)
class Source:
    """A decoded transcript.

    Attributes:
        path: where it was read from.
        text: the decoded text (BOM removed, otherwise exactly the file's characters).
        encoding: the encoding used.
        replaced: how many undecodable bytes became U+FFFD (one each); 0 unless read
            with errors="replace".
    """

    path: Path
    text: str
    encoding: str
    replaced: int = 0


_tally = threading.local()


def _replace_counting(err: UnicodeError) -> tuple[str, int]:
    """Error handler: one U+FFFD per undecodable byte, counted per thread."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    _tally.replaced += err.end - err.start
    return "\ufffd" * (err.end - err.start), err.end


codecs.register_error("analysis.replace", _replace_counting)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode_error(path: Path, data: bytes, start: int, encoding: str,
                  fix: str | None = None) -> TranscriptError:
    """Refusal naming the first undecodable byte (`start` is its offset in `data`)."""
    bad = data[start:start + 4].hex(" ")
    return TranscriptError(
        path,
        f"cannot be decoded as {encoding} (bytes {bad} at byte offset {start:#x})",
        line=_line_of(data, start),
        fix=fix or "save the file as UTF-8, or set `encoding:` (e.g. gb18030, big5, utf-16) "
                   "for this event in the project's events.yaml",
    )


def _stray_bytes_error(path: Path, data: bytes, start: int, count: int) -> TranscriptError:
    """Refusal of a UTF-8 file with a few bad bytes, naming the first of them."""
    what = "1 byte" if count == 1 else f"{count} bytes"
    return TranscriptError(
        path,
        f"cannot be decoded as UTF-8: the file is UTF-8 except for {what} "
        f"(the first, 0x{data[start]:02x}, at byte offset {start:#x})",
        line=_line_of(data, start), fix=_STRAY_FIX)


def _check_codec(path: Path, encoding: object) -> None:
    """Refuse an encoding name Python does not know, or a codec that does not make text."""
    try:
        info = codecs.lookup(encoding)  # type: ignore[arg-type]
    except (LookupError, ValueError, TypeError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise TranscriptError(path, f"unknown encoding {encoding!r}", fix=_ENCODING_FIX)


def _check_errors(path: Path, errors: object) -> None:
    if errors not in ERRORS:
        raise TranscriptError(path, f"unknown `errors` value {errors!r}",
                              fix="use `errors: strict` (the default, refuse undecodable bytes) "
                                  "or `errors: replace` (turn them into U+FFFD)")


def _decode_with(data: bytes, path: Path, codec: str, errors: str, *, skip: int = 0,
                 label: str | None = None) -> tuple[str, int]:
    """data[skip:] decoded with a known text codec; returns (text, bytes replaced)."""
    try:
        if errors == "replace":
            _tally.replaced = 0
            return data[skip:].decode(codec, "analysis.replace"), _tally.replaced
        return data[skip:].decode(codec), 0
    except UnicodeDecodeError as err:
        utf8 = codecs.lookup(codec).name.startswith("utf-8")  # declared UTF-8: stray bytes
        raise _decode_error(path, data, skip + err.start, label or codec,
                            fix=_STRAY_FIX if utf8 else None) from None
    except (UnicodeError, LookupError, ValueError, TypeError) as err:  # codecs such as idna
        raise TranscriptError(path, f"cannot be decoded as {label or codec} ({err})",
                              fix=_ENCODING_FIX) from None


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 spoilt by a few bad bytes: (text with each bad byte as U+FFFD, bad bytes), else None.

    The evidence, over the whole file: valid 3- and 4-byte UTF-8 sequences (each Chinese
    character in UTF-8 is one) against bytes that are not UTF-8. Legacy-encoded text (GB18030,
    GBK, Big5, UTF-16) forms a 3-byte UTF-8 sequence only by coincidence: in the test transcripts
    re-encoded, about once per 50 bad bytes, at most once per 3 in any stretch of 100
    characters or more. One stray byte spoils at most 5 bytes and 1 character of UTF-8, so
    "at least as many sequences as bad bytes" holds for UTF-8 text of 6 or more Chinese
    characters with a stray byte, and for none of those legacy files. 2-byte sequences are
    no evidence: GB18030 forms them all the time.
    """
    text = data.decode("utf-8", "surrogateescape")
    bad = len(_ESCAPED.findall(text))
    if bad and len(_WIDE.findall(text)) >= bad:
        return _ESCAPED.sub("\ufffd", text), bad
    return None


def _gb18030(data: bytes) -> str | None:
    """The GB18030 reading of a file that looks GB-encoded, else None.

    Besides reading as plausible text, most two-byte codes must have two non-ASCII bytes, as
    every GB2312 character has; a lone stray byte in ASCII text instead reads as a code that
    swallows the ASCII character after it (0.01% of codes in simplified Chinese, about 20% in
    traditional Chinese GBK).
    """
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    if "\x00" in text or _plausible(text) <= 0.97:
        return None
    codes = _GB_CODE.findall(data)
    swallowing = sum(1 for code in codes if len(code) == 2 and code[1] < 0x80)
    return text if 2 * swallowing < len(codes) else None


def _plausible(text: str) -> float:
    """Share of characters that ordinary Chinese or English text is made of."""
    if not text:
        return 0.0
    good = sum(1 for c in text if c.isspace() or " " <= c <= "~" or _CJK.match(c))
    return good / len(text)


def _decode_utf16(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a BOM: the byte order whose text looks like text."""
    best = None
    for name in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        score = _plausible(text)
        if score > 0.9 and (best is None or score > best[0]):
            best = (score, text, name)
    return (best[1], best[2]) if best else None


def decode(data: bytes, path: Path, encoding: str | None = None,
           errors: str = "strict") -> tuple[str, str]:
    """Decode a transcript's bytes; returns (text, encoding used).

    Order: the declared encoding; a byte-order mark; UTF-8; UTF-8 with a few bad bytes
    (refused, never guessed as another encoding); UTF-16 without BOM (the file has NUL
    bytes); GB18030 when the result is plausibly Chinese text. Anything else is refused.
    errors="replace" turns undecodable bytes into U+FFFD, under the declared encoding, a BOM's,
    or UTF-8 when the file is UTF-8 but for those bytes; see `decode_counted` for the count.
    """
    text, used, _ = decode_counted(data, path, encoding, errors)
    return text, used


def decode_counted(data: bytes, path: Path, encoding: str | None = None,
                   errors: str = "strict") -> tuple[str, str, int]:
    """As `decode`, also returning how many bytes were replaced by U+FFFD."""
    _check_errors(path, errors)
    if encoding is not None:
        _check_codec(path, encoding)
        text, replaced = _decode_with(data, path, encoding, errors)
        return text.lstrip("\ufeff"), encoding, replaced
    for bom, name in _BOMS:
        if data.startswith(bom):
            text, replaced = _decode_with(data, path, name.replace("-sig", ""), errors,
                                          skip=len(bom), label=name)
            return text, name, replaced
    try:
        return data.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError as err:
        first_bad = err.start
    if mostly := _mostly_utf8(data):
        if errors == "replace":
            return mostly[0], "utf-8", mostly[1]
        raise _stray_bytes_error(path, data, first_bad, mostly[1])
    if b"\x00" in data and (utf16 := _decode_utf16(data)):
        return utf16[0], utf16[1], 0
    if (text := _gb18030(data)) is not None:
        return text, "gb18030", 0
    raise _decode_error(path, data, first_bad, "UTF-8") from None


DOCX = "docx"


def docx_paragraphs(path: Path) -> list[str]:
    """The paragraphs of a Word document in document order, table cells included."""
    import zipfile

    import docx
    from docx.opc.exceptions import OpcError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (OpcError, zipfile.BadZipFile, KeyError, ValueError) as err:
        raise TranscriptError(path, f"is not a readable Word document ({err})",
                              fix="open it in Word or WPS and save it again as .docx, or "
                                  "export the transcript as plain text") from None
    out: list[str] = []

    def walk(parent) -> None:
        for child in parent.iter_inner_content():
            if isinstance(child, Paragraph):
                out.append(child.text)
            elif isinstance(child, Table):
                for row in child.rows:
                    seen = set()
                    for cell in row.cells:
                        if id(cell._tc) not in seen:  # merged cells repeat
                            seen.add(id(cell._tc))
                            walk(cell)

    walk(document)
    return out


def read_source(path: str | Path, encoding: str | None = None, errors: str = "strict") -> Source:
    """Read and decode one transcript file, refusing missing, empty or NUL-containing files.

    errors="replace" turns undecodable bytes into U+FFFD and counts them in `Source.replaced`.
    """
    path = Path(path)
    _check_errors(path, errors)
    if not path.is_file():
        raise TranscriptError(path, "file not found",
                              fix="copy the transcript into seeds/transcripts/ or correct `file:` "
                                  "in the project's events.yaml")
    if path.suffix.lower() == ".doc":
        raise TranscriptError(path, "old Word .doc files cannot be read",
                              fix="save it as .docx (or as plain text) and add that file")
    if path.suffix.lower() == ".docx":
        text = "\n".join(docx_paragraphs(path)).replace("\r\n", "\n")
        if not text.strip():
            raise TranscriptError(path, "the Word document holds no text", line=1,
                                  fix="export the transcript again, or leave this file out")
        return Source(path=path, text=text, encoding=DOCX)
    data = path.read_bytes()
    if not data.strip():
        raise TranscriptError(path, "file is empty" if not data else "file holds only whitespace",
                              line=1, fix="add the transcript text, or remove the event from "
                                          "the project's events.yaml")
    text, used, replaced = decode_counted(data, path, encoding, errors)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise TranscriptError(path, "contains NUL characters (a binary file, or the wrong encoding)",
                              line=line, fix="export the transcript as plain text, or set "
                                             "`encoding:` in the project's events.yaml")
    if not text.replace("\ufeff", "").strip():  # a BOM (or several) counts as nothing
        raise TranscriptError(path, "file holds only whitespace", line=1,
                              fix="add the transcript text, or remove the event from the "
                                  "project's events.yaml")
    return Source(path=path, text=text, encoding=used, replaced=replaced)
