"""Finding a CJK font the PDF can embed.

reportlab embeds TrueType outlines only, so the OpenType/CFF Noto CJK fonts do not
work; WenQuanYi Micro Hei (Debian/Ubuntu ``fonts-wqy-microhei``) and a few other
TrueType CJK fonts do.  ``CSKPI_CJK_FONT`` names a font file to use instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import CskpiError

FONT_ENV = "CSKPI_CJK_FONT"
FONT_NAME = "CskpiCJK"
DEBIAN_PACKAGE = "fonts-wqy-microhei"
PROBE = "客服得分考核"  # characters a usable font must have

# (path, index inside a .ttc collection), most preferred first
SEARCH: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # fonts-wqy-microhei (Debian)
    ("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc", 0),  # Fedora
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # fonts-droid-fallback
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # fonts-arphic-uming
    ("/System/Library/Fonts/STHeiti Light.ttc", 0),  # macOS
    ("C:/Windows/Fonts/simhei.ttf", 0),  # Windows
    ("C:/Windows/Fonts/msyh.ttc", 0),
)


class FontNotFound(CskpiError):
    """No CJK TrueType font was found, so Chinese text cannot be put in a PDF."""

    def __init__(self, tried: list[str]) -> None:
        super().__init__(code="no_cjk_font", params={
            "tried": tried, "package": DEBIAN_PACKAGE, "env": FONT_ENV})


def require_reportlab() -> None:
    """Fail with the install hint when the ``[pdf]`` extra (reportlab) is missing."""
    try:
        import reportlab  # noqa: F401
    except ImportError as exc:
        raise CskpiError(code="no_reportlab") from exc


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0


def _fc_list() -> list[FontFile]:
    """Chinese-capable font files fontconfig knows of (empty without fc-list)."""
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run([exe, ":lang=zh", "file", "index"], capture_output=True,
                             text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in sorted(out.splitlines()):
        path, _, rest = line.partition(":")
        index = rest.strip().removeprefix("index=").strip()
        if path.lower().endswith((".ttf", ".ttc")):
            found.append(FontFile(path.strip(), int(index) if index.isdigit() else 0))
    return found


def candidates() -> list[FontFile]:
    """Font files to try, in order: $CSKPI_CJK_FONT, the search list, fontconfig's."""
    out: list[FontFile] = []
    env = os.environ.get(FONT_ENV)
    if env:
        out.append(FontFile(env))
    out += [FontFile(p, i) for p, i in SEARCH if Path(p).is_file()]
    out += _fc_list()
    return list(dict.fromkeys(out))


def _usable(font: FontFile) -> bool:
    """Whether reportlab can embed the font and it has Chinese glyphs."""
    from reportlab.pdfbase.ttfonts import TTFError, TTFontFile

    try:
        cmap = TTFontFile(font.path, subfontIndex=font.index).charToGlyph
    except (TTFError, OSError, ValueError):
        return False
    return all(ord(c) in cmap for c in PROBE)


_found: dict[str, FontFile] = {}


def cjk_font() -> FontFile:
    """The first candidate reportlab can embed that has Chinese glyphs.

    Raises :class:`FontNotFound` (naming the Debian package) when there is none.
    """
    require_reportlab()
    key = os.environ.get(FONT_ENV, "")
    if key in _found:
        return _found[key]
    tried = candidates()
    for font in tried:
        if _usable(font):
            _found[key] = font
            return font
    raise FontNotFound([f.path for f in tried] or [p for p, _ in SEARCH[:3]])


def register_font(font: FontFile) -> str:
    """Register a font file with reportlab (once) and return the name to use it by."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    name = f"{FONT_NAME}-{Path(font.path).stem}-{font.index}"
    if name not in pdfmetrics.getRegisteredFontNames():
        try:
            pdfmetrics.registerFont(TTFont(name, font.path, subfontIndex=font.index))
        except (TTFError, OSError) as exc:
            raise CskpiError(code="bad_font", params={
                "path": font.path, "detail": str(exc), "package": DEBIAN_PACKAGE}) from exc
    return name
