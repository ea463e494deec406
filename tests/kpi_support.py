"""A hand-made world for the indicators: March 2026 (Asia/Shanghai), eleven hazards and five inspections
whose every count is worked out in tests/test_kpi_indicators.py. Rows are written directly (no engine),
timeline and documents included, as the lifecycle would have left them."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from records import Branch, Customer, CustomerGrade, Document, Hazard, HazardEvent, Inspection, Team, User

PHOTO = "a" * 64
NOW = datetime(2026, 4, 10, 2, 0, tzinfo=timezone.utc)      # the "today" of the tests that read this world
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def at(text: str) -> datetime:
    """'03-10' → 2026-03-10 02:00 UTC (10:00 in Ji'an); 'MM-DDTHH:MM:SS' for a precise UTC time."""
    if "T" in text:
        return datetime.fromisoformat(f"2026-{text}+00:00")
    return datetime.fromisoformat(f"2026-{text}T02:00:00+00:00")


def end_of(text: str) -> datetime:
    """The deadline 'MM-DD': 23:59:59 local, i.e. 15:59:59 UTC."""
    return datetime.fromisoformat(f"2026-{text}T15:59:59+00:00")


def seed_org(session, now: datetime) -> dict:
    company = Branch(code="JA", name="吉安供电公司", kind="company")
    jz = Branch(code="JA-JZ", name="吉州区供电公司", kind="county")
    qy = Branch(code="JA-QY", name="青原区供电公司", kind="county")
    session.add_all([company, jz, qy])
    session.flush()
    jz.parent_id = qy.parent_id = company.id
    t1 = Team(code="T1", name="吉州一组", branch_id=jz.id)
    t2 = Team(code="T2", name="青原一组", branch_id=qy.id)
    t3 = Team(code="T3", name="备用组", branch_id=jz.id)               # a team without members
    session.add_all([t1, t2, t3])
    session.flush()
    for username, team in (("m1", t1), ("m2", t1), ("m3", t2)):
        user = User(username=username, display_name=username, password_hash="x", created_at=now, branch_id=jz.id,
                    teams=[team], active=True, locale="zh_CN")
        user.set_roles(["inspector"])
        session.add(user)

    def customer(number, name, branch, klass, industry, team):
        row = Customer(number=number, name=name, branch_id=branch.id, importance=klass, industry=industry,
                       contacts=[], default_team_id=team.id, created_at=now, updated_at=now)
        session.add(row)
        return row
    c1 = customer("C1", "吉安市中心人民医院", jz, "first", "医疗卫生", t1)
    c2 = customer("C2", "江西吉安化工有限公司", qy, "second", "危险化学品", t2)
    c3 = customer("C3", "吉州区社区医院", jz, None, "医疗卫生", t1)
    session.flush()
    return {"JA": company.id, "JA-JZ": jz.id, "JA-QY": qy.id, "T1": t1.id, "T2": t2.id, "T3": t3.id,
            "C1": c1.id, "C2": c2.id, "C3": c3.id}


def hazard(session, ids, number, customer, team, severity, opened, events, *, photos=True, status,
           deadline, notified=None, closed=None, docs=()):
    """One hazard with its timeline: events are (kind, when, status_after, deadline or None)."""
    row = Hazard(file_number=number, customer_id=ids[customer], branch_id=ids["JA-QY" if customer == "C2" else "JA-JZ"],
                 team_id=ids[team], item_code="EP02",
                 item={"code": "EP02", "name_zh": "自备应急电源容量不足", "category": "应急电源"
                       if severity != "general" else "运行管理"},
                 severity=severity, location="配电室", description="—", photos=[PHOTO] if photos else [],
                 after_photos=[], status=status, deadline=end_of(deadline), original_deadline=end_of(deadline),
                 opened_by="m1", opened_at=at(opened), notified_at=at(notified) if notified else None,
                 closed_at=at(closed) if closed else None, refused_to_sign=False,
                 cancelled_at=next((at(when) for kind, when, *_ in events if kind == "cancelled"), None))
    session.add(row)
    session.flush()
    for kind, when, after, new_deadline in events:
        detail = {"deadline": end_of(new_deadline).isoformat()} if new_deadline else {}
        session.add(HazardEvent(hazard_id=row.id, at=at(when), actor="m1", kind=kind, status_after=after,
                                detail=detail))
    for kind, when in docs:
        session.add(Document(kind=kind, number=f"{number}-{kind}-{when}", subject=number, version=1, hazard_id=row.id,
                             sha256="0" * 64, size=1, filename="x.docx", created_at=at(when), created_by="m1"))
    return row


def seed_march(session) -> dict:
    """The world of the indicator tests (see the expected values in test_kpi_indicators.py)."""
    ids = seed_org(session, at("01-01"))
    h = {}
    h["H1"] = hazard(session, ids, "H1", "C1", "T1", "general", "02-10", [
        ("registered", "02-10", "found", "03-05"), ("notice_signed", "02-10", "notified", None),
        ("rectification_started", "02-10", "rectifying", "03-05"),
        ("rectification_reported", "03-01", "pending_acceptance", None), ("accepted", "03-02", "accepted", None),
        ("closed", "03-03", "closed", None)],
        status="closed", deadline="03-05", notified="02-10", closed="03-03", docs=[("hazard_notice", "02-10")])
    h["H2"] = hazard(session, ids, "H2", "C1", "T1", "significant", "02-15", [
        ("registered", "02-15", "found", "03-10"), ("notice_signed", "02-16", "notified", None),
        ("rectification_started", "02-16", "rectifying", "03-10"),
        ("overdue", "03-10T16:00:01", "overdue", "03-10"), ("supervised", "03-12", "supervising", "03-19"),
        ("overdue", "03-19T16:00:01", "overdue", "03-19")],
        status="overdue", deadline="03-19", notified="02-16",
        docs=[("hazard_notice", "02-15"), ("supervision_order", "03-10T16:00:01"), ("supervision_order", "03-12"),
              ("supervision_order", "03-19T16:00:01")])
    h["H3"] = hazard(session, ids, "H3", "C2", "T2", "major", "03-05", [
        ("registered", "03-05", "found", "04-30"), ("notice_refused", "03-05", "notified", None),
        ("rectification_started", "03-05", "rectifying", "04-30"), ("reported", "03-06", "rectifying", None)],
        status="rectifying", deadline="04-30", notified="03-05", docs=[("hazard_notice", "03-05")])
    h["H4"] = hazard(session, ids, "H4", "C1", "T1", "general", "03-10", [
        ("registered", "03-10", "found", "03-20"), ("notice_signed", "03-10", "notified", None),
        ("rectification_started", "03-10", "rectifying", "03-20"),
        ("rectification_reported", "03-15", "pending_acceptance", None), ("accepted", "03-25", "accepted", None),
        ("closed", "03-26", "closed", None)],
        photos=False, status="closed", deadline="03-20", notified="03-10", closed="03-26",
        docs=[("hazard_notice", "03-10")])
    h["H5"] = hazard(session, ids, "H5", "C3", "T1", "general", "03-20", [("registered", "03-20", "found", "04-20")],
                     status="found", deadline="04-20", docs=[("hazard_notice", "03-20")])
    h["H6"] = hazard(session, ids, "H6", "C3", "T1", "significant", "03-25", [
        ("registered", "03-25", "found", "04-30"), ("notice_signed", "03-30", "notified", None),
        ("rectification_started", "03-30", "rectifying", "04-30")],
        status="rectifying", deadline="04-30", notified="03-30", docs=[("hazard_notice", "03-25")])
    h["H7"] = hazard(session, ids, "H7", "C2", "T2", "general", "04-02", [("registered", "04-02", "found", "05-02")],
                     status="found", deadline="05-02", docs=[("hazard_notice", "04-02")])
    h["H8"] = hazard(session, ids, "H8", "C1", "T1", "general", "03-12", [
        ("registered", "03-12", "found", "04-12"), ("cancelled", "03-13", "cancelled", None)],
        status="cancelled", deadline="04-12", docs=[("hazard_notice", "03-12")])
    h["H9"] = hazard(session, ids, "H9", "C2", "T2", "major", "03-27", [
        ("registered", "03-27", "found", "04-30"), ("notice_signed", "03-27", "notified", None),
        ("rectification_started", "03-27", "rectifying", "04-30"), ("reported", "04-03", "rectifying", None)],
        status="rectifying", deadline="04-30", notified="03-27", docs=[("hazard_notice", "03-27")])
    h["H10"] = hazard(session, ids, "H10", "C1", "T1", "general", "01-05", [
        ("registered", "01-05", "found", "01-20"), ("notice_signed", "01-05", "notified", None),
        ("rectification_started", "01-05", "rectifying", "01-20"), ("closed", "02-01", "closed", None)],
        status="closed", deadline="01-20", notified="01-05", closed="02-01", docs=[("hazard_notice", "01-05")])
    h["H11"] = hazard(session, ids, "H11", "C1", "T1", "general", "02-20", [
        ("registered", "02-20", "found", "03-01"), ("notice_signed", "02-21", "notified", None),
        ("rectification_started", "02-21", "rectifying", "03-01")],
        status="rectifying", deadline="03-01", notified="02-21", docs=[("hazard_notice", "02-20")])
    _inspections(session, ids)
    _grades(session, ids)
    session.flush()
    return ids


def _inspections(session, ids) -> None:
    def add(number, customer, team, kind, due, status, completed=None):
        session.add(Inspection(number=number, customer_id=ids[customer], kind=kind, team_id=ids[team],
                               planned_from=date(2026, 2, 1), due_date=date.fromisoformat(f"2026-{due}"),
                               status=status, checklist_template="*:*", created_by="spec", created_at=at("02-01"),
                               completed_on=date.fromisoformat(f"2026-{completed}") if completed else None))
    add("I1", "C1", "T1", "periodic", "03-15", "completed", "03-14")
    add("I2", "C2", "T2", "periodic", "03-20", "completed", "04-05")
    add("I3", "C3", "T1", "periodic", "04-10", "planned")
    add("I4", "C1", "T1", "special", "03-25", "completed", "03-26")
    add("I5", "C3", "T1", "periodic", "03-31", "cancelled")


def _grades(session, ids) -> None:
    for customer, grade, when, current in (("C1", "B", "02-15", False), ("C1", "A", "03-10", True),
                                           ("C2", "A", "03-05", True)):
        session.add(CustomerGrade(customer_id=ids[customer], grade=grade, score=1.0, drivers=[], model_version="t",
                                  reason="test", computed_at=at(when), current=current, open_hazards=1))


WEB_USERS = {"lead": ("leader", "JA"), "cnty": ("leader", "JA-QY"), "sup": ("supervisor", "JA"),
             "spec": ("specialist", "JA"), "insp": ("inspector", "JA-JZ"), "admin": ("admin", "JA")}


def make_app(sqlite_url: str, data_dir, clock=None, **overrides):
    """The app (real forms and diagrams) on the March world, read on NOW, with one user per role of
    WEB_USERS (password web_support.PASSWORD, English pages: the tests read messages, and the msgids
    are what stays stable while the Chinese catalog is being written); team_assessment.bpmn deployed."""
    from pathlib import Path

    from engine import FixedClock
    from web_support import _password_hash
    from webui import create_app, db, engine_of
    clock = clock or FixedClock(NOW.isoformat())
    app = create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": sqlite_url,
                      "DATA_DIR": str(data_dir), "CLOCK": clock, "RUN_SCENARIOS": False, **overrides})
    root = Path(__file__).resolve().parent.parent
    with app.app_context():
        session = db.session()
        ids = seed_march(session)
        branches = {code: ids[code] for code in ("JA", "JA-JZ", "JA-QY")}
        for username, (role, branch) in WEB_USERS.items():
            user = User(username=username, display_name=username.upper(), password_hash=_password_hash(),
                        created_at=NOW, branch_id=branches[branch], active=True, locale="en")
            user.set_roles([role])
            session.add(user)
        session.commit()
        result = engine_of(app).deploy_source(session, "team_assessment.bpmn",
                                              (root / "bpmn" / "team_assessment.bpmn").read_bytes(), "owner")
        assert result.status == "deployed", str(result)
    app.ids = ids
    return app
