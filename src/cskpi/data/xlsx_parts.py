"""Looking inside an XLSX package before openpyxl parses it.

An .xlsx file is a zip of XML parts.  Excel never writes a DTD, and a DTD is what XML
entity bombs and external-entity reads need, so a part that declares one is refused
before any XML parser sees it (openpyxl also parses with defusedxml, which refuses
entities; this check holds even where that is switched off).  A part that unpacks to
far more than Excel's compression ever gives is refused too: openpyxl holds the shared
strings in memory.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from .problems import FileProblem

# What reading a damaged zip can raise besides BadZipFile: a corrupt deflate stream,
# an encrypted or unsupported entry, a truncated archive.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError,
              OSError, ValueError)
XML_SUFFIXES = (".xml", ".rels", ".vml")
PROLOG_BYTES = 64 << 10  # Excel's prologs are a few dozen bytes
# XML compresses 10-20x; a part over 64 MB that unpacks 500x is a bomb, not a sheet
BOMB_MIN_BYTES = 64 << 20
BOMB_RATIO = 500


def check_parts(path: Path) -> None:
    """Raise :class:`FileProblem` for a package that is not a zip, or holds a DTD or a
    part that unpacks absurdly."""
    try:
        archive = zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        raise FileProblem("not_text", format="XLSX",
                          detail=f"not a zip package ({exc})") from exc
    with archive:
        try:
            for info in archive.infolist():
                if (info.file_size > BOMB_MIN_BYTES
                        and info.file_size > BOMB_RATIO * max(info.compress_size, 1)):
                    raise FileProblem("xlsx_bomb", part=info.filename, size=info.file_size,
                                      packed=info.compress_size)
                if info.filename.lower().endswith(XML_SUFFIXES):
                    with archive.open(info) as part:
                        prolog = part.read(PROLOG_BYTES)
                    if declares_dtd(prolog):
                        raise FileProblem("xlsx_dtd", part=info.filename)
        except ZIP_ERRORS as exc:
            raise FileProblem("not_text", format="XLSX",
                              detail=f"damaged zip package ({exc})") from exc


def declares_dtd(head: bytes) -> bool:
    """Whether the XML that starts with ``head`` has a declaration (``<!DOCTYPE``,
    ``<!ENTITY`` …) before its root element, or a prolog longer than ``head``."""
    text = head.replace(b"\x00", b"")  # UTF-16 parts: ASCII markup with NULs between
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        text = text.removeprefix(bom)
    i = 0
    while True:
        while i < len(text) and text[i : i + 1].isspace():
            i += 1
        if text.startswith(b"<?", i):
            end = text.find(b"?>", i)
            if end < 0:
                return len(head) >= PROLOG_BYTES
            i = end + 2
        elif text.startswith(b"<!--", i):
            end = text.find(b"-->", i)
            if end < 0:
                return len(head) >= PROLOG_BYTES
            i = end + 3
        elif text.startswith(b"<!", i):
            return True
        else:
            # the root element (or not XML at all, which the parser reports); an empty
            # prolog that fills ``head`` is suspicious as well
            return i >= len(text) and len(head) >= PROLOG_BYTES
