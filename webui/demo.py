"""Demo data for `make run`: the Ji'an power supply company, its teams and staff (one account per role),
a dozen important customers, and hazard files at every stage — loaded once (running it again changes
nothing). Hazards are made by running the real process with the clock set in the past.
"""
from __future__ import annotations

import io
import random
from dataclasses import replace
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from engine import FixedClock, HumanTask, ProcessInstance, timers
from records import Branch, Customer, Hazard, Inspection, Team, User, attachments, dictionary
from services import planning
from services import risk as grading

from . import db, engine_of

PASSWORD = "gridsafe-demo"
BRANCHES = [("JA", "国网吉安供电公司", "company", None), ("JA-JZ", "吉州区供电公司", "county", "JA"),
            ("JA-QY", "青原区供电公司", "county", "JA"), ("JA-JAX", "吉安县供电公司", "county", "JA")]
TEAMS = [("JA-JZ-1", "吉州用电检查一组", "JA-JZ"), ("JA-JZ-2", "吉州用电检查二组", "JA-JZ"),
         ("JA-QY-1", "青原用电检查一组", "JA-QY"), ("JA-JAX-1", "吉安县用电检查一组", "JA-JAX")]
USERS = [  # username, name, role, branch, teams, mobile
    ("zhuanze", "张专责", "specialist", "JA", [], "13907961001"),
    ("jiancha1", "李检查", "inspector", "JA-JZ", ["JA-JZ-1"], "13907961002"),
    ("jiancha2", "王检查", "inspector", "JA-JZ", ["JA-JZ-1"], "13907961003"),
    ("jiancha3", "赵检查", "inspector", "JA-QY", ["JA-QY-1"], "13907961004"),
    ("dudao", "刘督导", "supervisor", "JA-JZ", [], "13907961005"),
    ("lingdao", "陈领导", "leader", "JA", [], "13907961006"),
    ("liucheng", "周流程", "process_owner", "JA", [], "13907961007"),
    ("admin", "系统管理员", "admin", "JA", [], "13907961008"),
]
CUSTOMERS = [  # number, name, address, branch, class, high-risk, industry, team
    ("3608010001", "吉安市中心人民医院", "吉州区井冈山大道 1 号", "JA-JZ", "first", False, "医疗卫生", "JA-JZ-1"),
    ("3608010002", "吉安市人民政府", "吉州区市府路 1 号", "JA-JZ", "first", False, "党政机关", "JA-JZ-1"),
    ("3608010003", "吉安北站", "吉州区北站路", "JA-JZ", "first", False, "交通枢纽", "JA-JZ-2"),
    ("3608010004", "吉安国贸广场", "吉州区仁山坪", "JA-JZ", "second", False, "大型商场", "JA-JZ-2"),
    ("3608010005", "吉安市电信数据中心", "吉州区人民大道 88 号", "JA-JZ", "first", False, "通信/数据中心", "JA-JZ-1"),
    ("3608020001", "井冈山大学", "青原区学苑路 28 号", "JA-QY", "second", False, "学校", "JA-QY-1"),
    ("3608020002", "江西吉安化工有限公司", "青原区富滩工业园", "JA-QY", "first", True, "危险化学品", "JA-QY-1"),
    ("3608020003", "青原区自来水厂", "青原区河东街道", "JA-QY", "second", False, "供水", "JA-QY-1"),
    ("3608030001", "永丰煤矿吉安县井", "吉安县敦厚镇", "JA-JAX", "first", True, "煤矿", "JA-JAX-1"),
    ("3608030002", "吉安县人民医院", "吉安县城南大道", "JA-JAX", "second", False, "医疗卫生", "JA-JAX-1"),
    ("3608010006", "吉安市第一中学（高考考点）", "吉州区白鹭洲路", "JA-JZ", "temporary", False, "学校", "JA-JZ-2"),
    ("3608020004", "吉安电子科技园", "青原区科技大道", "JA-QY", None, True, "电子及精密制造", "JA-QY-1"),
]


def load(app) -> list[str]:
    """Create what is missing of the demo data set; returns what was done."""
    session = db.session()
    now = engine_of(app).clock.now()
    done = []
    if session.scalar(select(Branch.id).where(Branch.code == "JA")) is None:
        _people(session, now)
        done.append(f"demo people: {len(USERS)} accounts (password {PASSWORD!r}), {len(TEAMS)} teams")
    if dictionary.seed(session, now):
        done.append("hazard dictionary loaded")
    if session.scalar(select(Customer.id).where(Customer.number == "3608010001")) is None:
        _customers(session, now)
        done.append(f"demo customers: {len(CUSTOMERS)}")
    session.commit()
    if session.scalar(select(Hazard.id).limit(1)) is None:
        done.append(f"demo hazards: {_hazards(app, session)} files at every stage")
    if session.scalar(select(Inspection.id).limit(1)) is None:
        done.append(f"demo inspections: {_inspections(app, session)} (periodic, overdue, a campaign, one done)")
    from . import demo_kpi                   # the dashboard's year of history, assessments, a summary
    done += demo_kpi.load(app, session)
    session.commit()                         # the daily job works in its own transactions
    risk = grading.daily(app.extensions["gridsafe.runtime"], force=True)
    if risk and (risk["updated"] or risk["reminders"]):     # the stories ran in the past: grade as of today
        done.append(f"risk grades brought up to date: {risk['updated']} regraded, {risk['reminders']} reminders")
    return done or ["demo data already loaded: nothing to do"]


