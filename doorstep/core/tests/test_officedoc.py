"""Documents as offices file them: the layout a clerk checks in Word's page set-up and font
box (A4, the 公文 margins, 仿宋 body, 小标宋 title, page numbers), and the fallbacks Word
uses on a PC without those fonts; the PDF font chosen from what is installed."""

from __future__ import annotations

import io
import logging
import shutil

import pytest
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from lxml import etree

from doorstep.core import officedoc


def layout_of(content: bytes) -> dict[str, object]:
    """What Word's page set-up and style boxes would show for the file."""
    document = Document(io.BytesIO(content))
    section = document.sections[0]

    def east_asia(style: str) -> str | None:
        return document.styles[style].element.rPr.rFonts.get(qn("w:eastAsia"))

    footer = section.footer._element.xml
    table = etree.fromstring(document.part.part_related_by(RT.FONT_TABLE).blob)
    fallbacks = {
        f.get(qn("w:name")): (
            f.find(qn("w:altName")).get(qn("w:val")),
            f.find(qn("w:charset")).get(qn("w:val")),
        )
        for f in table.findall(qn("w:font"))
        if f.find(qn("w:altName")) is not None
    }
    return {
        "page": (round(section.page_width.mm), round(section.page_height.mm)),
        "margins": tuple(
            round(m.mm)
            for m in (
                section.top_margin,
                section.bottom_margin,
                section.left_margin,
                section.right_margin,
            )
        ),
        "body": (east_asia("Normal"), document.styles["Normal"].font.size.pt),
        "latin": document.styles["Normal"].font.name,
        "title": (east_asia("Title"), document.styles["Title"].font.size.pt),
        "heading": east_asia("Heading 1"),
        "page_number": "PAGE" in footer and "— " in footer,
        "fallbacks": fallbacks,
        "document": document,
    }


def assert_filed_as_office_document(content: bytes) -> Document:
    got = layout_of(content)
    assert got["page"] == (210, 297)  # A4, not US Letter
    assert got["margins"] == (37, 35, 28, 26)  # GB/T 9704: 版心 156 × 225 mm
    assert got["body"] == ("仿宋", 16)  # 三号仿宋
    assert got["title"] == ("方正小标宋简体", 22)  # 二号小标宋
    assert got["heading"] == "黑体"
    assert got["latin"] == "Times New Roman"
    assert got["page_number"]
    fallbacks = got["fallbacks"]
    assert isinstance(fallbacks, dict)
    assert fallbacks["方正小标宋简体"] == ("宋体", "86")  # a Song face, GB2312
    assert fallbacks["仿宋"] == ("FangSong", "86")
    return got["document"]


def test_a_new_document_is_a4_with_the_official_fonts_and_margins():
    document = officedoc.new_document()
    document.add_heading("关于开展“家门口”服务的通知", level=0)
    officedoc.body_paragraph(document, "各社区：" + "为民服务" * 40)
    content = officedoc.to_bytes(document)
    reread = assert_filed_as_office_document(content)
    title, body = reread.paragraphs[0], reread.paragraphs[1]
    assert title.style.name == "Title" and title.text.startswith("关于开展")
    assert body.paragraph_format.first_line_indent == Pt(32)  # two characters
    # one 28-point line: 225 mm holds 22 lines
    assert reread.styles["Normal"].paragraph_format.line_spacing == Pt(28)
    assert int(Mm(225) / Pt(28)) == 22


def test_the_pdf_font_is_an_installed_truetype_chinese_face(monkeypatch):
    officedoc.pdf_font.cache_clear()
    try:
        name = officedoc.pdf_font()
        assert name == officedoc.PDF_FONT_NAME, "no Chinese TrueType font: run `make browser`"
    finally:
        officedoc.pdf_font.cache_clear()


def test_a_pdf_font_that_cannot_be_embedded_is_passed_over_with_a_warning(monkeypatch, caplog):
    """Noto CJK is OpenType with CFF outlines, which reportlab cannot embed: named in
    DOORSTEP_PDF_FONT, it is logged and the next installed face is used."""
    noto = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
    if not shutil.which("fc-list"):
        pytest.fail("fontconfig missing: run `make browser`")
    monkeypatch.setenv("DOORSTEP_PDF_FONT", f"{noto}:2")
    officedoc.pdf_font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="doorstep.core.officedoc"):
            assert officedoc.pdf_font() == officedoc.PDF_FONT_NAME
        assert any("cannot be embedded" in r.getMessage() for r in caplog.records)
    finally:
        officedoc.pdf_font.cache_clear()


def test_with_no_chinese_truetype_font_pdfs_fall_back_to_the_built_in_one(monkeypatch, caplog):
    monkeypatch.setattr(officedoc, "_installed", lambda: {})
    monkeypatch.delenv("DOORSTEP_PDF_FONT", raising=False)
    officedoc.pdf_font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="doorstep.core.officedoc"):
            assert officedoc.pdf_font() == officedoc.PDF_FALLBACK
        assert any("fonts-arphic-uming" in r.getMessage() for r in caplog.records)
    finally:
        officedoc.pdf_font.cache_clear()
