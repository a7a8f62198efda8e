"""Documents as Chinese offices file them (党政机关公文格式, GB/T 9704-2012 style).

Word documents: A4, 版心 156 × 225 mm (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm),
title in 二号小标宋, body in 三号仿宋 on a fixed 28 pt line (22 lines a page), level-one
headings in 三号黑体, level-two in 三号楷体, Latin letters and digits in Times New Roman,
and the page number "— 1 —" in 四号宋体 at the foot. The fonts are named, not embedded: a
Word file is opened on an office PC that has them. For a PC that lacks one (方正小标宋 is
not in stock Windows), the font table gives each a GB2312 charset, a family and an
alternative name, so Word substitutes a Song, Kai or Hei face instead of a Latin one.

PDFs cannot count on the reader's fonts: `pdf_font()` registers the first TrueType
Chinese font found on this machine (仿宋 if installed, else Debian's AR PL UMing or
WenQuanYi Zen Hei; DOORSTEP_PDF_FONT names a file to use instead) and reportlab embeds
the subset of glyphs used. Only when none is installed does it fall back to reportlab's
built-in STSong-Light, which is not embedded.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

# Page geometry, millimetres.
PAGE_WIDTH, PAGE_HEIGHT = 210, 297
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 37, 35, 28, 26

# Chinese type sizes, points.
SIZE_2 = 22  # 二号
SIZE_3 = 16  # 三号
SIZE_4 = 14  # 四号
SIZE_SMALL_4 = 12  # 小四
BODY_LINE = 28  # fixed line pitch: 225 mm holds 22 lines

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体"
NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"


@dataclass(frozen=True)
class _Face:
    alt: str  # what Word may use when the font is missing
    family: str  # w:family: roman (serif), modern (fixed), swiss (sans), script
    panose: str


# GB2312 charset (86) on every entry: a substitute must cover Chinese.
FALLBACKS: dict[str, _Face] = {
    TITLE_FONT: _Face("宋体", "roman", "02010600030101010101"),
    BODY_FONT: _Face("FangSong", "modern", "02010609060101010101"),
    HEADING_FONT: _Face("SimHei", "modern", "02010609060101010101"),
    SUBHEADING_FONT: _Face("KaiTi", "modern", "02010609060101010101"),
    NUMBER_FONT: _Face("SimSun", "auto", "02010600030101010101"),
}


def set_fonts(target: Any, east_asia: str, size: float | None = None) -> None:
    """Give a style or a run its Chinese font, Latin font and size."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = target.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    element = target.element if hasattr(target, "element") else target._element
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def new_document() -> Any:
    """An empty python-docx Document laid out as above."""
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP), Mm(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT), Mm(MARGIN_RIGHT)
    section.footer_distance = Mm(20)

    styles = document.styles
    normal = styles["Normal"]
    set_fonts(normal, BODY_FONT, SIZE_3)
    body = normal.paragraph_format
    body.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    body.line_spacing = Pt(BODY_LINE)
    body.space_before = body.space_after = Pt(0)

    for name, font, size, center in (
        ("Title", TITLE_FONT, SIZE_2, True),
        ("Heading 1", HEADING_FONT, SIZE_3, False),
        ("Heading 2", SUBHEADING_FONT, SIZE_3, False),
    ):
        style = styles[name] if name in styles else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        set_fonts(style, font, size)
        style.font.bold = False
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        fmt = style.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(36 if name == "Title" else BODY_LINE)
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(BODY_LINE if name == "Title" else 0)
        fmt.first_line_indent = None
        if center:
            fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _drop_theme_fonts(style)

    _page_numbers(section)
    _declare_fallbacks(document)
    return document


def body_paragraph(document: Any, text: str) -> Any:
    """A body paragraph with the two-character first-line indent of 公文."""
    from docx.shared import Pt

    paragraph = document.add_paragraph(text)
    paragraph.paragraph_format.first_line_indent = Pt(SIZE_3 * 2)
    return paragraph


def to_bytes(document: Any) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _drop_theme_fonts(style: Any) -> None:
    """The default template's headings take theme fonts (Calibri Light), which override
    the names set above; remove them."""
    from docx.oxml.ns import qn

    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _page_numbers(section: Any) -> None:
    """ "— N —" centred at the foot, 四号宋体 (a PAGE field, so Word counts)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def run(text: str = "") -> Any:
        r = paragraph.add_run(text)
        set_fonts(r, NUMBER_FONT, SIZE_4)
        return r

    run("— ")
    for kind, instr in (("begin", None), (None, " PAGE "), ("end", None)):
        r = run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            r._element.append(char)
        else:
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = instr
            r._element.append(text)
    run(" —")


def _declare_fallbacks(document: Any) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml.ns import qn
    from lxml import etree

    part = document.part.part_related_by(RT.FONT_TABLE)
    table = etree.fromstring(part.blob)
    known = {f.get(qn("w:name")) for f in table.findall(qn("w:font"))}
    for name, face in FALLBACKS.items():
        if name in known:
            continue
        font = etree.SubElement(table, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, value in (
            ("w:altName", face.alt),
            ("w:panose1", face.panose),
            ("w:charset", "86"),
            ("w:family", face.family),
            ("w:pitch", "variable"),
        ):
            etree.SubElement(font, qn(tag)).set(qn("w:val"), value)
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


# -- PDF ---------------------------------------------------------------------------

PDF_FAMILIES = ("FangSong", "仿宋", "AR PL UMing CN", "WenQuanYi Zen Hei", "AR PL UKai CN")
PDF_FALLBACK = "STSong-Light"
PDF_FONT_NAME = "DoorstepCJK"


def _installed() -> dict[str, tuple[str, int]]:
    """Chinese TrueType faces fontconfig knows: family -> (file, index in a collection)."""
    if not shutil.which("fc-list"):
        return {}
    try:
        listing = subprocess.run(
            ["fc-list", ":lang=zh", "--format", "%{family}|%{file}|%{index}|%{fontformat}\n"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    faces: dict[str, tuple[str, int]] = {}
    for line in listing.splitlines():
        families, path, index, fmt = (line.split("|") + ["", "", ""])[:4]
        if fmt != "TrueType":  # reportlab embeds TrueType outlines only, not CFF (.otf)
            continue
        for family in families.split(","):
            faces.setdefault(family.strip(), (path, int(index or 0)))
    return faces


@functools.cache
def pdf_font() -> str:
    """Register and return the name of the Chinese font PDFs are drawn with."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    candidates: list[tuple[str, int]] = []
    chosen = os.environ.get("DOORSTEP_PDF_FONT", "")
    if chosen:
        file, _, number = chosen.partition(":")
        candidates.append((file, int(number or 0)))
    faces = _installed()
    candidates += [faces[f] for f in PDF_FAMILIES if f in faces]
    for path, index in candidates:
        try:
            pdfmetrics.registerFont(TTFont(PDF_FONT_NAME, path, subfontIndex=index))
        except (TTFError, OSError) as exc:
            logger.warning("PDF font %s:%s cannot be embedded: %s", path, index, exc)
            continue
        return PDF_FONT_NAME
    logger.warning(
        "No Chinese TrueType font installed (apt-get install fonts-arphic-uming): PDFs use "
        "the built-in %s, which is not embedded",
        PDF_FALLBACK,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FALLBACK))
    return PDF_FALLBACK
