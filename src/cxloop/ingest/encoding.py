"""Turn a file's bytes into UTF-8, or say exactly why not (file and line).

Policy (see docs/ingest.md, "Encodings"):

- A byte-order mark decides: UTF-8 BOM is dropped; UTF-16 (LE/BE) is converted.
- ``--encoding`` (or ``[csv] encoding`` in the mapping) is used as declared; a byte
  that does not decode stops the ingest with the line it is on.
- Otherwise the file must be UTF-8. If it is not, it is read as Windows-1252 (what
  Excel on Windows writes, a superset of Latin-1 for printable text) and a warning
  names the first line that was not UTF-8 and how to choose another encoding. If it
  is not Windows-1252 either, the ingest stops with that line and asks for
  ``--encoding``.
- Binary files (an Excel workbook, a zip, UTF-16 without a BOM) are refused with a
  hint instead of being parsed into garbage.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from ..errors import InputUnreadable

FALLBACK = "cp1252"
_CHUNK = 16 * 1024 * 1024


@dataclass
class Decoded:
    """UTF-8 bytes of a file, the encoding they came from and any warning about it."""

    data: bytes
    encoding: str
    warnings: list[str] = field(default_factory=list)


def line_of(data: bytes, offset: int) -> int:
    """1-based line number of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


class NotUtf8(Exception):
    """Raised by a reader that was handed unchecked bytes and met invalid UTF-8."""


def to_utf8(path: str, data: bytes, encoding: str | None = None, check: bool = True) -> Decoded:
    """The file's content as UTF-8 bytes, following the policy in the module docstring.

    With ``check=False`` undeclared bytes without a BOM are passed through unchecked,
    for a reader that validates UTF-8 itself and raises ``NotUtf8`` (then call again
    with ``check=True`` for the fallback).
    """
    if data.startswith(codecs.BOM_UTF8):
        if encoding and _canonical(path, encoding) != "utf-8":
            return Decoded(
                _checked_utf8(path, data[3:], 3),
                "utf-8",
                [f"the file starts with a UTF-8 byte-order mark; read as UTF-8, not {encoding}"],
            )
        return Decoded(_checked_utf8(path, data[3:], 3), "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoded(_transcode(path, data, "utf-16"), "utf-16")
    _refuse_binary(path, data)
    if encoding:
        name = _canonical(path, encoding)
        if name == "utf-8":
            return Decoded(_checked_utf8(path, data, 0), name)
        return Decoded(_transcode(path, data, name), name)
    if not check:
        return Decoded(data, "utf-8")
    bad = _first_invalid_utf8(data)
    if bad is None:
        return Decoded(data, "utf-8")
    line = line_of(data, bad)
    try:
        converted = data.decode(FALLBACK).encode("utf-8")
    except UnicodeDecodeError as e:
        raise InputUnreadable(
            path,
            f"not valid UTF-8 (byte 0x{data[bad]:02x}) and not Windows-1252 either "
            f"(byte 0x{data[e.start]:02x} at line {line_of(data, e.start)}); "
            "pass --encoding with the file's encoding",
            line=line,
        ) from None
    warning = (
        f"not valid UTF-8 (first at line {line}, byte 0x{data[bad]:02x}); read as "
        f"Windows-1252 (cp1252). If accented letters look wrong, re-run with --encoding"
    )
    return Decoded(converted, FALLBACK, [warning])


def _canonical(path: str, encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name.replace("_", "-")
    except LookupError:
        raise InputUnreadable(
            path, f"unknown encoding {encoding!r} (try utf-8, cp1252, latin-1, utf-16)"
        ) from None


def _first_invalid_utf8(data: bytes) -> int | None:
    """Byte offset of the first byte that is not valid UTF-8, or None (chunked, no big copy)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(0, len(data), _CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(view[start : start + _CHUNK], final=start + _CHUNK >= len(data))
        except UnicodeDecodeError as e:
            return max(0, start - pending + e.start)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as e:
        return max(0, len(data) - len(decoder.getstate()[0]) + e.start)
    return None


def _checked_utf8(path: str, data: bytes, shift: int) -> bytes:
    bad = _first_invalid_utf8(data)
    if bad is not None:
        raise InputUnreadable(
            path,
            f"not valid UTF-8 (byte 0x{data[bad]:02x}); pass --encoding with the file's "
            "encoding (for example cp1252 or latin-1)",
            line=line_of(data, bad),
        )
    return data


def _transcode(path: str, data: bytes, encoding: str) -> bytes:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise InputUnreadable(
            path,
            f"byte 0x{data[e.start]:02x} is not valid {encoding}; pass the file's encoding "
            "with --encoding",
            line=line_of(data, e.start) if "16" not in encoding else None,
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.encode("utf-8")


def _refuse_binary(path: str, data: bytes) -> None:
    head = data[:4096]
    if head.startswith(b"PK\x03\x04"):
        raise InputUnreadable(
            path,
            "this is an Excel workbook or another zip file, not CSV; save it as "
            "'CSV UTF-8' and ingest that",
        )
    if b"\x00" in head:
        hint = (
            "it looks like UTF-16 without a byte-order mark: pass --encoding utf-16-le"
            if head[1::2].count(0) > len(head) // 4
            else "binary data (NUL bytes) where text was expected"
        )
        raise InputUnreadable(path, hint, line=line_of(data, head.index(b"\x00")))
