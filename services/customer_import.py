"""Importing the customer register from an export of the marketing system (SG186): Excel or CSV.

户号 is the key: a re-import updates, never duplicates. Rows are checked one by one; a bad row is
rejected with its reasons and the good rows are kept. Large files are imported in steps (records.Job),
so the page shows progress and a stopped import resumes. Rows are checked against the reach of who
started the import: a county's specialist imports only into the branches they reach.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import DBAPIError

from engine import audit
from records import Branch, Customer, Job, JobRow, Team, User, customers

from . import access
from .customer_files import HEADER_OF, ImportRefused, read_rows, template  # noqa: F401 - template: the page's
from .errors import Invalid
from .i18n import _

CLASS_BY_NAME = {v: k for k, v in customers.CLASS_NAMES.items()} | {k: k for k in customers.CLASSES}
MOBILE = re.compile(r"^1\d{10}$")
TEXT_FIELDS = ("name", "address", "industry", "supply_mode")     # kept as typed: bounded by their columns
SUFFIXES = (".xlsx", ".csv")
STEP = 200


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
