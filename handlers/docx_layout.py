"""The Chinese official layout for generated .docx documents, after GB/T 9704-2012: A4 with its margins
(top 37 mm, bottom 35 mm, left 28 mm, right 26 mm), title in 小标宋 二号 (22 pt), body in 仿宋 三号 (16 pt,
28 pt lines), headings in 黑体 三号, page numbers "— N —" at the foot, field tables, photos, signatures
with date and time, and the seal area (盖章) at the close.

Fonts: each run names the official font; the document's font table gives each one an alternative that a
Debian machine has (fonts-noto-cjk), so a conversion to PDF (LibreOffice) prints Chinese. Headings,
captions and the lines before the close are kept with what follows, so that no heading or closing line
stands alone at the top or bottom of a page."""
from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from . import docx_xml
from .docx_ops import Recorder, decode, recordable

BODY_FONT, TITLE_FONT, HEAD_FONT, SIGNER_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312"
# the fonts a Debian machine has (apt: fonts-noto-cjk) for each official one
FALLBACKS = {BODY_FONT: "Noto Serif CJK SC", TITLE_FONT: "Noto Serif CJK SC", HEAD_FONT: "Noto Sans CJK SC",
             SIGNER_FONT: "Noto Serif CJK SC"}
LATIN_FONT = "Times New Roman"
TEXT_WIDTH_CM = 15.6                      # 210 mm less the margins of 28 and 26 mm
def chinese_date(moment: datetime, zone: str = "Asia/Shanghai") -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.year}年{local.month}月{local.day}日"


def chinese_date_of(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def parse_instant(text: str) -> datetime:
    """An ISO instant as stored in an event's detail (UTC when it names no zone)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


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
    r_fonts.set(qn("w:ascii"), LATIN_FONT)
    r_fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _page_numbers(section) -> None:
    """"— N —" centred at the foot of every page (GB/T 9704 7.5, 宋体 四号)."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), BODY_FONT, 14)
    run = p.add_run()
    _font(run, BODY_FONT, 14)
    for tag, text in (("w:fldChar", "begin"), ("w:instrText", "PAGE"), ("w:fldChar", "separate"),
                      ("w:t", "1"), ("w:fldChar", "end")):
        el = OxmlElement(tag)
        if tag == "w:fldChar":
            el.set(qn("w:fldCharType"), text)
        else:
            el.text = text
        run._element.append(el)
    _font(p.add_run(" —"), BODY_FONT, 14)


def new_document(issuer: str) -> Recorder:
    """A document to write with the functions below: recorded as operations (the snapshot of a step),
    made into .docx by replay."""
    return Recorder(issuer)


def blank_document(issuer: str) -> Document:
    """A4 with official margins, page numbers, and the issuing unit in red at the top."""
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.0)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = BODY_FONT, Pt(16)
    r_fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    r_fonts.set(qn("w:eastAsia"), BODY_FONT)
    r_fonts.set(qn("w:ascii"), LATIN_FONT)
    r_fonts.set(qn("w:hAnsi"), LATIN_FONT)
    docx_xml.font_table(doc, FALLBACKS)
    _page_numbers(section)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(issuer), TITLE_FONT, 22, bold=True, color=RGBColor(0xC0, 0, 0))
    return doc


@recordable
def title(doc: Document, text: str, number: str | None = None) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True
    _font(p.add_run(text), TITLE_FONT, 22, bold=True)
    if number:
        n = doc.add_paragraph()
        n.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(n.add_run(number), BODY_FONT, 16)


@recordable
def letter_number_line(doc: Document, number: str, signer: str) -> None:
    """发文字号 at the left and 签发人 at the right of one line (an upward document), then the red rule."""
    p = doc.add_paragraph()
    p.paragraph_format.tab_stops.add_tab_stop(Cm(15.6), alignment=2)     # right-aligned at the text's edge
    _font(p.add_run(f"{number}\t签发人："), BODY_FONT, 16)
    _font(p.add_run(signer), SIGNER_FONT, 16)
    docx_xml.rule(p, "C00000")


@recordable
def record_lines(doc: Document, copies: list[str], issuer: str, day: str) -> None:
    """版记: 抄送 and the issuing office with the issuing date, between rules, kept together."""
    if copies:
        p = doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.space_before = Pt(24)
        docx_xml.rule_top(p)
        _font(p.add_run("抄送：" + "，".join(copies) + "。"), BODY_FONT, 14)
    p = doc.add_paragraph()
    p.paragraph_format.tab_stops.add_tab_stop(Cm(15.6), alignment=2)
    _font(p.add_run(f"{issuer}\t{day}印发"), BODY_FONT, 14)
    docx_xml.rule(p, "000000")
    if not copies:
        docx_xml.rule_top(p)


@recordable
def heading(doc: Document, text: str) -> None:
    """A heading (黑体), kept on the page of what follows it."""
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = Pt(8)
    _font(p.add_run(text), HEAD_FONT, 16, bold=True)


@recordable
def paragraph(doc: Document, text: str, *, indent: bool = True, align_right: bool = False,
              keep_with_next: bool = False):
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(32)
    if align_right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.paragraph_format.line_spacing = Pt(28)
    p.paragraph_format.keep_with_next = keep_with_next or None
    _font(p.add_run(text), BODY_FONT, 16)
    return p


