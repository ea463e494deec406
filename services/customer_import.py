"""Importing the customer register from an export of the marketing system (SG186): Excel or CSV.

户号 is the key: a re-import updates, never duplicates. Rows are checked one by one; a bad row is
rejected with its reasons and the good rows are kept. Large files are imported in steps (records.Job),
so the page shows progress and a stopped import resumes. Rows are checked against the reach of who
started the import: a county's specialist imports only into the branches they reach.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import DBAPIError

from engine import audit
from records import Branch, Customer, Job, JobRow, Team, User, customers

from . import access, text
from .errors import Invalid
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
CLASS_BY_NAME = {v: k for k, v in customers.CLASS_NAMES.items()} | {k: k for k in customers.CLASSES}
MOBILE = re.compile(r"^1\d{10}$")
TEXT_FIELDS = ("name", "address", "industry", "supply_mode")     # kept as typed: bounded by their columns
SUFFIXES = (".xlsx", ".csv")
STEP = 200


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


def apply_row(session, row: dict, now: datetime, actor=access.SYSTEM) -> tuple[str, list[str]]:
    """Create or update one customer from a row, in the actor's reach: ("created" | "updated" | "rejected",
    reasons)."""
    reasons, values = [], {}
    number = row.get("number", "")
    if not re.fullmatch(r"\d{6,20}", number):
        reasons.append(_("The customer number (户号) must be 6 to 20 digits."))
    if not row.get("name"):
        reasons.append(_("The customer name is missing."))
    for field in TEXT_FIELDS:
        limit = Customer.__table__.c[field].type.length
        if len(row.get(field) or "") > limit:
            reasons.append(_("%(field)s is longer than %(limit)s characters.", field=HEADER_OF[field], limit=limit))
    if len(row.get("contact_name") or "") > 60:
        reasons.append(_("%(field)s is longer than %(limit)s characters.", field=HEADER_OF["contact_name"], limit=60))
    branch = session.scalars(select(Branch).where(Branch.code == row.get("branch", ""))).first()
    if branch is None:
        reasons.append(_("Unknown branch code %(code)s.", code=row.get("branch", "")))
    elif not access.reaches_branch(session, actor, branch.id):
        reasons.append(_("The branch %(code)s is outside your reach.", code=branch.code))
    customer = customers.by_number(session, number) if number else None
    if customer is not None and not access.reaches_branch(session, actor, customer.branch_id):
        reasons.append(_("The customer %(number)s is registered in a branch outside your reach.", number=number))
    klass = row.get("importance", "")
    if klass and klass not in CLASS_BY_NAME:
        reasons.append(_("Unknown importance class %(value)s (特级/一级/二级/临时性).", value=klass))
    team = None
    if row.get("team"):
        team = session.scalars(select(Team).where(Team.code == row["team"])).first()
        if team is None:
            reasons.append(_("Unknown team code %(code)s.", code=row["team"]))
        elif not access.reaches_team(session, actor, team):
            reasons.append(_("The team %(code)s is outside your reach.", code=team.code))
    for field in ("supply_voltage_kv", "security_load_kw", "emergency_power_kw", "gps_lat", "gps_lon"):
        if row.get(field):
            try:
                values[field] = float(row[field])
            except ValueError:
                reasons.append(_("%(field)s is not a number: %(value)s", field=HEADER_OF[field], value=row[field]))
    for field in ("power_sources", "cycle_months"):
        if row.get(field):
            try:
                values[field] = int(row[field])
                if field == "cycle_months" and not 1 <= values[field] <= 60:
                    raise ValueError
            except ValueError:
                reasons.append(_("%(field)s is not a possible value: %(value)s", field=HEADER_OF[field], value=row[field]))
    for field in ("temporary_from", "temporary_to"):
        if row.get(field):
            try:
                values[field] = date.fromisoformat(row[field][:10])
            except ValueError:
                reasons.append(_("%(field)s is not a date (YYYY-MM-DD): %(value)s", field=HEADER_OF[field], value=row[field]))
    if CLASS_BY_NAME.get(klass) == "temporary" and not (values.get("temporary_from") and values.get("temporary_to")):
        reasons.append(_("A temporary class needs its window: from and until."))
    mobile = row.get("contact_mobile", "")
    if mobile and not MOBILE.match(mobile):
        reasons.append(_("The contact's mobile %(value)s is not an 11-digit number.", value=mobile))
    if reasons:
        return "rejected", reasons
    state = "updated" if customer else "created"
    if customer is None:
        customer = Customer(number=number, created_at=now, contacts=[])
        session.add(customer)
    customer.name, customer.branch_id = row["name"], branch.id
    customer.address = row.get("address") or customer.address
    customer.industry = row.get("industry") or customer.industry
    customer.importance = CLASS_BY_NAME.get(klass) if klass else None
    customer.high_risk = row.get("high_risk", "") in ("是", "yes", "Y", "y", "1", "true")
    customer.supply_mode = row.get("supply_mode") or customer.supply_mode
    for field, value in values.items():
        setattr(customer, field, value)
    if team is not None:
        customer.default_team_id = team.id
    if row.get("contact_name") or mobile:
        customer.contacts = [{"name": row.get("contact_name", ""), "post": "", "mobile": mobile}]
    customer.updated_at = now
    return state, []


# --- the import as a job in steps ------------------------------------------------------------------

def start(rt, session, actor, filename: str, stream) -> Job:
    """Read an uploaded .xlsx or .csv once and make the job that imports its rows in steps (the rows are
    kept with the job). Raises Invalid ({"file": why}) when the file is not one or cannot be read."""
    if Path(filename or "").suffix.lower() not in SUFFIXES:
        message = _("Choose an .xlsx or .csv file.")
        raise Invalid(message, errors={"file": message})
    try:
        rows = read_rows(stream.read(), rt.config["MAX_IMPORT_ROWS"])
    except ImportRefused as err:
        raise Invalid(str(err), errors={"file": str(err)}) from err
    now = rt.now()
    job = Job(kind="customer_import", total=len(rows), state={"offset": 0},
              report={"created": 0, "updated": 0, "rejected": []}, created_by=actor.username, created_at=now,
              updated_at=now)
    session.add(job)
    session.flush()
    session.execute(insert(JobRow), [{"job_id": job.id, "seq": seq, "data": row}
                                     for seq, row in enumerate(rows, start=2)])   # row 1 is the header
    session.commit()
    return job


def step(rt, session, job: Job) -> None:
    """The next rows of an import, each in a savepoint, with the reach of who started it; then the
    progress, committed once (the audit event and the kept rows' removal when the last row is done)."""
    starter = session.scalars(select(User).where(User.username == job.created_by)).first()
    actor = starter if starter is not None and starter.active else _NOBODY
    start_at, now = job.state["offset"], rt.now()
    batch = session.scalars(select(JobRow).where(JobRow.job_id == job.id, JobRow.seq >= start_at + 2)
                            .order_by(JobRow.seq).limit(STEP)).all()
    report = dict(job.report)
    rejected = list(report.get("rejected", []))
    for kept in batch:
        row = kept.data
        state, reasons = _apply_in_savepoint(session, row, now, actor)
        if state == "rejected":
            rejected.append({"row": kept.seq, "number": row.get("number", ""), "reasons": reasons})
        else:
            report[state] = report.get(state, 0) + 1
    done = min(job.total, start_at + len(batch)) if batch else job.total
    report["rejected"] = rejected
    job.state, job.done, job.report, job.updated_at = {**job.state, "offset": done}, done, report, now
    if done >= job.total:
        job.status = "done"
        session.execute(delete(JobRow).where(JobRow.job_id == job.id))
        audit.record(session, "import:customers", at=now, actor=job.created_by, action="customers.imported",
                     after={"created": report.get("created", 0), "updated": report.get("updated", 0),
                            "rejected": len(rejected)})
    session.commit()


def _apply_in_savepoint(session, row: dict, now: datetime, actor) -> tuple[str, list[str]]:
    """apply_row in a savepoint: a row the database refuses (a value it cannot store) is rejected with a
    message and the other rows go on."""
    try:
        with session.begin_nested():
            return apply_row(session, row, now, actor)
    except DBAPIError as err:
        if err.connection_invalidated:
            raise
        return "rejected", [_("The database refused this row's values; check their lengths and formats.")]


class _Nobody:
    """The starter of an import who has left (or been deactivated): reaches no branch."""

    username = ""
    roles: frozenset = frozenset()
    teams: list = []
    branch_id = None


_NOBODY = _Nobody()
