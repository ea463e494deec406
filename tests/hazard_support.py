"""Driving hazard_lifecycle.bpmn through the engine with the real handlers, forms and documents."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

import forms
from engine import HumanTask, ProcessInstance
from engine.inspect import current_data
from engine.runtime import load
from records import Branch, Customer, Hazard, Team, User, attachments, dictionary, hazards, store_for
from web_support import jpeg, png
from services import config
from services.runtime import Runtime, build_engine

ROOT = Path(__file__).resolve().parent.parent
FORMS_DIR = ROOT / "forms"


class HazardWorld:
    """People, a customer, the dictionary, the deployed lifecycle; every engine call in its own session."""

    DIAGRAMS = ("hazard_lifecycle.bpmn",)

    def __init__(self, sessions, clock, data_dir: Path):
        self.sessions, self.clock = sessions, clock
        self.files = store_for(sessions.kw["bind"], data_dir / "files")     # the database on PostgreSQL
        self.settings = config.load({"ENV": "testing", "SECRET_KEY": "x", "DATA_DIR": str(data_dir),
                                     "RUN_SCENARIOS": False}, environ={})     # test_process_scenarios runs them
        self.engine = build_engine(self.settings, clock, self.files)
        with sessions() as s:
            self.ids = seed(s, clock.now())
            dictionary.seed(s, clock.now())
            s.commit()
            for name in ("risk_grade.dmn",) + tuple(self.DIAGRAMS):     # the grading table, always
                result = self.engine.deploy_source(s, name, (ROOT / "bpmn" / name).read_bytes(), "owner")
                assert result.status == "deployed", str(result)

    @property
    def rt(self) -> Runtime:
        """The same parts as a services runtime (for use cases that take one)."""
        return Runtime(config=self.settings, engine=self.engine, files=self.files, sa=self.sessions.kw["bind"],
                       sessions=self.sessions, read_sessions=self.sessions)

    # -- inputs ------------------------------------------------------------------------------------
    def photo(self, seed_value: int = 0) -> str:
        with self.sessions() as s:
            row = attachments.store_image(s, self.files, jpeg(80 + seed_value, 60), kind="photo", actor="insp1",
                                          now=self.clock.now(), max_bytes=10_000_000)
            s.commit()
            return row.id

    def signature(self) -> str:
        with self.sessions() as s:
            row = attachments.store_image(s, self.files, png(), kind="signature", actor="insp1", now=self.clock.now(),
                                          max_bytes=10_000_000)
            s.commit()
            return row.id

    # -- the process -------------------------------------------------------------------------------
    def open(self, item_code="EP02", customer="hospital", **extra) -> int:
        photos = extra.pop("photos") if "photos" in extra else [self.photo(1), self.photo(2)]
        data = {"customer_id": self.ids[customer], "item_code": item_code, "location": "1号配电室",
                "description": "自备应急电源容量不足", "photos": photos, "equipment": "柴油发电机",
                "severity": None, "severity_reason": None, "team": None, "inspection_id": None,
                "interim_measures": None}
        data.update(extra)
        with self.sessions() as s:
            return self.engine.start_instance(s, "hazard_lifecycle", actor="insp1", data=data).id

    def task(self, instance_id: int, element: str | None = None) -> HumanTask:
        with self.sessions() as s:
            rows = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                     HumanTask.status == "ready")).all()
        rows = [r for r in rows if element is None or r.element_id == element]
        assert len(rows) == 1, f"expected one ready {element or 'task'}, got {[r.element_id for r in rows]}"
        return rows[0]

    def ready(self, instance_id: int) -> list[str]:
        with self.sessions() as s:
            return sorted(s.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == instance_id,
                                                                      HumanTask.status == "ready")))

    def complete(self, instance_id: int, element: str, data: dict, actor: str = "insp1"):
        """Complete a task with data that its form accepts (checked here as the web layer would)."""
        task = self.task(instance_id, element)
        schema = forms.load(task.form, FORMS_DIR)
        today = self.clock.now().date()
        with self.sessions() as s:
            options = {"hazard_items": [(i.code, i.code) for i in dictionary.current_items(s) if i.active],
                       "teams": [(t.code, t.code) for t in s.scalars(select(Team))]}
        errors = forms.validate(schema, data, today=today, options=options)
        assert not errors, f"{element}: the test data does not fit the form: {errors}"
        with self.sessions() as s:
            return self.engine.complete_task(s, task.id, data, actor)

    def sign(self, instance_id, element="deliver_notice"):
        return self.complete(instance_id, element, {"signer_name": "王电工", "signer_post": "电气主管",
                                                    "signature": self.signature(), "progress": "未整改"}
                             if element == "deliver_order" else
                             {"signer_name": "王电工", "signer_post": "电气主管", "signature": self.signature()})

    def refuse(self, instance_id, element="deliver_notice"):
        data = {"refused": True, "witness": "社区主任 李明", "refusal_photo": self.photo(9)}
        if element == "deliver_order":
            data["progress"] = "未整改，客户拒绝签收"
        return self.complete(instance_id, element, data)

    def issue(self, instance_id, requirements=None, days=None):
        """The supervision head issues the 督导单 of an overdue hazard, signing by name."""
        data = {"issuer_name": "督导负责人 赵督导"}
        if requirements:
            data["requirements"] = requirements
        if days:
            data["days"] = days
        return self.complete(instance_id, "issue_order", data, actor="sup1")

    def supervise(self, instance_id, refused=False):
        """The 督导单 of an overdue hazard, issued by the supervisor and delivered (signed, or refused)."""
        self.issue(instance_id)
        return self.refuse(instance_id, "deliver_order") if refused else self.sign(instance_id, "deliver_order")

    def pass_deadline(self, instance_id):
        """Move the clock just past the hazard's deadline in force and let the timers fire."""
        self.clock.set(self.hazard(instance_id).deadline)
        return self.tick(seconds=1)

    def grade(self, customer="hospital"):
        from records import risk
        with self.sessions() as s:
            row = risk.current_grade(s, self.ids[customer])
            return (row.grade, row.score) if row else (None, 0)

    def rectified(self, instance_id):
        return self.complete(instance_id, "follow_up", {"action": "rectified", "measures": "增购 200kW 发电机",
                                                        "completed_on": self.clock.now().date().isoformat()})

    def accept(self, instance_id, passed=True, new_deadline=None):
        if passed:
            data = {"method": "on_site", "second_inspector": "李检查", "checks": "复核发电机容量与切换试验",
                    "result": "pass", "after_photos": [self.photo(11), self.photo(12)], "signer_name": "王电工",
                    "customer_signature": self.signature()}
        else:
            data = {"method": "on_site", "second_inspector": "李检查", "checks": "复核", "result": "fail",
                    "reasons": "容量仍不足", "new_deadline": new_deadline}
        return self.complete(instance_id, "accept_on_site", data)

    def tick(self, **advance):
        self.clock.advance(**advance)
        return self.engine.fire_due_timers(self.sessions)

    # -- looking ---------------------------------------------------------------------------------
    def hazard(self, instance_id: int) -> Hazard:
        with self.sessions() as s:
            return s.scalars(select(Hazard).where(Hazard.instance_id == instance_id)).one()

    def instance(self, instance_id: int) -> ProcessInstance:
        with self.sessions() as s:
            return s.get(ProcessInstance, instance_id)

    def data(self, instance_id: int) -> dict:
        with self.sessions() as s:
            return current_data(load(self.engine, s, instance_id)[1])

    def events(self, instance_id: int) -> list[str]:
        hazard = self.hazard(instance_id)
        with self.sessions() as s:
            return [e.kind for e in hazards.timeline(s, hazard.id)]


