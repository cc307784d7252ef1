"""Reading transcript files: bytes to text, with clear errors for empty or undecodable input.

Word documents (`.docx`, as 飞书妙记, 腾讯会议 and 讯飞听见 export them) are read with
python-docx: their text is the document's paragraphs (table cells too, in document order),
one per line, and that text is what every utterance's `raw_text` is a span of.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import TranscriptError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@dataclass(frozen=True)
class Source:
    """A decoded transcript.

    Attributes:
        path: where it was read from.
        text: the decoded text (BOM removed, otherwise exactly the file's characters).
        encoding: the encoding used.
    """

    path: Path
    text: str
    encoding: str


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode_error(path: Path, data: bytes, err: UnicodeDecodeError, encoding: str) -> TranscriptError:
    bad = data[err.start:err.start + 4].hex(" ")
    return TranscriptError(
        path,
        f"cannot be decoded as {encoding} (bytes {bad} at byte {err.start})",
        line=_line_of(data, err.start),
        fix="save the file as UTF-8, or set `encoding:` (e.g. gb18030, big5, utf-16) "
            "for this event in the project's events.yaml",
    )


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


def decode(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode a transcript's bytes; returns (text, encoding used).

    Order: the declared encoding; a byte-order mark; UTF-8; UTF-16 without BOM (the file has
    NUL bytes); GB18030 when the result is plausibly Chinese text. Anything else is refused.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise TranscriptError(path, f"unknown encoding {encoding!r}",
                                  fix="use a Python codec name such as utf-8, gb18030, big5 or utf-16")
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as err:
            raise _decode_error(path, data, err, encoding) from None
        return text.lstrip("\ufeff"), encoding
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name.replace("-sig", "")), name
            except UnicodeDecodeError as err:
                raise _decode_error(path, data, err, name) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_err:
        if b"\x00" in data and (utf16 := _decode_utf16(data)):
            return utf16
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise _decode_error(path, data, utf8_err, "UTF-8") from None
        if "\x00" not in text and _plausible(text) > 0.97:
            return text, "gb18030"
        raise _decode_error(path, data, utf8_err, "UTF-8") from None


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


def read_source(path: str | Path, encoding: str | None = None) -> Source:
    """Read and decode one transcript file, refusing missing, empty or NUL-containing files."""
    path = Path(path)
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
    text, used = decode(data, path, encoding)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise TranscriptError(path, "contains NUL characters (a binary file, or the wrong encoding)",
                              line=line, fix="export the transcript as plain text, or set "
                                             "`encoding:` in the project's events.yaml")
    if not text.strip():
        raise TranscriptError(path, "file holds only whitespace", line=1,
                              fix="add the transcript text, or remove the event from the "
                                  "project's events.yaml")
    return Source(path=path, text=text, encoding=used)
