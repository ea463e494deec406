"""Who reaches which risk grade, and the outbox: every page and API operation of the risk area that takes a
customer number or a message id, for every role, on a customer of the actor's own county and one of the
other county. An object out of scope is answered like an absent one (404), and a refused write changes no
row and no audit event.

Organisation (web_support): company JA with counties JA-JZ and JA-JA; insp1/insp2 in team JA-T1 of JA-JZ,
insp3 in JA-T2 of JA-JA; sup and lead in JA-JZ; spec, owner and admin at the company. Added here:
spec_jz, a specialist of the county JA-JZ (the company's specialist reaches both counties).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import AuditEvent
from hazard_support import seed_second_county
from records import Customer, Hazard, Notification, User, dictionary, outbox, render_jobs, risk
from services import Forbidden, NotFound, access
from services import outbox as outbox_service
from services import risk as risk_service
from web_support import USERS, api_token, csrf_of, signed_in
from webui import db

JZ, JA = "3600100001", "3600200001"           # the hospital of JA-JZ (team JA-T1); a factory of JA-JA (JA-T2)
COUNTIES = {"JA-JZ": JZ, "JA-JA": JA}
USERS_HERE = {**{name: branch for name, (_r, _t, branch) in USERS.items()}, "spec_jz": "JA-JZ"}
# the counties whose customers each user reaches (the expectation, written out rather than computed)
REACHES = {"spec": {"JA-JZ", "JA-JA"}, "owner": {"JA-JZ", "JA-JA"}, "admin": {"JA-JZ", "JA-JA"},
           "insp1": {"JA-JZ"}, "insp2": {"JA-JZ"}, "sup": {"JA-JZ"}, "lead": {"JA-JZ"}, "spec_jz": {"JA-JZ"},
           "insp3": {"JA-JA"}}
GRADERS = {"spec", "spec_jz", "admin"}
CELLS = [(user, county) for user in sorted(REACHES) for county in sorted(COUNTIES)]


def _hazard(session, customer, code, now, number):
    item = dictionary.current(session, code)
    row = Hazard(file_number=number, customer_id=customer.id, branch_id=customer.branch_id,
                 team_id=customer.default_team_id, item_code=code, item=item.snapshot(),
                 severity=item.severity_for(customer.importance), location="配电室", description="测试", photos=[],
                 status="rectifying", deadline=now + timedelta(days=30), original_deadline=now + timedelta(days=30),
                 opened_by="insp1", opened_at=now)
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def world(hazard_app):
    """Both counties have a graded customer with an open hazard (hence warnings in the outbox)."""
    rt = hazard_app.extensions["gridsafe.runtime"]
    with hazard_app.app_context():
        session = db.session()
        now = rt.now()
        seed_second_county(session, now, JA)
        for number in (JZ, JA):
            customer = session.scalars(select(Customer).where(Customer.number == number)).one()
            _hazard(session, customer, "EN01", now, f"T-{number}-1")
            risk_service.regrade(rt, session, customer, "test", "tester")
        session.commit()
    return hazard_app


def _writes(app) -> dict:
    """Row counts of everything a grading or a retry writes."""
    with app.app_context():
        session = db.session()
        return {model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (risk.CustomerGrade, risk.RiskWarning, outbox.OutboxMessage, Notification, AuditEvent)}


def _pending_hazard(app, number: str) -> None:
    """A further, graver hazard, not yet graded: a regrade would now write a new grade."""
    with app.app_context():
        session = db.session()
        customer = session.scalars(select(Customer).where(Customer.number == number)).one()
        _hazard(session, customer, "IL01", app.extensions["gridsafe.runtime"].now(), f"T-{number}-2")
        session.commit()


# --- reading one customer's risk ------------------------------------------------------------------

@pytest.mark.parametrize("user,county", CELLS)
def test_the_customer_risk_page_and_api_answer_only_within_scope(world, client, user, county):
    expected = 200 if county in REACHES[user] else 404
    number = COUNTIES[county]
    assert signed_in(world, user).get(f"/risk/{number}").status_code == expected
    headers = {"Authorization": f"Bearer {api_token(world, user)}"}
    response = client.get(f"/api/v1/risk/{number}", headers=headers)
    assert response.status_code == expected
    if expected == 404:
        assert response.mimetype == "application/problem+json" and number not in response.get_data(as_text=True)


@pytest.mark.parametrize("user", sorted(REACHES))
def test_the_risk_list_holds_only_the_customers_in_scope(world, client, user):
    visible = {COUNTIES[c] for c in REACHES[user]}
    hidden = set(COUNTIES.values()) - visible
    page = signed_in(world, user).get("/risk").get_data(as_text=True)
    assert all(f'data-number="{n}"' in page for n in visible)
    assert not any(f'data-number="{n}"' in page for n in hidden)
    headers = {"Authorization": f"Bearer {api_token(world, user)}"}
    body = client.get("/api/v1/risk", headers=headers).get_json()
    numbers = {row["number"] for row in body["items"]}
    assert visible <= numbers and not hidden & numbers
    assert body["total"] == len(numbers) == sum(body["counts"].values())          # the counts are scoped too
    searched = client.get(f"/api/v1/risk?q={JA}", headers=headers).get_json()     # searching finds nothing hidden
    assert {row["number"] for row in searched["items"]} == ({JA} & visible)


# --- regrading by hand ----------------------------------------------------------------------------

@pytest.mark.parametrize("user,county", [(u, c) for u, c in CELLS if u in GRADERS])
def test_regrading_by_hand_reaches_only_customers_in_scope_and_a_refusal_writes_nothing(world, user, county):
    number = COUNTIES[county]
    _pending_hazard(world, number)
    client = signed_in(world, user)
    token = csrf_of(client, "/risk")
    before = _writes(world)
    response = client.post(f"/risk/{number}/regrade", data={"csrf_token": token})
    if county in REACHES[user]:
        assert response.status_code == 302
        assert _writes(world)["CustomerGrade"] == before["CustomerGrade"] + 1
    else:
        assert response.status_code == 404
        assert _writes(world) == before


def test_the_regrade_service_refuses_out_of_scope_as_absent_and_without_the_right_as_forbidden(world):
    rt = world.extensions["gridsafe.runtime"]
    _pending_hazard(world, JZ)
    before = _writes(world)
    with world.app_context():
        session = db.session()
        insp3, insp1 = (session.scalars(select(User).where(User.username == name)).one() for name in ("insp3", "insp1"))
        with pytest.raises(NotFound):
            risk_service.regrade_by_hand(rt, session, insp3, JZ)
        with pytest.raises(Forbidden):
            risk_service.regrade_by_hand(rt, session, insp1, JZ)                # in scope, but not a grader
        with pytest.raises(NotFound):
            risk_service.customer_risk(rt, session, insp3, JZ)
        session.rollback()
    assert _writes(world) == before
    with world.app_context():
        assert risk_service.regrade_by_hand(rt, db.session(), access.SYSTEM, JZ)["stored"]


# --- the outbox: administrators only --------------------------------------------------------------

def _a_render_job(app) -> tuple[int, str]:
    """A document's failed render (made here once: this world's steps render their documents at once)."""
    from records import documents
    with app.app_context():
        session = db.session()
        job = session.scalars(select(render_jobs.RenderJob).order_by(render_jobs.RenderJob.id)).first()
        if job is None:
            now = app.extensions["gridsafe.engine"].clock.now()
            doc = documents.reserve(session, kind="hazard_notice", number="N-1", subject="N-1", filename="N-1.docx",
                                    actor="insp1", now=now)
            job = render_jobs.enqueue(session, doc.id, [["new_document", ["x"], {}]], actor="insp1", now=now)
            job.status, job.last_error = "failed", "字体缺失"
            session.commit()
        return job.id, job.status


def _a_message(app) -> tuple[int, int]:
    with app.app_context():
        row = db.session().scalars(select(outbox.OutboxMessage).where(outbox.OutboxMessage.status == "failed")
                                   .order_by(outbox.OutboxMessage.id)).first()
        return row.id, row.lock_version


@pytest.mark.parametrize("user", sorted(USERS_HERE))
def test_the_outbox_pages_and_api_are_for_administrators_only(world, client, user):
    message_id, version = _a_message(world)
    allowed = user == "admin"
    browser = signed_in(world, user)
    token = csrf_of(browser, "/risk")
    headers = {"Authorization": f"Bearer {api_token(world, user)}"}
    assert browser.get("/admin/outbox").status_code == (200 if allowed else 403)
    assert client.get("/api/v1/outbox", headers=headers).status_code == (200 if allowed else 403)
    job_id, status = _a_render_job(world)                     # a document's render: retried by admins only
    if allowed:
        return
    before = _writes(world)
    assert browser.post(f"/admin/outbox/{message_id}/retry",
                        data={"csrf_token": token, "lock_version": str(version)}).status_code == 403
    assert browser.post("/admin/outbox/retry-failed", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/api/v1/outbox/{message_id}/retry", headers=headers).status_code == 403
    assert browser.post(f"/admin/outbox/renders/{job_id}/retry", data={"csrf_token": token}).status_code == 403
    assert _writes(world) == before and _a_render_job(world) == (job_id, status)
    with world.app_context():
        assert db.session().get(outbox.OutboxMessage, message_id).status == "failed"


def test_the_outbox_service_refuses_anyone_but_an_administrator(world):
    rt = world.extensions["gridsafe.runtime"]
    message_id, _version = _a_message(world)
    before = _writes(world)
    with world.app_context():
        session = db.session()
        spec = session.scalars(select(User).where(User.username == "spec")).one()
        for call in (lambda: outbox_service.messages(rt, session, spec, outbox_service.OutboxQuery()),
                     lambda: outbox_service.retry(rt, session, spec, message_id),
                     lambda: outbox_service.retry_undelivered(rt, session, spec)):
            with pytest.raises(Forbidden):
                call()
        session.rollback()
    assert _writes(world) == before
