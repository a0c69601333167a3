"""Which encoding a text file is in, and reading it as UTF-8.

Detected, never asked for (``--encoding`` overrides): UTF-8 with or without BOM, UTF-16
with a BOM or without (then told from the NUL bytes of its ASCII and by decoding: a
Chinese UTF-16 file has NULs only in its delimiters and digits), GBK/GB18030 (what
Chinese Excel writes) and Big5 (Traditional Chinese).  GB18030 decodes almost any byte
pairs, Big5 text too, into nonsense: the two are told apart by where the pairs fall
(GBK text is nearly all GB2312, whose second byte is 0xA1 or above; half of Big5's
second bytes are below).  A file in none of them says which were tried and suggests
``--encoding``; a UTF-8 file with a few bad bytes is UTF-8 with an error on that line,
not GBK.  Files that are not UTF-8 are transcoded in fixed-size chunks (bounded memory).
"""

from __future__ import annotations

import codecs
import unicodedata

from .problems import FileProblem

CHUNK_BYTES = 8 << 20
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                  "utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "gb18030": "GBK/GB18030",
                  "cp950": "Big5", "big5": "Big5"}
TRIED = "UTF-8, UTF-16, GBK/GB18030, Big5"
# at least this share of a GBK-decoded text's two-byte characters lie in GB2312
GB2312_SHARE = 0.85
# a UTF-8 file "with a bad byte": at most this many errors in a sample otherwise UTF-8
UTF8_STRAY_ERRORS = 3

class NotText(FileProblem):
    """The file is not text in any supported encoding."""


def codec_of(name: str) -> str:
    """The Python codec of an ``--encoding`` value (``gbk`` -> gb18030, a superset)."""
    key = name.strip().lower().replace("_", "-")
    aliases = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "big5": "cp950",
               "utf8": "utf-8", "utf-8-bom": "utf-8-sig", "utf16": "utf-16"}
    codec = aliases.get(key, key)
    codecs.lookup(codec)  # LookupError for an unknown name
    return codec


def line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def line_at(data: bytes, offset: int, encoding: str) -> int:
    """The line (1-based) of byte ``offset`` of ``data``."""
    return line_breaks(data[:offset].decode(encoding, errors="replace")) + 1


def decode_prefix(sample: bytes, encoding: str, errors: str = "strict") -> str:
    """Decode a sample that may end in the middle of a multi-byte character."""
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    return decoder.decode(sample, final=False)


def detect_encoding(sample: bytes) -> str:
    """Guess the encoding of a file from its first bytes.

    Returns a Python codec name: ``utf-8-sig``, ``utf-8``, ``utf-16``, ``utf-16-le``,
    ``utf-16-be``, ``gb18030`` (a superset of GBK and GB2312) or ``cp950`` (Big5).
    Raises :class:`NotText` for binary content, for bytes that are text in none of them,
    and for a UTF-8 file with a stray bad byte (naming its line).
    """
    if sample.startswith(codecs.BOM_UTF8):
        try:
            decode_prefix(sample[3:], "utf-8")
        except UnicodeDecodeError as exc:
            raise NotText("bad_encoding", row=line_at(sample[3:], exc.start, "utf-8"),
                          encoding="UTF-8", offset=3 + exc.start,
                          line=line_at(sample[3:], exc.start, "utf-8")) from exc
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample and b"\x00" in sample:
        return _utf16_without_bom(sample)
    try:
        decode_prefix(sample, "utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        first_error = exc.start
    if _mostly_utf8(sample):
        line = line_at(sample, first_error, "utf-8")
        raise NotText("bad_encoding", row=line, encoding="UTF-8", offset=first_error,
                      line=line)
    return _double_byte(sample)


def _utf16_without_bom(sample: bytes) -> str:
    """UTF-16 without BOM, by decoding: the reading whose text is plausible wins."""
    best, score = "", 0.0
    for codec in ("utf-16-le", "utf-16-be"):
        text = decode_prefix(sample[: len(sample) // 2 * 2], codec, errors="replace")
        if not text:
            continue
        good = sum(1 for ch in text if _plausible(ch))
        if good / len(text) > score:
            best, score = codec, good / len(text)
    if score >= 0.95:
        return best
    raise NotText("not_text", format="CSV",
                  detail=f"binary content, a NUL byte at byte {sample.index(0)}")


def _plausible(ch: str) -> bool:
    """A character a table export holds: printable ASCII, CJK, punctuation, line breaks."""
    if ch in "\r\n\t":
        return True
    if ch == "\ufffd" or ch == "\x00":
        return False
    category = unicodedata.category(ch)
    return not category.startswith("C") and category not in ("Co", "Cs", "Cn")


def _mostly_utf8(sample: bytes) -> bool:
    """UTF-8 text with a few bad bytes (a damaged file), rather than another encoding."""
    text = decode_prefix(sample, "utf-8", errors="replace")
    errors = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    return errors <= UTF8_STRAY_ERRORS and multibyte >= 10 * errors


def _gb2312_share(sample: bytes) -> float:
    """The share of two-byte characters of ``sample`` (read as GBK) that are GB2312."""
    pairs = inside = 0
    i, n = 0, len(sample) - 1
    while i < n:
        b = sample[i]
        if b < 0x80:
            i += 1
            continue
        pairs += 1
        if 0xA1 <= b <= 0xF7 and 0xA1 <= sample[i + 1] <= 0xFE:
            inside += 1
        i += 2
    return inside / pairs if pairs else 1.0


def _double_byte(sample: bytes) -> str:
    """GBK/GB18030 or Big5, or :class:`NotText` naming the encodings tried."""
    results: dict[str, UnicodeDecodeError | None] = {}
    for codec in ("gb18030", "cp950"):
        try:
            decode_prefix(sample, codec)
            results[codec] = None
        except UnicodeDecodeError as exc:
            results[codec] = exc
    gbk, big5 = results["gb18030"] is None, results["cp950"] is None
    if gbk and (not big5 or _gb2312_share(sample) >= GB2312_SHARE):
        return "gb18030"
    if big5:
        return "cp950"
    exc = results["gb18030"]
    assert exc is not None
    raise NotText("undecodable", row=line_at(sample, exc.start, "gb18030"), tried=TRIED,
                  line=line_at(sample, exc.start, "gb18030"))


def transcode_to_utf8(src: object, dst: object, encoding: str) -> None:
    """Stream ``src`` into ``dst`` (paths) as UTF-8, chunk by chunk (bounded memory)."""
    from pathlib import Path

    src, dst = Path(str(src)), Path(str(dst))
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    name = ENCODING_NAMES.get(encoding, encoding)
    offset = 0
    line = 1
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(CHUNK_BYTES):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = max(0, min(exc.start, len(chunk)))
                where = line + line_breaks(chunk[:at].decode(encoding, "replace"))
                raise NotText("bad_encoding", row=where, encoding=name, offset=offset + at,
                              line=where) from exc
            fout.write(text.encode("utf-8"))
            line += line_breaks(text)
            offset += len(chunk)
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:  # an odd number of UTF-16 bytes, a cut character
            raise NotText("truncated_text", row=line, encoding=name, line=line) from exc
        fout.write(tail.encode("utf-8"))
