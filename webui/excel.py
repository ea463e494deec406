"""Tables to Excel (openpyxl): the same cells as the page, numbers as numbers, rates as percentages."""
from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")     # what spreadsheet programs read as the start of a formula


def workbook(tables, heading: str, base_url: str = "") -> bytes:
    """One sheet per table: a heading line (what, which period), the header row, the rows; counts link
    to their lists on the site (base_url + the page's link)."""
    book = Workbook()
    book.remove(book.active)
    used: set = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, used))
        _append_text(sheet, [heading])
        sheet["A1"].font = Font(bold=True)
        _append_text(sheet, list(table.headers))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            _append_text(sheet, [_value(cell) for cell in row])
            for target, cell in zip(sheet[sheet.max_row], row):
                if cell.percent and cell.value is not None:
                    target.number_format = "0.0%"
                elif isinstance(cell.value, float):
                    target.number_format = "0.0"
                if cell.href and base_url:
                    target.hyperlink = base_url.rstrip("/") + cell.href
        for index, header in enumerate(table.headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(header)) * 2 + 4))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _append_text(sheet, values) -> None:
    """Append a row; every text stays text: a name like "=HYPERLINK(...)" or "+86..." is written as a
    string marked as typed text (Excel's leading apostrophe), never as a formula."""
    sheet.append(values)
    for target in sheet[sheet.max_row]:
        if isinstance(target.value, str):
            target.data_type = "s"
            if target.value[:1] in FORMULA_STARTS:
                target.quotePrefix = True


def _value(cell):
    if cell.value is None:
        return cell.text
    return cell.value


def _sheet_name(title: str, used: set) -> str:
    base = _BAD_SHEET_CHARS.sub(" ", title)[:28] or "Sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name


def shown(value, number_format: str = "General") -> str:
    """How a cell written by workbook() reads on the page (for comparing the two)."""
    if isinstance(value, (int, float)) and number_format.endswith("%"):
        return f"{value * 100:.1f}%"
    if isinstance(value, (int, float)) and number_format == "0.0":
        return f"{value:.1f}"
    return str(value)