@recordable
def fields(doc: Document, rows: list[tuple[str, object]]) -> None:
    """A two-column table of labelled values (empty values print as —)."""
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in rows:
        cells = table.add_row().cells
        _font(cells[0].paragraphs[0].add_run(label), HEAD_FONT, 12)
        _font(cells[1].paragraphs[0].add_run("—" if value in (None, "") else str(value)), BODY_FONT, 12)
    docx_xml.widths(table, [4.2, TEXT_WIDTH_CM - 4.2])
    docx_xml.rows_unsplit(table)


@recordable
def images(doc: Document, caption: str, blobs: list[bytes], width_cm: float = 7.0, *,
           title: str | None = None) -> None:
    """Photos under a heading (the caption unless a title is given), one per line, numbered."""
    if not blobs:
        return
    heading(doc, title or caption)
    for index, blob in enumerate(blobs, start=1):
        doc.add_picture(io.BytesIO(blob), width=Cm(width_cm))
        doc.paragraphs[-1].paragraph_format.keep_with_next = True      # the photo stays with its caption
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(f"{caption}（{index}）"), BODY_FONT, 10.5)


@recordable
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
    docx_xml.widths(table, [TEXT_WIDTH_CM / 2] * 2)
    docx_xml.rows_unsplit(table)


BLANK = "＿＿＿＿＿＿＿＿"


@recordable
def signature(doc: Document, label: str, blob: bytes | None, name: str | None, when: str | None) -> None:
    """The signer's handwritten signature (an image) with the printed name and the date and time; blank
    lines to sign and date by hand when the document is printed before it is signed."""
    p = doc.add_paragraph()
    p.paragraph_format.keep_together = True
    _font(p.add_run(f"{label}："), BODY_FONT, 16)
    if blob:
        p.add_run().add_picture(io.BytesIO(blob), height=Cm(1.6))
    _font(p.add_run(f"  {name}" if name else ("" if blob else BLANK)), BODY_FONT, 16)
    p.add_run().add_break()
    _font(p.add_run(f"签字时间：{when}" if when else f"签字时间：{BLANK}"), BODY_FONT, 14)


@recordable
def seal(doc: Document, unit: str, moment: datetime | None, zone: str, *, signer: str | None = None,
         more: bool = False) -> None:
    """The close: the issuing unit with the seal area (盖章), the date, and who signed it off (签发人) when
    given. The lines are kept together and with the paragraph before them, so the close never stands on a
    page of its own."""
    blocks = list(doc.element.body.iterchildren())
    before = blocks[-2] if len(blocks) >= 2 and blocks[-1].tag == qn("w:sectPr") else (blocks[-1] if blocks else None)
    if before is not None and before.tag == qn("w:p"):
        before.get_or_add_pPr().get_or_add_keepNext()
    elif before is not None and before.tag == qn("w:tbl"):
        for p in before.findall(qn("w:tr"))[-1].iter(qn("w:p")):
            p.get_or_add_pPr().get_or_add_keepNext()
    if signer:
        paragraph(doc, f"签发人：{signer}", indent=False, keep_with_next=True)
    space = paragraph(doc, "", indent=False, keep_with_next=True)
    space.paragraph_format.space_before = Pt(16)
    paragraph(doc, f"{unit}（盖章）", indent=False, align_right=True, keep_with_next=True)
    paragraph(doc, chinese_date(moment, zone) if moment else f"{BLANK}年{BLANK}月{BLANK}日", indent=False,
              align_right=True, keep_with_next=more)      # more: a 附注 or 版记 follows and stays with it


@recordable
def closing(doc: Document, unit: str, moment: datetime, zone: str) -> None:
    seal(doc, unit, moment, zone)


def to_bytes(doc: Document) -> bytes:
    """The .docx of a document made by blank_document (a recorded one: replay)."""
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


@recordable
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
    if not widths_cm:
        widths_cm = [TEXT_WIDTH_CM / len(headers)] * len(headers)
    scale = TEXT_WIDTH_CM / sum(widths_cm)
    docx_xml.widths(table, [w * scale for w in widths_cm])
    docx_xml.rows_unsplit(table)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))   # repeated on each page


RECORDABLE = frozenset({"title", "letter_number_line", "record_lines", "heading", "paragraph", "fields", "images",
                        "photo_pairs", "signature", "seal", "closing", "grid"})


def replay(ops: list, ctx) -> bytes:
    """The .docx of a snapshot (docx_ops). ctx: session, files and settings (for the photos and their stamps)."""
    (first, args, kwargs), rest = ops[0], ops[1:]
    if first != "new_document":
        raise ValueError("a snapshot starts with new_document")
    doc = blank_document(*args, **kwargs)
    for name, args, kwargs in rest:
        if name not in RECORDABLE:
            raise ValueError(f"{name} is not a layout operation")
        globals()[name](doc, *decode(args, ctx), **{k: decode(v, ctx) for k, v in kwargs.items()})
    return to_bytes(doc)
