"""Risk pages and API: the customer risk list (red / yellow / blue / grey / 未监控), one customer's grade history,
regrading on a class change and a cancelled hazard, and the administrators' outbox with its retry button."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from records import Customer, Hazard, Notification, User, dictionary, outbox
from web_support import api_token, csrf_of, jpeg, signed_in
from services import risk as grading
from webui import db, engine_of


@pytest.fixture
def world(hazard_app):
    """Hospital (一级) with IL01 → A, the water works (二级) with EN01 → C, a mall with no hazard (grey), a school
    whose periodic inspection is overdue and that has no hazard (未监控)."""
    with hazard_app.app_context():
        session = db.session()
        eng = engine_of(hazard_app)
        now = eng.clock.now()
        hospital = session.scalars(select(Customer).where(Customer.number == "3600100001")).one()
        water = session.scalars(select(Customer).where(Customer.number == "3600100003")).one()
        session.add_all([
            Customer(number="3600100004", name="吉安国贸广场", branch_id=hospital.branch_id, importance="second",
                     contacts=[], created_at=now, updated_at=now,
                     next_inspection_due=(now + timedelta(days=30)).date()),
            Customer(number="3600100005", name="白鹭洲中学", branch_id=hospital.branch_id, importance="second",
                     contacts=[], created_at=now, updated_at=now,
                     next_inspection_due=(now - timedelta(days=3)).date())])
        for customer, code in ((hospital, "IL01"), (water, "EN01")):
            _hazard(session, customer, code, now)
            grading.regrade(hazard_app.extensions["gridsafe.runtime"], session, customer, "test", "tester")
        session.commit()
    return hazard_app


def _hazard(session, customer, code, now, number=None):
    item = dictionary.current(session, code)
    row = Hazard(file_number=number or f"T-{customer.number}-{code}", customer_id=customer.id,
                 branch_id=customer.branch_id, team_id=customer.default_team_id, item_code=code, item=item.snapshot(),
                 severity=item.severity_for(customer.importance), location="配电室", description="测试", photos=[],
                 status="rectifying", deadline=now + timedelta(days=30), original_deadline=now + timedelta(days=30),
                 opened_by="insp1", opened_at=now)
    session.add(row)
    session.flush()
    return row


def test_the_risk_list_shows_every_status_worst_score_first_with_its_drivers(world):
    page = signed_in(world, "insp1").get("/risk").get_data(as_text=True)
    order = [n for n in ("3600100001", "3600100003", "3600100005", "3600100004") if f'data-number="{n}"' in page]
    assert order == ["3600100001", "3600100003", "3600100005", "3600100004"]
    assert [page.index(f'data-number="{n}"') for n in order] == sorted(page.index(f'data-number="{n}"') for n in order)
    for number, status in (("3600100001", "A"), ("3600100003", "C"), ("3600100005", "gap"), ("3600100004", "none")):
        assert f'data-number="{number}" data-status="{status}"' in page
    # each grade's reasons in a sentence: no "A: IL01 重大 at 一级" shorthand, no score formula
    assert "一级客户存在1项重大隐患（IL01 " in page and "risk_grade v1" in page
    assert "A: IL01" not in page and " at 一级" not in page and "S = " not in page
    assert 'data-status="A" data-count="1"' in page and 'data-status="gap" data-count="1"' in page


def test_the_list_filters_by_status_class_branch_and_name(world):
    client = signed_in(world, "lead")
    gap = client.get("/risk?status=gap").get_data(as_text=True)
    assert 'data-number="3600100005"' in gap and 'data-number="3600100001"' not in gap
    first = client.get("/risk?class=first").get_data(as_text=True)
    assert 'data-number="3600100001"' in first and 'data-number="3600100003"' not in first
    assert 'data-number="3600100003"' in client.get("/risk?q=自来水").get_data(as_text=True)
    assert 'data-number="3600100001"' not in client.get("/risk?branch=JA-JA").get_data(as_text=True)
    assert client.get("/risk?status=bogus&page=x").status_code == 200       # bad filters are ignored


def test_an_open_periodic_inspection_past_its_due_date_is_a_monitoring_gap_too(world):
    from records import Inspection
    with world.app_context():
        session = db.session()
        mall = session.scalars(select(Customer).where(Customer.number == "3600100004")).one()
        now = engine_of(world).clock.now()
        session.add(Inspection(number="JC-T-1", customer_id=mall.id, kind="periodic", planned_from=now.date(),
                               due_date=(now - timedelta(days=1)).date(), status="assigned", checklist_template="*:*",
                               created_by="spec", created_at=now))
        session.commit()
    page = signed_in(world, "insp1").get("/risk?status=gap").get_data(as_text=True)
    assert 'data-number="3600100004"' in page


def test_the_api_gives_the_same_list_and_each_customers_history(world, client):
    headers = {"Authorization": f"Bearer {api_token(world, 'insp1')}"}
    body = client.get("/api/v1/risk?status=A", headers=headers).get_json()
    assert body["total"] == 1 and body["counts"] == {"A": 1, "B": 0, "C": 1, "none": 1, "gap": 1}
    [row] = body["items"]
    assert (row["number"], row["status"], row["colour"], row["grade"]) == ("3600100001", "A", "red", "A")
    assert row["drivers"][0] == "A: IL01 重大 at 一级" and row["model_version"] == "risk_grade v1"
    assert row["reasons"].startswith("一级客户存在1项重大隐患（IL01 ")
    detail = client.get("/api/v1/risk/3600100001", headers=headers).get_json()
    assert detail["history"][0]["grade"] == "A" and detail["warnings"][0]["kind"] == "raise"
    channels = {m["channel"] for m in detail["warnings"][0]["messages"]}
    assert channels == {"inapp", "email", "sms"}
    assert client.get("/api/v1/risk?status=purple", headers=headers).status_code == 422
    assert client.get("/api/v1/risk/0000000", headers=headers).status_code == 404


def test_the_customer_risk_page_explains_the_grade_and_its_warnings(world):
    page = signed_in(world, "sup").get("/risk/3600100001").get_data(as_text=True)
    assert 'id="risk-status"' in page and "一级客户存在1项重大隐患（IL01 " in page and "T-3600100001-IL01" in page
    assert "A: IL01" not in page and " at 一级" not in page
    # the working, in Chinese, folded away for specialists: the table's rule and the score formula
    working = page[page.index('id="drivers"'):page.index("</details>", page.index('id="drivers"'))]
    assert "定级计算明细" in working and "矩阵：IL01 重大隐患在一级客户 → A级" in working and "S = " in working
    assert "吉供营销〔2026〕1号" in page                          # the grade-A report (the letter's number)
    assert "risk_grade v1" in page and 'id="history"' in page


def test_a_class_change_is_graded_again_at_once(world):
    with world.app_context():
        session = db.session()
        water = session.scalars(select(Customer).where(Customer.number == "3600100003")).one()
        _hazard(session, water, "EQ03", engine_of(world).clock.now())          # 较大 → B at 二级
        grading.regrade(world.extensions["gridsafe.runtime"], session, water, "test", "tester")
        session.commit()
        branch_id, version = water.branch_id, water.lock_version
    specialist = signed_in(world, "spec")
    form = {"csrf_token": csrf_of(specialist, "/customers/3600100003/edit"), "number": "3600100003",
            "name": "吉州区自来水厂", "branch_id": str(branch_id), "importance": "special", "default_team_id": "0",
            "lock_version": str(version)}
    response = specialist.post("/customers/3600100003/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    body = specialist.get("/risk/3600100003").get_data(as_text=True)
    assert "特级客户存在1项较大隐患（EQ03 " in body and "客户等级变更" in body      # why, in words
    assert "class_changed" not in body and "A: EQ03" not in body


def test_a_class_change_that_cannot_be_graded_saves_nothing(world):
    from sqlalchemy import text
    with world.app_context():
        session = db.session()
        session.execute(text("DELETE FROM definition WHERE kind = 'decision'"))
        water = session.scalars(select(Customer).where(Customer.number == "3600100003")).one()
        branch_id, version = water.branch_id, water.lock_version
        session.commit()
    specialist = signed_in(world, "spec")
    form = {"csrf_token": csrf_of(specialist, "/customers/3600100003/edit"), "number": "3600100003",
            "name": "吉州区自来水厂", "branch_id": str(branch_id), "importance": "first", "default_team_id": "0",
            "lock_version": str(version)}
    response = specialist.post("/customers/3600100003/edit", data=form)
    assert response.status_code == 422 and "risk_grade" in response.get_data(as_text=True)
    with world.app_context():
        assert db.session().scalars(select(Customer).where(Customer.number == "3600100003")).one().importance == "second"


def test_the_regrade_button(world):
    specialist = signed_in(world, "spec")
    response = specialist.post("/risk/3600100001/regrade",
                               data={"csrf_token": csrf_of(specialist, "/risk/3600100001")})
    assert response.status_code == 302
    assert signed_in(world, "insp1").post("/risk/3600100001/regrade").status_code in (400, 403)


def test_the_outbox_page_shows_failures_and_the_retry_button_retries(world):
    admin = signed_in(world, "admin")
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert "has no mobile number" in page or "has no e-mail address" in page
    with world.app_context():
        session = db.session()
        lead = session.scalars(select(User).where(User.username == "lead")).one()
        lead.email = "lead@ja.example.cn"
        row = session.scalars(select(outbox.OutboxMessage).where(outbox.OutboxMessage.user_id == lead.id,
                                                                 outbox.OutboxMessage.channel == "email")).first()
        session.commit()
        message_id, version = row.id, row.lock_version
    stale = admin.post(f"/admin/outbox/{message_id}/retry",
                       data={"csrf_token": csrf_of(admin, "/admin/outbox"), "lock_version": "999"})
    assert stale.status_code == 302
    response = admin.post(f"/admin/outbox/{message_id}/retry",
                          data={"csrf_token": csrf_of(admin, "/admin/outbox"), "lock_version": str(version)})
    assert response.status_code == 302
    with world.app_context():
        row = db.session().get(outbox.OutboxMessage, message_id)
        assert (row.status, row.address) == ("pending", "lead@ja.example.cn")
    response = admin.post("/admin/outbox/retry-failed", data={"csrf_token": csrf_of(admin, "/admin/outbox")})
    assert response.status_code == 302


def test_the_outbox_api_lists_and_retries(world, client):
    headers = {"Authorization": f"Bearer {api_token(world, 'admin')}"}
    body = client.get("/api/v1/outbox?status=failed", headers=headers).get_json()
    assert body["total"] >= 1 and all(m["status"] == "failed" and m["last_error"] for m in body["items"])
    first = body["items"][0]
    retried = client.post(f"/api/v1/outbox/{first['id']}/retry", headers=headers).get_json()
    assert retried["id"] == first["id"]
    assert client.post("/api/v1/outbox/999999/retry", headers=headers).status_code == 404
    sent = client.get("/api/v1/outbox?status=sent&channel=inapp", headers=headers).get_json()["items"][0]
    assert client.post(f"/api/v1/outbox/{sent['id']}/retry", headers=headers).status_code == 409
    lead = {"Authorization": f"Bearer {api_token(world, 'lead')}"}
    assert client.get("/api/v1/outbox", headers=lead).status_code == 403


def test_cancelling_a_hazard_regrades_the_customer(world):
    inspector = signed_in(world, "insp1")
    data = {"csrf_token": csrf_of(inspector, "/hazards/new"), "customer": "3600100004", "item_code": "EQ03",
            "location": "配电室", "description": "变压器过负荷", "photos": (io.BytesIO(jpeg()), "p.jpg")}
    response = inspector.post("/hazards/new", data=data, content_type="multipart/form-data")
    number = response.headers["Location"].rsplit("/", 1)[-1]
    assert 'data-number="3600100004" data-status="B"' in inspector.get("/risk").get_data(as_text=True)
    specialist = signed_in(world, "spec")
    specialist.post(f"/hazards/{number}/cancel", data={"csrf_token": csrf_of(specialist, f"/hazards/{number}"),
                                                       "reason": "误报"})
    assert 'data-number="3600100004" data-status="B"' in inspector.get("/risk").get_data(as_text=True)  # asked only
    with world.app_context():
        from records import Cancellation
        row = db.session().scalars(select(Cancellation)).one()
    leader = signed_in(world, "lead")
    leader.post(f"/cancellations/{row.id}", data={"csrf_token": csrf_of(leader, f"/hazards/{number}"), "approve": "yes",
                                                 "lock_version": row.lock_version})
    assert 'data-number="3600100004" data-status="none"' in inspector.get("/risk").get_data(as_text=True)
    with world.app_context():
        titles = [n.title for n in db.session().scalars(select(Notification))]
    assert any("风险等级下降" in t for t in titles)


def test_a_long_list_pages_with_its_filters_kept(world):
    with world.app_context():
        session = db.session()
        hospital = session.scalars(select(Customer).where(Customer.number == "3600100001")).one()
        now = engine_of(world).clock.now()
        session.add_all([Customer(number=f"37000{n:05d}", name=f"客户{n}", branch_id=hospital.branch_id,
                                  importance="second", contacts=[], created_at=now, updated_at=now) for n in range(60)])
        session.commit()
    client = signed_in(world, "insp1")
    first = client.get("/risk?class=second").get_data(as_text=True)
    assert first.count('class="risk-row ') == 50 and 'href="?class=second&amp;page=2"' in first
    second = client.get("/risk?class=second&page=2").get_data(as_text=True)
    assert second.count('class="risk-row ') == 13 and 'data-number="3600100003"' in first


def test_every_reason_a_grade_is_computed_for_has_words():
    """The history shows why each grade was computed in words: every reason code the diagrams, handlers and
    services pass to grading has its entry (else the page would fall back to "重新定级")."""
    import re
    from pathlib import Path

    from services.risk import GRADE_REASONS
    root = Path(__file__).resolve().parent.parent
    used = set()
    for bpmn in (root / "bpmn").glob("*.bpmn"):
        for block in re.findall(r'serviceTaskOperator id="risk\.grade".*?</spiffworkflow:serviceTaskOperator>',
                                bpmn.read_text(), re.S):
            used |= set(re.findall(r'id="reason" type="any" value="&#39;(\w+)&#39;"', block))
    used |= set(re.findall(r'_regrade\(ctx, hazard, "(\w+)"', (root / "handlers" / "hazards.py").read_text()))
    used |= set(re.findall(r'_regrade\(ctx, hazard, "(\w+)" if', (root / "handlers" / "hazards.py").read_text()))
    used |= set(re.findall(r'else "(\w+)"\)', (root / "handlers" / "hazards.py").read_text()))
    for module in (root / "services").glob("*.py"):
        used |= set(re.findall(r'regrade\(rt, session, [\w.]+, "(\w+)"', module.read_text()))
    used |= set(re.findall(r'return "(\w+)"', (root / "services" / "risk.py").read_text()))
    assert {"opened", "overdue", "closed", "manual", "class_changed", "daily", "notice_refused"} <= used, used
    assert not used - set(GRADE_REASONS), used - set(GRADE_REASONS)
