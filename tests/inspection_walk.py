"""An inspection on site as an inspector does it in the browser, shared by the browser tests and
bench/inspection_taps.py: the app with the real diagrams and forms, a planned inspection, and the
walk through its execution form with every tap, typed field, photo and signature counted."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
CUSTOMER = "3600100001"          # 一级 hospital: the full 28-item checklist


def make_app(db_url: str, data_dir: Path, clock, **settings):
    """The app with people, two customers, the dictionary and the real diagrams deployed; `settings`
    override the test ones (e.g. DOCUMENTS_RENDER)."""
    from hazard_support import seed_customers
    from records import dictionary
    from web_support import seed_people
    from webui import create_app, db, engine_of
    app = create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": db_url,
                      "DATA_DIR": str(data_dir), "CLOCK": clock,
                      "RUN_SCENARIOS": False, **settings})     # the shipped scenarios: test_process_scenarios.py
    with app.app_context():
        session = db.session()
        seed_people(session, clock.now())
        seed_customers(session, clock.now())
        dictionary.seed(session, clock.now())
        session.commit()
        for name in ("risk_grade.dmn", "hazard_lifecycle.bpmn", "inspection.bpmn"):
            result = engine_of(app).deploy_source(session, name, (ROOT / "bpmn" / name).read_bytes(), "owner")
            assert result.status == "deployed", str(result)
    return app


def plan(app, clock, approve: bool = True) -> str:
    """A periodic inspection of the hospital, assigned to its team, its worksheet approved before the visit
    by a specialist (the team has no head) unless `approve` is False; its number."""
    from records import Customer
    from services import planning
    from webui import db
    with app.app_context():
        session = db.session()
        customer = session.scalars(select(Customer).where(Customer.number == CUSTOMER)).one()
        ins = planning.create(app.extensions["gridsafe.runtime"], session, customer, kind="periodic",
                              due=clock.now().date().replace(day=20), planned_from=clock.now().date(), actor="spec")
        number = ins.number
    if approve:
        approve_worksheet(app, number)
    return number


def approve_worksheet(app, number: str, username: str = "spec") -> None:
    """The worksheet approved through the inbox's use case, as the approver does it in the browser."""
    from engine import HumanTask
    from records import Inspection, User
    from services import work
    from webui import db
    with app.app_context():
        session = db.session()
        ins = session.scalars(select(Inspection).where(Inspection.number == number)).one()
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == ins.instance_id,
                                                       HumanTask.element_id == "approve_worksheet",
                                                       HumanTask.status == "ready")).one()
        actor = session.scalars(select(User).where(User.username == username)).one()
        work.complete(app.extensions["gridsafe.runtime"], session, actor, task.id, {"approved": "yes"})


class Taps:
    """The page's actions an inspector makes with a finger, counted: a tap, a typed field, a photo, a signature."""

    def __init__(self, page):
        self.page, self.count, self.log = page, 0, []

    def _one(self, what: str) -> None:
        self.count += 1
        self.log.append(what)

    def tap(self, selector: str) -> None:
        self.page.click(selector)
        self._one(f"tap {selector}")

    def type(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)
        self._one(f"type {selector}")

    def photo(self, selector: str, path: Path) -> None:
        self.page.set_input_files(selector, str(path))
        self._one(f"photo {selector}")

    def sign(self, selector: str) -> None:
        from browser_support import draw_signature
        draw_signature(self.page, selector)
        self._one(f"sign {selector}")


def item(index: int, result: str) -> str:
    """The answer button of checklist item `index` (0-based)."""
    return f"#checklist-{index} label.tap-{result}"


def walk_one_failed_item(page, server, photo: Path, fail: int = 5) -> Taps:
    """From the inbox to the submitted form: item `fail` 不合格 filed as its hazard (location, photo), the
    rest 合格, three signatures."""
    taps = Taps(page)
    taps.tap("text=现场用电检查")
    page.wait_for_selector("form.task-form[data-ready]")
    taps.tap(item(fail, "fail"))
    taps.type(f"#checklist-{fail} [name$='.location']", "地下一层配电室")
    taps.photo(f"#checklist-{fail} input[type=file][name='checklist.{fail}.photos']", photo)
    taps.tap("[data-rest-pass]")
    taps.type("input[name=second_inspector]", "王检查")
    for name in ("inspector_signature", "second_inspector_signature", "customer_signature"):
        taps.sign(f"canvas[data-target={name}]")
    taps.type("input[name=customer_name]", "王电工")
    taps.tap("button[value=complete]")
    page.wait_for_url(f"{server.url}/")
    return taps
