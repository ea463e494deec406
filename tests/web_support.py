"""Web test helpers: an organisation with one user per role, sign-in with CSRF, tokens, a test image."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from PIL import Image
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from engine import HumanTask
from records import Branch, Team, User, tokens
from support import DIAGRAMS, FORMS

PASSWORD = "correct-horse-42"
USERS = {  # username: (roles, teams, branch)
    "spec": (["specialist"], [], "JA"),
    "insp1": (["inspector"], ["JA-T1"], "JA-JZ"),
    "insp2": (["inspector"], ["JA-T1"], "JA-JZ"),
    "insp3": (["inspector"], ["JA-T2"], "JA-JA"),
    "sup": (["supervisor"], [], "JA-JZ"),
    "lead": (["leader"], [], "JA-JZ"),
    "owner": (["process_owner"], [], "JA"),
    "admin": (["admin"], [], "JA"),
}
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


_HASH: dict = {}


def _password_hash() -> str:
    """The test users' shared password, hashed with few rounds: the suite signs in thousands of times and
    scrypt (what `User.set_password` stores) spends ~80 ms per check by design. The check reads the method
    from the stored hash, so sign-in works the same; passwords set through the app are still scrypt."""
    if "h" not in _HASH:
        _HASH["h"] = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    return _HASH["h"]


def seed_people(session, now) -> None:
    company = Branch(code="JA", name="吉安供电公司", kind="company")
    jz = Branch(code="JA-JZ", name="吉州区供电公司", kind="county")
    ja = Branch(code="JA-JA", name="吉安县供电公司", kind="county")
    session.add_all([company, jz, ja])
    session.flush()
    jz.parent_id = ja.parent_id = company.id
    teams = {"JA-T1": Team(code="JA-T1", name="吉州一组", branch_id=jz.id),
             "JA-T2": Team(code="JA-T2", name="吉安县一组", branch_id=ja.id)}
    session.add_all(teams.values())
    branches = {"JA": company, "JA-JZ": jz, "JA-JA": ja}
    for username, (roles, team_codes, branch) in USERS.items():
        user = User(username=username, display_name=username.upper(), created_at=now, locale="zh_CN",
                    branch=branches[branch], teams=[teams[c] for c in team_codes], active=True)
        user.password_hash = _password_hash()
        user.set_roles(roles)
        session.add(user)
    session.commit()


def csrf_of(client, url="/login") -> str:
    page = client.get(url)
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_of(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def signed_in(app, username: str, password: str = PASSWORD):
    """A test client of the app, signed in as the user."""
    client = app.test_client()
    assert login(client, username, password).status_code == 302, f"{username} could not sign in"
    return client


def count_rows(app, model, *where) -> int:
    from sqlalchemy import func

    from webui import db
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model).where(*where))


def api_token(app, username: str) -> str:
    from webui import db
    with app.app_context():
        session = db.session()
        user = session.scalars(select(User).where(User.username == username)).one()
        _row, text = tokens.create(session, user, "test", app.extensions["gridsafe.engine"].clock.now())
        session.commit()
        return text


def png(width=60, height=30, color=(10, 20, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width=80, height=60) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


class Site:
    """The app with people and the test diagrams deployed."""

    def __init__(self, app, clock):
        from webui import db, engine_of
        self.app, self.clock = app, clock
        self.engine = engine_of(app)
        with app.app_context():
            session = db.session()
            seed_people(session, clock.now())
            result = self.engine.deploy_source(session, "site_visit.bpmn",
                                               (DIAGRAMS / "site_visit.bpmn").read_bytes(), "test")
            assert result.status == "deployed", str(result)

    def start_visit(self, team="JA-T1", key="V-1", customer="9010001", days=3):
        from webui import db
        with self.app.app_context():
            inst = self.engine.start_instance(
                db.session(), "site_visit", actor="spec", business_key=key, subject=customer,
                data={"team": team, "branch": "JA-JZ", "customer_name": "吉安市中心人民医院",
                      "due": (self.clock.now() + timedelta(days=days)).isoformat()})
            return inst.id

    def task(self, instance_id, element="record_visit") -> HumanTask:
        from webui import db
        with self.app.app_context():
            return db.session().scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                                HumanTask.element_id == element)).one()


FORMS_DIR = str(FORMS)


def api_hazard_body(api, token: dict) -> dict:
    """The JSON of POST /api/v1/hazards for the hospital (IL01 配电室 无闭锁) with one photo uploaded first."""
    photo = api.post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                     data={"kind": "photo", "file": (io.BytesIO(jpeg()), "h.jpg")}).get_json()["id"]
    return {"customer": "3600100001", "item_code": "IL01", "location": "配电室", "description": "无闭锁",
            "photos": [photo]}