def seed(session, now) -> dict:
    """A company, a county branch, a team with its head, a supervisor and a leader, two customers."""
    from web_support import _password_hash
    company = Branch(code="JA", name="吉安供电公司", kind="company")
    county = Branch(code="JA-JZ", name="吉州区供电公司", kind="county")
    session.add_all([company, county])
    session.flush()
    county.parent_id = company.id
    team = Team(code="JA-T1", name="吉州一组", branch_id=county.id)
    session.add(team)
    people = {}
    for username, name, post, warrant, role, branch in (
            ("insp1", "孙检查", "用电检查员", "赣用检0312", "inspector", county),
            ("head1", "李检查", "用电检查一组组长", "赣用检0311", "inspector", county),
            ("sup1", "刘督导", "督导负责人", None, "supervisor", county),
            ("lead1", "陈领导", "营销部主任", None, "leader", company)):
        user = User(username=username, display_name=name, post=post, warrant_number=warrant,
                    password_hash=_password_hash(), created_at=now, branch=branch, active=True, locale="zh_CN",
                    teams=[team] if role == "inspector" else [], mobile="1390796" + warrant[-4:] if warrant else None)
        user.set_roles([role])
        session.add(user)
        people[username] = user
    session.flush()
    team.head_id = people["head1"].id
    hospital = Customer(number="3600100001", name="吉安市中心人民医院", address="吉州区井冈山大道 1 号", branch_id=county.id,
                        importance="first", high_risk=False, industry="医疗卫生", legal_representative="周院长",
                        supply_voltage_kv=10.0, capacity_kva=3150.0, power_sources=2, supply_mode="双电源",
                        contacts=[{"name": "王电工", "post": "电气主管", "mobile": "13907960001"}],
                        default_team_id=team.id, created_at=now, updated_at=now)
    mall = Customer(number="3600100002", name="吉安国贸广场", address="吉州区仁山坪", branch_id=county.id,
                    importance="second", high_risk=False, industry="大型商场", contacts=[], default_team_id=team.id,
                    created_at=now, updated_at=now)
    session.add_all([hospital, mall])
    session.flush()
    return {"hospital": hospital.id, "mall": mall.id, "team": team.id, "county": county.id}






