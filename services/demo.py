"""Demo data for `make run`: the Ji'an power supply company, its teams and staff (one account per role),
a dozen important customers, and hazard files at every stage — loaded once (running it again changes
nothing). Hazards are made by running the real process with the clock set in the past.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine import FixedClock, HumanTask
from records import Branch, Customer, Hazard, Inspection, Team, User, dictionary

from . import demo_hazards, demo_history, demo_records, hazard_filing, planning, rendering, risk
from .demo_steps import store
from .errors import Forbidden
from .i18n import _

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
# post (职务) and inspection warrant number (用电检查证号), printed on the documents beside the name
PROFILES = {"zhuanze": ("用电检查专责", "赣用检0301"), "jiancha1": ("用电检查一组组长", "赣用检0311"),
            "jiancha2": ("用电检查员", "赣用检0312"), "jiancha3": ("用电检查一组组长", "赣用检0321"),
            "dudao": ("督导负责人", "赣用检0305"), "lingdao": ("营销部主任", None), "liucheng": ("流程管理专责", None),
            "admin": ("系统管理员", None)}
REPRESENTATIVES = ["王建国", "刘志强", "陈晓东", "杨春华", "黄立新", "周文斌"]
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


def load(rt) -> list[str]:
    """Create what is missing of the demo data set; returns what was done. Only in development (and tests):
    the demo accounts' password is published in the README."""
    if rt.config["ENV"] not in ("development", "testing"):
        raise Forbidden(_("The demo data, whose passwords are published, is loaded only in development "
                          "(GRIDSAFE_ENV=development); this is %(env)s.", env=rt.config["ENV"]))
    with rt.sessions() as session:
        done = _load(rt, session)
    rendered = rendering.drain(rt)            # the command exits next: no document is left to a thread
    return done + ([f"documents rendered: {rendered}"] if rendered else [])


def _load(rt, session) -> list[str]:
    now = rt.now()
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
        done.append(f"demo hazards: {demo_hazards.load(rt, session)} files at every stage")
    if session.scalar(select(Inspection.id).limit(1)) is None:
        done.append(f"demo inspections: {_inspections(rt, session)} (periodic, overdue, a campaign, one done)")
    done += demo_history.load(rt, session)   # the dashboard's year of history, assessments, a summary
    done += demo_records.load(rt, session)   # a report submitted, a pending cancellation, a trip, a delisting
    session.commit()                         # the daily job works in its own transactions
    graded = risk.daily(rt, force=True)
    if graded and (graded["updated"] or graded["reminders"]):     # the stories ran in the past: grade as of today
        done.append(f"risk grades brought up to date: {graded['updated']} regraded, {graded['reminders']} reminders")
    return done or ["demo data already loaded: nothing to do"]


LAST_INSPECTED = {"3608010001": 85, "3608010002": 100, "3608010003": 60, "3608020002": 95, "3608030001": 88,
                  "3608010004": 170, "3608020001": 181, "3608010005": 30,
                  "3608020004": 400}           # over a year: its periodic inspection is overdue (未监控)


def _inspections(rt, session) -> int:
    """Periodic tasks from the real generator (some due soon, some overdue), a campaign, one done."""
    eng = rt.engine
    today = eng.clock.now().date()
    for number, days in LAST_INSPECTED.items():
        customer = session.scalars(select(Customer).where(Customer.number == number)).one()
        customer.last_inspected_on = today - timedelta(days=days)
    session.commit()
    created = len(planning.generate(rt, today).created)
    for number in ("3608020001", "3608030002", "3608020003"):
        customer = session.scalars(select(Customer).where(Customer.number == number)).one()
        ins = planning.create(rt, session, customer, kind="seasonal", due=today + timedelta(days=20),
                              planned_from=today, actor="zhuanze", full=False)
        if ins:
            _approve(eng, session, ins)      # approved: on the inspectors' list (the periodic ones await approval)
            created += 1
    done = _one_done(rt, session)
    session.rollback()
    eng.fire_due_timers(rt.sessions)         # overdue inspections warn the specialist
    return created + done


def _one_done(rt, session) -> int:
    """A special inspection done last week, with one finding that became its own hazard file."""
    clock = FixedClock(rt.now() - timedelta(days=7))
    past = rt.with_clock(clock)
    at = past.engine
    customer = session.scalars(select(Customer).where(Customer.number == "3608010005")).one()
    ins = planning.create(past, session, customer, kind="special", due=clock.now().date() + timedelta(days=3),
                          planned_from=clock.now().date(), actor="zhuanze", full=False)
    if ins is None:
        return 0
    clock.advance(hours=1)
    _approve(at, session, ins)
    task = session.scalars(select(HumanTask).where(HumanTask.instance_id == ins.instance_id,
                                                   HumanTask.status == "ready")).one()
    checklist = [dict(row, result="pass") for row in task.prefill["checklist"]]
    # the failed item becomes the hazard file itself (its finding is not typed again)
    checklist[1].update(result="fail", note="蓄电池容量衰减，UPS 后备时间不足 10 分钟", disposition="hazard",
                        item_code="EP05", location="机房 UPS 间", photos=[store(rt, session, at, "photo", 900)])
    clock.advance(hours=4)
    at.complete_task(session, task.id, {
        "checklist": checklist, "conclusion": "UPS 蓄电池须更换，其余合格", "second_inspector": "王检查",
        "inspector_signature": store(rt, session, at, "signature", 901),
        "second_inspector_signature": store(rt, session, at, "signature", 902),
        "customer_name": "值班电工", "customer_signature": store(rt, session, at, "signature", 903)}, "jiancha1")
    hazard_filing.file_inspection(past, session, ins.id)     # as the request does after the submission's commit
    return 1


def _approve(eng, session, ins) -> None:
    """The worksheet approved before the visit by whom it waits for: the team head, else the specialist."""
    task = session.scalars(select(HumanTask).where(HumanTask.instance_id == ins.instance_id,
                                                   HumanTask.status == "ready",
                                                   HumanTask.element_id == "approve_worksheet")).first()
    if task is not None:
        eng.complete_task(session, task.id, {"approved": "yes", "comment": "人员、工器具已落实，同意出发"},
                          task.assignee or "zhuanze")


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
                    locale="zh_CN", active=True, created_at=now, post=PROFILES[username][0],
                    warrant_number=PROFILES[username][1])
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
                             temporary_from=window[0], temporary_to=window[1],
                             legal_representative=REPRESENTATIVES[int(number[-1]) % len(REPRESENTATIVES)],
                             supply_voltage_kv=110.0 if high_risk else 10.0, power_sources=1 if klass == "second" else 2,
                             supply_mode="单电源" if klass == "second" else "双电源",
                             capacity_kva=8000.0 if high_risk else 2500.0, security_load_kw=400.0,
                             emergency_power_kw=500.0 if klass in ("special", "first") else None,
                             gps_lat=27.11 + int(number[-2:]) / 1000, gps_lon=114.99 + int(number[-2:]) / 1000,
                             contacts=[{"name": "值班电工", "post": "电气负责人", "mobile": "1390796" + number[-4:]}],
                             default_team_id=teams[team].id, created_at=now, updated_at=now))
