"""Open XML details python-docx has no API for: the font table's alternative fonts, paragraph borders in
the schema's order, rows that never split over pages, and column widths both LibreOffice and Word read."""
from __future__ import annotations

from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm
from lxml import etree

# the children of w:pPr that come after w:pBdr in the schema (ECMA-376 CT_PPrBase)
PPR_AFTER_BORDERS = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                     "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
                     "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                     "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                     "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def font_table(doc, fallbacks: dict) -> None:
    """Name each official font in the font table with the alternative (w:altName) a Debian machine has."""
    part = next((rel.target_part for rel in doc.part.rels.values() if rel.reltype.endswith("/fontTable")), None)
    if part is None:
        return
    root = parse_xml(part.blob)
    for name, alternative in fallbacks.items():
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        alt = OxmlElement("w:altName")
        alt.set(qn("w:val"), alternative)
        charset = OxmlElement("w:charset")
        charset.set(qn("w:val"), "86")                      # GB2312
        font.extend([alt, charset])
        root.append(font)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def borders(p):
    """The paragraph's w:pBdr, created in its place in the schema's order of w:pPr."""
    p_pr = p._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.insert_element_before(borders, *PPR_AFTER_BORDERS)
    return borders


def rule(p, color: str) -> None:
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "12"), ("space", "4"), ("color", color)):
        bottom.set(qn(f"w:{key}"), value)
    borders(p).append(bottom)


def rule_top(p) -> None:
    top = OxmlElement("w:top")
    for key, value in (("val", "single"), ("sz", "8"), ("space", "4"), ("color", "000000")):
        top.set(qn(f"w:{key}"), value)
    borders(p).insert(0, top)


def rows_unsplit(table) -> None:
    """A row is never split over two pages."""
    for row in table.rows:
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))


def widths(table, widths_cm: list[float]) -> None:
    """Column widths in the table grid (what LibreOffice reads) and in every cell (what Word reads)."""
    table.autofit = False
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)