def seed_customers(session, now) -> None:
    """Two customers of the web test organisation (web_support.seed_people), team JA-T1 by default."""
    county = session.scalars(select(Branch).where(Branch.code == "JA-JZ")).one()
    team = session.scalars(select(Team).where(Team.code == "JA-T1")).one()
    session.add_all([
        Customer(number="3600100001", name="吉安市中心人民医院", address="吉州区井冈山大道 1 号", branch_id=county.id,
                 importance="first", industry="医疗卫生", contacts=[{"name": "王电工", "post": "电气主管",
                                                                  "mobile": "13907960001"}],
                 default_team_id=team.id, created_at=now, updated_at=now),
        Customer(number="3600100003", name="吉州区自来水厂", branch_id=county.id, importance="second", contacts=[],
                 default_team_id=None, created_at=now, updated_at=now)])


def seed_second_county(session, now, number: str = "3600200001") -> None:
    """A factory of the county JA-JA (team JA-T2) and a specialist of JA-JZ (spec_jz), for the access tests
    that ask one county's people for the other's objects (flushed, not committed)."""
    from web_support import _password_hash
    county = session.scalars(select(Branch).where(Branch.code == "JA-JA")).one()
    team = session.scalars(select(Team).where(Team.code == "JA-T2")).one()
    session.add(Customer(number=number, name="吉安县化工厂", branch_id=county.id, importance="first", contacts=[],
                         default_team_id=team.id, created_at=now, updated_at=now))
    spec_jz = User(username="spec_jz", display_name="SPEC_JZ", created_at=now, locale="zh_CN", active=True,
                   branch=session.scalars(select(Branch).where(Branch.code == "JA-JZ")).one())
    spec_jz.password_hash = _password_hash()
    spec_jz.set_roles(["specialist"])
    session.add(spec_jz)
    session.flush()

