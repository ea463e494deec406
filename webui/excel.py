"""Tables to Excel (openpyxl): the same cells as the page, numbers as numbers, rates as percentages."""
from __future__ import annotations

import io
import re
import unicodedata
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")     # what spreadsheet programs read as the start of a formula
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-\d{2}")
DAY_FORMAT, MONTH_FORMAT = "yyyy-mm-dd", "yyyy-mm"
HEADER_ROW = 2                     # row 1 says what and which period; the column headers are row 2


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
                    if cell.text != shown(cell.value, "0.0%"):      # "85.0% (17/20)": the counts in a note
                        target.comment = Comment(cell.text, "GridSafe")
                elif isinstance(cell.value, float):
                    target.number_format = "0.0"
                elif isinstance(target.value, (date, datetime)):
                    target.number_format = _date_format(cell, target.value)
                if cell.href and base_url:
                    target.hyperlink = base_url.rstrip("/") + cell.href
        _fit_columns(sheet, table)
        sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)     # the headers stay while scrolling
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
    """The number or date behind a cell; a text that is a day (2026-03-05) or a month (2026-03) is a date."""
    if cell.value is not None:
        return cell.value
    if isinstance(cell.text, str) and _DAY.fullmatch(cell.text):
        return date.fromisoformat(cell.text)
    if isinstance(cell.text, str) and _MONTH.fullmatch(cell.text) and 1 <= int(cell.text[5:]) <= 12:
        return date(int(cell.text[:4]), int(cell.text[5:]), 1)
    return cell.text


def _date_format(cell, value) -> str:
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm"
    return MONTH_FORMAT if isinstance(cell.text, str) and _MONTH.fullmatch(cell.text) else DAY_FORMAT


def display_width(text) -> int:
    """Columns a text takes in a spreadsheet: a Chinese (wide) character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def _fit_columns(sheet, table) -> None:
    """Each column as wide as its header and its widest cell (as shown), within 8 to 60 characters."""
    widths = [display_width(h) for h in table.headers]
    for row in table.rows:
        for index, cell in enumerate(row[:len(widths)]):
            widths[index] = max(widths[index], display_width(cell.text))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, min(60, width + 2))


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
    if isinstance(value, datetime):
        value = value.date() if number_format in (DAY_FORMAT, MONTH_FORMAT) else value
    if isinstance(value, date):
        return value.strftime("%Y-%m") if number_format == MONTH_FORMAT else value.isoformat()
    return str(value)