LAST_INSPECTED = {"3608010001": 85, "3608010002": 100, "3608010003": 60, "3608020002": 95, "3608030001": 88,
                  "3608010004": 170, "3608020001": 181, "3608010005": 30,
                  "3608020004": 400}           # over a year: its periodic inspection is overdue (未监控)


def _inspections(app, session) -> int:
    """Periodic tasks from the real generator (some due soon, some overdue), a campaign, one done."""
    eng = engine_of(app)
    today = eng.clock.now().date()
    for number, days in LAST_INSPECTED.items():
        customer = session.scalars(select(Customer).where(Customer.number == number)).one()
        customer.last_inspected_on = today - timedelta(days=days)
    session.commit()
    rt = app.extensions["gridsafe.runtime"]
    created = len(planning.generate(rt, today).created)
    for number in ("3608020001", "3608030002", "3608020003"):
        customer = session.scalars(select(Customer).where(Customer.number == number)).one()
        if planning.create(rt, session, customer, kind="seasonal", due=today + timedelta(days=20),
                           planned_from=today, actor="zhuanze", full=False):
            created += 1
    done = _one_done(app, session)
    session.rollback()
    eng.fire_due_timers(db.session_factory())         # overdue inspections warn the specialist
    return created + done


def _one_done(app, session) -> int:
    """A special inspection done last week, with one finding that became its own hazard file."""
    eng = engine_of(app)
    clock = FixedClock(eng.clock.now() - timedelta(days=7))
    at = eng.with_clock(clock)
    customer = session.scalars(select(Customer).where(Customer.number == "3608010005")).one()
    ins = planning.create(replace(app.extensions["gridsafe.runtime"], engine=at), session, customer, kind="special", due=clock.now().date() + timedelta(days=3),
                          planned_from=clock.now().date(), actor="zhuanze", full=False)
    if ins is None:
        return 0
    task = session.scalars(select(HumanTask).where(HumanTask.instance_id == ins.instance_id,
                                                   HumanTask.status == "ready")).one()
    checklist = [dict(row, result="pass") for row in task.prefill["checklist"]]
    checklist[1].update(result="fail", note="蓄电池容量衰减，UPS 后备时间不足 10 分钟")
    clock.advance(hours=4)
    at.complete_task(session, task.id, {
        "checklist": checklist, "conclusion": "UPS 蓄电池须更换，其余合格", "second_inspector": "王检查",
        "findings": [{"item_code": "EP05", "location": "机房 UPS 间", "description": "UPS 蓄电池容量衰减",
                      "photos": [_store(session, at, "photo", 900)]}],
        "inspector_signature": _store(session, at, "signature", 901),
        "second_inspector_signature": _store(session, at, "signature", 902),
        "customer_name": "值班电工", "customer_signature": _store(session, at, "signature", 903)}, "jiancha1")
    return 1


def _people(session, now) -> None:
    branches = {}
    for code, name, kind, parent in BRANCHES:
        branch = Branch(code=code, name=name, kind=kind, parent_id=branches[parent].id if parent else None)
        session.add(branch)
        session.flush()
        branches[code] = branch
    teams = {code: Team(code=code, name=name, branch_id=branches[branch].id) for code, name, branch in TEAMS}
    session.add_all(teams.values())
    probe = User()
    probe.set_password(PASSWORD)
    for username, name, role, branch, team_codes, mobile in USERS:
        user = User(username=username, display_name=name, password_hash=probe.password_hash, branch=branches[branch],
                    teams=[teams[c] for c in team_codes], mobile=mobile, email=f"{username}@ja.example.cn",
                    locale="zh_CN", active=True, created_at=now)
        user.set_roles([role])
        session.add(user)
    session.flush()
    teams["JA-JZ-1"].head_id = session.scalar(select(User.id).where(User.username == "jiancha1"))
    teams["JA-QY-1"].head_id = session.scalar(select(User.id).where(User.username == "jiancha3"))


def _customers(session, now) -> None:
    branches = {b.code: b for b in session.scalars(select(Branch))}
    teams = {t.code: t for t in session.scalars(select(Team))}
    today = now.date()
    for number, name, address, branch, klass, high_risk, industry, team in CUSTOMERS:
        window = (today + timedelta(days=20), today + timedelta(days=30)) if klass == "temporary" else (None, None)
        session.add(Customer(number=number, name=name, address=address, branch_id=branches[branch].id,
                             importance=klass, high_risk=high_risk, industry=industry,
                             temporary_from=window[0], temporary_to=window[1], legal_representative="—",
                             contacts=[{"name": "值班电工", "post": "电气负责人", "mobile": "1390796" + number[-4:]}],
                             default_team_id=teams[team].id, created_at=now, updated_at=now))


