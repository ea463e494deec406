"""The Chinese official layout for generated .docx documents (after GB/T 9704: A4, 仿宋 16 pt body,
小标宋/黑体 22 pt title, document number line, field tables, embedded photos and signatures)."""
from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

BODY_FONT, TITLE_FONT, HEAD_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体"


def chinese_date(moment: datetime, zone: str = "Asia/Shanghai") -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.year}年{local.month}月{local.day}日"


def chinese_datetime(moment: datetime, zone: str = "Asia/Shanghai") -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _font(run, name: str, size: float, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    r_pr = run._element.get_or_add_rPr()
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(r_fonts)
    r_fonts.set(qn("w:eastAsia"), name)


def new_document(issuer: str) -> Document:
    """A4 with official margins and the issuing unit in red at the top."""
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = BODY_FONT, Pt(16)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(issuer), TITLE_FONT, 22, bold=True, color=RGBColor(0xC0, 0, 0))
    return doc


def title(doc: Document, text: str, number: str | None = None) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(text), TITLE_FONT, 22, bold=True)
    if number:
        n = doc.add_paragraph()
        n.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(n.add_run(number), BODY_FONT, 16)


def heading(doc: Document, text: str) -> None:
    p = doc.add_paragraph()
    _font(p.add_run(text), HEAD_FONT, 16, bold=True)


def paragraph(doc: Document, text: str, *, indent: bool = True, align_right: bool = False) -> None:
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(32)
    if align_right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.paragraph_format.line_spacing = Pt(28)
    _font(p.add_run(text), BODY_FONT, 16)


def fields(doc: Document, rows: list[tuple[str, object]]) -> None:
    """A two-column table of labelled values (empty values print as —)."""
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Cm(4.2), Cm(11.4)
        _font(cells[0].paragraphs[0].add_run(label), HEAD_FONT, 12)
        _font(cells[1].paragraphs[0].add_run("—" if value in (None, "") else str(value)), BODY_FONT, 12)


def images(doc: Document, caption: str, blobs: list[bytes], width_cm: float = 7.0) -> None:
    """Photos under a caption, one per line, numbered."""
    if not blobs:
        return
    heading(doc, caption)
    for index, blob in enumerate(blobs, start=1):
        doc.add_picture(io.BytesIO(blob), width=Cm(width_cm))
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(f"{caption}（{index}）"), BODY_FONT, 10.5)


def photo_pairs(doc: Document, pairs: list[tuple[bytes | None, bytes | None]]) -> None:
    """Before and after photos side by side (验收: after-photos paired with before-photos)."""
    if not pairs:
        return
    heading(doc, "整改前后照片对照")
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("整改前", "整改后")):
        _font(cell.paragraphs[0].add_run(text), HEAD_FONT, 12)
    for before, after in pairs:
        cells = table.add_row().cells
        for cell, blob in zip(cells, (before, after)):
            if blob:
                cell.paragraphs[0].add_run().add_picture(io.BytesIO(blob), width=Cm(6.8))
            else:
                _font(cell.paragraphs[0].add_run("（无）"), BODY_FONT, 12)


def signature(doc: Document, label: str, blob: bytes | None, name: str | None, when: str | None) -> None:
    """The signer's handwritten signature (an image) with the printed name and time."""
    p = doc.add_paragraph()
    _font(p.add_run(f"{label}："), BODY_FONT, 16)
    if blob:
        p.add_run().add_picture(io.BytesIO(blob), height=Cm(1.6))
    if name:
        _font(p.add_run(f"  {name}"), BODY_FONT, 16)
    if when:
        _font(p.add_run(f"  {when}"), BODY_FONT, 14)


def closing(doc: Document, unit: str, moment: datetime, zone: str) -> None:
    paragraph(doc, unit, indent=False, align_right=True)
    paragraph(doc, chinese_date(moment, zone), indent=False, align_right=True)


def to_bytes(doc: Document) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def grid(doc: Document, headers: list, rows: list[list], widths_cm: list[float] | None = None) -> None:
    """A table with a header row (黑体) and rows of values (empty values print as —), e.g. statistics."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers):
        _font(cell.paragraphs[0].add_run(str(text)), HEAD_FONT, 10.5)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            _font(cell.paragraphs[0].add_run("—" if value in (None, "") else str(value)), BODY_FONT, 10.5)
    if widths_cm:
        for row in table.rows:
            for cell, width in zip(row.cells, widths_cm):
                cell.width = Cm(width)
