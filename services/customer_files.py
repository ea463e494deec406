"""Reading a customer register file (an SG186 export, or the template filled in): .xlsx or CSV, the kind
and the text encoding taken from the content; the header row mapped to fields; the template to fill in.
Reads only: services.customer_import checks and applies the rows."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from . import text
from .i18n import _

COLUMNS = {  # header (Chinese or English) -> field
    "户号": "number", "customer number": "number", "客户名称": "name", "name": "name", "用电地址": "address",
    "address": "address", "供电单位编码": "branch", "branch": "branch", "重要等级": "importance",
    "importance": "importance", "高危": "high_risk", "high risk": "high_risk", "行业": "industry",
    "industry": "industry", "电压等级kv": "supply_voltage_kv", "voltage kv": "supply_voltage_kv",
    "电源数目": "power_sources", "供电方式": "supply_mode", "保安负荷kw": "security_load_kw",
    "自备电源容量kw": "emergency_power_kw", "联系人": "contact_name", "联系电话": "contact_mobile",
    "默认小组编码": "team", "team": "team", "临时起": "temporary_from", "临时止": "temporary_to",
    "纬度": "gps_lat", "经度": "gps_lon", "检查周期月": "cycle_months",
}
HEADER_OF = {}     # field -> the (Chinese) column header the template uses, to name it in messages
for _header, _field in COLUMNS.items():
    HEADER_OF.setdefault(_field, _header)
REQUIRED = ("number", "name", "branch")
TEMPLATE = {  # the template's columns with its example row
    "户号": "3608000001", "客户名称": "吉安市中心人民医院", "用电地址": "吉州区井冈山大道1号", "供电单位编码": "JA-JZ",
    "重要等级": "一级", "高危": "否", "行业": "医疗卫生", "电压等级kV": "10", "电源数目": "2", "供电方式": "双电源",
    "保安负荷kW": "800", "自备电源容量kW": "1000", "联系人": "刘工", "联系电话": "13907960101", "默认小组编码": "JA-T1",
    "临时起": "", "临时止": "", "纬度": "27.11", "经度": "114.98", "检查周期(月)": "",
}


class ImportRefused(ValueError):
    """The file as a whole cannot be read (not a spreadsheet, no header, too many rows)."""


ENCODINGS = ("utf-8-sig", "gb18030")     # tried in order: UTF-8 (BOM or not), then Chinese Excel's GBK/GB18030


def read_rows(data: bytes, max_rows: int | None = None) -> list[dict]:
    """All data rows of an .xlsx or CSV file's bytes as {field: text}; the kind and the text encoding are
    taken from the content, not the name. Raises ImportRefused."""
    table = _table(data)
    if not table:
        raise ImportRefused(_("The file is empty."))
    header = [COLUMNS.get(_norm(h)) for h in table[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportRefused(_("The header row lacks the columns: %(columns)s.",
                              columns="、".join({"number": "户号", "name": "客户名称", "branch": "供电单位编码"}[m]
                                               for m in missing)))
    rows = []
    for values in table[1:]:
        row = {field: _text(v) for field, v in zip(header, values) if field}
        if any(row.values()):
            rows.append(row)
        if max_rows is not None and len(rows) > max_rows:
            raise ImportRefused(_("The file has more than %(limit)s rows; split it into files of at most "
                                  "%(limit)s rows.", limit=max_rows))
    return rows


def template() -> bytes:
    """An .xlsx to fill in: the header row and one example row, every cell text (户号 keeps its digits)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "客户清单"
    sheet.append(list(TEMPLATE))
    sheet.append(list(TEMPLATE.values()))
    for column in sheet.iter_cols(min_row=1, max_row=2):
        for cell in column:
            cell.number_format = "@"
        sheet.column_dimensions[column[0].column_letter].width = max(10, len(str(column[1].value)) * 2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _table(data: bytes) -> list[list]:
    unreadable = _("The file is not a readable file: save it as Excel (.xlsx) or CSV (UTF-8 or GBK).")
    if data[:4] == b"PK\x03\x04":           # a zip container: an .xlsx workbook
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return [[("" if v is None else v) for v in row] for row in book.active.iter_rows(values_only=True)]
            finally:
                book.close()
        except (InvalidFileException, BadZipFile, SyntaxError, KeyError, OSError, ValueError, TypeError,
                AttributeError, IndexError) as err:       # SyntaxError: the XML parsers' errors
            raise ImportRefused(unreadable) from err
    if b"\x00" in data[:4096]:                  # binary, or UTF-16 ("Unicode text"), which Excel's CSV is not
        raise ImportRefused(unreadable)
    text = _decode(data)
    if text is None:
        raise ImportRefused(unreadable)
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise ImportRefused(unreadable) from err


def _decode(data: bytes) -> str | None:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _norm(header) -> str:
    return re.sub(r"[\s（）()]", "", str(header or "")).lower()


def _text(value) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text.clean(str(value)).strip()