def _image(kind: str, seed: int) -> bytes:
    rnd = random.Random(seed)
    if kind == "signature":
        canvas = Image.new("RGB", (420, 150), "white")
        draw = ImageDraw.Draw(canvas)
        points = [(20 + i * 18, 75 + rnd.randint(-40, 40)) for i in range(22)]
        draw.line(points, fill=(15, 25, 90), width=4)
        buffer = io.BytesIO()
        canvas.save(buffer, "PNG")
        return buffer.getvalue()
    canvas = Image.new("RGB", (640, 480), (rnd.randint(90, 160), rnd.randint(90, 160), rnd.randint(90, 160)))
    draw = ImageDraw.Draw(canvas)
    for _ in range(12):
        x, y = rnd.randint(0, 600), rnd.randint(0, 440)
        draw.rectangle([x, y, x + rnd.randint(20, 120), y + rnd.randint(20, 90)],
                       outline=(240, 240, 240), width=3)
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


# (customer, item, days ago opened, what happened since)
STORIES = [
    ("3608010001", "EP02", 2, "new"), ("3608010001", "MG02", 12, "signed"),
    ("3608010002", "PR01", 5, "signed"), ("3608010003", "EN02", 30, "overdue"),
    ("3608010004", "EN01", 40, "supervised"), ("3608010005", "EN03", 20, "supervised"),
    ("3608020002", "IL01", 9, "signed"), ("3608020001", "EN06", 25, "closed"),
    ("3608030001", "NE01", 14, "refused"), ("3608020003", "EQ09", 3, "new"),
    ("3608030002", "EM02", 60, "accepting"),
]


def _hazards(app, session) -> int:
    eng = engine_of(app)
    customers = {c.number: c for c in session.scalars(select(Customer))}
    today = eng.clock.now()
    count = 0
    for seq, (number, code, ago, story) in enumerate(STORIES):
        clock = FixedClock(today - timedelta(days=ago, hours=2))
        at = eng.with_clock(clock)
        photos = [_store(session, at, "photo", seq * 10 + i) for i in range(2)]
        customer = customers[number]
        instance = at.start_instance(session, "hazard_lifecycle", actor="jiancha1", subject=number, data={
            "customer_id": customer.id, "item_code": code, "location": "配电室", "equipment": None,
            "description": f"{dictionary.current(session, code).name_zh}（现场检查发现）", "photos": photos,
            "severity": None, "severity_reason": None, "team": None, "inspection_id": None,
            "interim_measures": None})
        count += 1
        if story == "new":
            continue
        clock.advance(hours=3)
        _complete(session, at, instance.id, "deliver_notice",
                  {"refused": True, "witness": "物业经理 孙明", "refusal_photo": photos[0]} if story == "refused" else
                  {"signer_name": "值班电工", "signer_post": "电气负责人",
                   "signature": _store(session, at, "signature", seq)}, "jiancha1")
        if story in ("overdue", "supervised"):
            deadline = session.scalars(select(Hazard).where(Hazard.instance_id == instance.id)).one().deadline
            clock.set(deadline + timedelta(hours=1))
            timers.fire_instance(at, session, session.get(ProcessInstance, instance.id))
            if story == "supervised":
                _complete(session, at, instance.id, "deliver_order",
                          {"progress": "尚未整改，客户称资金未到位", "signer_name": "值班电工",
                           "signature": _store(session, at, "signature", seq + 50)}, "jiancha1")
        if story in ("closed", "accepting"):
            clock.advance(days=2)
            _complete(session, at, instance.id, "follow_up",
                      {"action": "rectified", "measures": "已按要求整改", "completed_on": clock.now().date().isoformat()},
                      "jiancha1")
            clock.advance(days=1)
            _complete(session, at, instance.id, "accept_on_site",
                      {"method": "on_site", "second_inspector": "王检查", "checks": "现场复核整改情况", "result": "pass",
                       "after_photos": [_store(session, at, "photo", seq * 10 + 7 + i) for i in range(2)],
                       "signer_name": "值班电工", "customer_signature": _store(session, at, "signature", seq + 80)},
                      "jiancha1")
            if story == "closed":
                _complete(session, at, instance.id, "close_approval", {"approved": "yes", "comment": "同意销号"},
                          "jiancha1")
    session.rollback()
    eng.fire_due_timers(db.session_factory())        # what fell due between the stories and now
    return count


def _store(session, eng, kind, seed) -> str:
    from flask import current_app
    row = attachments.store_image(session, current_app.extensions["gridsafe.files"], _image(kind, seed), kind=kind,
                                  actor="jiancha1", now=eng.clock.now(), max_bytes=20_000_000)
    session.commit()
    return row.id


def _complete(session, eng, instance_id, element, data, actor):
    task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.element_id == element,
                                                   HumanTask.status == "ready")).one()
    eng.complete_task(session, task.id, data, actor)

