"""Administrators: instances (list, why-not-moving, actions) and people (users, teams, branches)."""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from engine import AuditEvent, ProcessInstance
from records import Team, User
from web_support import api_token, csrf_of, login
from webui import db


def test_the_instance_list_filters_and_the_page_says_what_it_waits_for(client, site, clock):
    first = site.start_visit(key="V-1")
    site.start_visit(key="V-2")
    login(client, "admin")
    page = client.get("/admin/instances?status=running").get_data(as_text=True)
    assert "V-1" in page and "V-2" in page and "共 2 个实例" in page
    assert "共 1 个实例" in client.get("/admin/instances?key=V-2").get_data(as_text=True)
    assert "共 0 个实例" in client.get("/admin/instances?status=error").get_data(as_text=True)
    page = client.get(f"/admin/instances/{first}").get_data(as_text=True)
    assert "等待人员处理：“记录现场检查”" in page and "小组 JA-T1" in page
    assert "instance.started" in page and "record_visit" in page


def test_admin_actions_need_a_reason_and_are_audited(client, site):
    instance_id = site.start_visit()
    login(client, "admin")
    token = csrf_of(client, f"/admin/instances/{instance_id}")
    refused = client.post(f"/admin/instances/{instance_id}/suspend", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 422 and "请填写原因" in refused.get_data(as_text=True)
    client.post(f"/admin/instances/{instance_id}/suspend", data={"csrf_token": token, "reason": "客户停产"})
    with site.app.app_context():
        assert db.session().get(ProcessInstance, instance_id).status == "suspended"
        event = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "instance.suspended")).one()
    assert event.actor == "admin" and event.reason == "客户停产"
    token = {"Authorization": f"Bearer {api_token(site.app, 'admin')}"}
    response = client.post(f"/api/v1/instances/{instance_id}/actions", headers=token,
                           json={"action": "resume", "reason": "恢复生产"})
    assert response.status_code == 200 and response.get_json()["status"] == "running"
    response = client.post(f"/api/v1/instances/{instance_id}/actions", headers=token,
                           json={"action": "retry", "reason": "x"})
    assert response.status_code == 409 and "not in error" in response.get_json()["detail"]


def test_terminate_is_apart_from_retry_and_needs_a_reason_and_a_confirmation(client, site):
    instance_id = site.start_visit()
    login(client, "admin")
    page = client.get(f"/admin/instances/{instance_id}").get_data(as_text=True)
    start = page.index('<section class="actions">')
    actions = page[start:page.index("</section>", start)]
    danger = page[page.index('<section class="danger-zone"'):]
    assert 'data-action="terminate"' not in actions and 'data-action="suspend"' in actions
    assert 'data-action="terminate"' in danger and "<details>" in danger and 'name="confirm"' in danger
    assert 'class="danger"' in danger and page.index("danger-zone") > page.index('<section class="actions">')
    token = csrf_of(client, f"/admin/instances/{instance_id}")
    for data in ({"reason": "客户销户"}, {"reason": "", "confirm": "yes"}):          # no confirmation; no reason
        answer = client.post(f"/admin/instances/{instance_id}/terminate", data={"csrf_token": token, **data})
        assert answer.status_code == 422
        with site.app.app_context():
            assert db.session().get(ProcessInstance, instance_id).status != "terminated"
    assert "不可撤销" in client.post(f"/admin/instances/{instance_id}/terminate",
                                   data={"csrf_token": token, "reason": "x"}).get_data(as_text=True)
    client.post(f"/admin/instances/{instance_id}/terminate",
                data={"csrf_token": token, "reason": "客户销户", "confirm": "yes"})
    with site.app.app_context():
        assert db.session().get(ProcessInstance, instance_id).status == "terminated"
        event = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "instance.terminated")).one()
    assert (event.actor, event.reason) == ("admin", "客户销户")


def test_a_process_owner_may_look_at_instances_but_not_act(client, site):
    instance_id = site.start_visit()
    login(client, "owner")
    assert client.get(f"/admin/instances/{instance_id}").status_code == 200
    token = csrf_of(client, f"/admin/instances/{instance_id}")
    assert client.post(f"/admin/instances/{instance_id}/terminate",
                       data={"csrf_token": token, "reason": "no"}).status_code == 403


def _user_form(client, url, **fields):
    data = {"csrf_token": csrf_of(client, url), "username": "insp9", "display_name": "新检查员",
            "password": "long-enough-1", "roles": ["inspector"], "branch_id": "2", "team_ids": ["1"],
            "locale": "zh_CN", "mobile": "13800000000", "email": "", "active": "y"}
    data.update(fields)
    return data


def test_an_admin_creates_a_user_who_can_then_work(client, site):
    login(client, "admin")
    response = client.post("/admin/users/new", data=_user_form(client, "/admin/users/new"))
    assert response.status_code == 302
    with site.app.app_context():
        user = db.session().scalars(select(User).where(User.username == "insp9")).one()
        assert user.roles == {"inspector"} and [t.code for t in user.teams] == ["JA-T1"]
        assert db.session().scalars(select(AuditEvent).where(AuditEvent.chain == "user:insp9")).one()
    other = site.app.test_client()
    assert login(other, "insp9", "long-enough-1").status_code == 302


def test_an_inspectors_post_and_warrant_number_are_kept_on_the_user_page(client, site):
    """What the documents print beside an inspector's name (domain.md §6.1: 检查证 numbers)."""
    login(client, "admin")
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert "用电检查证号" in page and "职务" in page
    response = client.post("/admin/users/new", data=_user_form(client, "/admin/users/new", post="用电检查员",
                                                               warrant_number=" 赣用检0399 "))
    assert response.status_code == 302
    with site.app.app_context():
        user = db.session().scalars(select(User).where(User.username == "insp9")).one()
        assert (user.post, user.warrant_number) == ("用电检查员", "赣用检0399")
        event = db.session().scalars(select(AuditEvent).where(AuditEvent.chain == "user:insp9")).one()
        assert event.after["warrant_number"] == "赣用检0399"
    assert "赣用检0399" in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    too_long = _user_form(client, "/admin/users/new", username="insp8", warrant_number="9" * 41)
    assert client.post("/admin/users/new", data=too_long).status_code == 422


def test_the_cli_creates_an_inspector_with_post_and_warrant_number(runner, site):
    result = runner.invoke(["user", "create", "insp7", "--name", "钱检查", "--role", "inspector", "--post", "用电检查员",
                            "--warrant", "赣用检0377", "--password", "pass-word-1"])
    assert result.exit_code == 0, result.output
    with site.app.app_context():
        user = db.session().scalars(select(User).where(User.username == "insp7")).one()
        assert (user.display_name, user.post, user.warrant_number) == ("钱检查", "用电检查员", "赣用检0377")


@pytest.mark.parametrize("field,value,words", [
    ("username", "bad name!", "只能使用字母"),
    ("username", "insp1", "已被使用"),
    ("mobile", "12345", "11 位手机号码"),
    ("password", "short", "8 到 128 个字符"),
    ("roles", ["wizard"], "wizard"),
])
def test_bad_user_input_is_refused_and_nothing_is_stored(client, site, field, value, words):
    login(client, "admin")
    response = client.post("/admin/users/new", data=_user_form(client, "/admin/users/new", **{field: value}))
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    with site.app.app_context():
        assert db.session().scalars(select(User).where(User.username == "insp9")).first() is None


def test_an_edit_made_meanwhile_is_not_silently_overwritten(client, site):
    login(client, "admin")
    with site.app.app_context():
        user_id = db.session().scalars(select(User.id).where(User.username == "insp2")).one()
    url = f"/admin/users/{user_id}"
    stale = _user_form(client, url, username="insp2", display_name="旧的名字", password="", lock_version="1")
    fresh = _user_form(client, url, username="insp2", display_name="新的名字", password="", lock_version="1")
    assert client.post(url, data=fresh).status_code == 302
    response = client.post(url, data=stale)
    assert response.status_code == 422 and "已被他人修改" in response.get_data(as_text=True)
    with site.app.app_context():
        assert db.session().get(User, user_id).display_name == "新的名字"


def test_a_team_head_must_be_a_member(client, site):
    login(client, "admin")
    with site.app.app_context():
        ids = dict(db.session().execute(select(User.username, User.id)).all())
    data = {"csrf_token": csrf_of(client, "/admin/teams/new"), "code": "JA-T9", "name": "新小组", "branch_id": "2",
            "head_id": str(ids["insp3"]), "member_ids": [str(ids["insp1"])], "active": "y"}
    response = client.post("/admin/teams/new", data=data)
    assert response.status_code == 422 and "组长必须是小组成员" in response.get_data(as_text=True)
    data["head_id"] = str(ids["insp1"])
    assert client.post("/admin/teams/new", data=data).status_code == 302
    with site.app.app_context():
        assert db.session().scalars(select(Team).where(Team.code == "JA-T9")).one().head_id == ids["insp1"]


def test_the_openapi_document_is_valid_and_lists_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    paths = set(spec["paths"])
    assert {"/api/v1/tasks", "/api/v1/tasks/{task_id}/complete", "/api/v1/processes/instances",
            "/api/v1/messages", "/api/v1/attachments", "/api/v1/instances/{instance_id}/actions"} <= paths
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_api_starts_an_instance_and_lists_processes(client, site):
    token = {"Authorization": f"Bearer {api_token(site.app, 'spec')}"}
    processes = client.get("/api/v1/processes", headers=token).get_json()
    assert [(p["process_id"], p["version"], p["latest"]) for p in processes] == [("site_visit", 1, True)]
    response = client.post("/api/v1/processes/instances", headers=token,
                           json={"process_id": "site_visit", "business_key": "V-9", "subject": "9010009",
                                 "data": {"team": "JA-T1", "branch": "JA-JZ", "customer_name": "X", "due": None}})
    assert response.status_code == 201 and response.get_json()["instance"]["business_key"] == "V-9"
    response = client.post("/api/v1/processes/instances", headers=token, json={"process_id": "nope"})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    response = client.post("/api/v1/processes/instances", headers=token, json={"business_key": "x" * 300})
    assert response.status_code == 422 and {"process_id", "business_key"} <= set(response.get_json()["errors"])


def test_an_admin_revokes_a_users_api_token_from_the_user_page_with_a_reason(client, site):
    app = site.app
    token = api_token(app, "insp1")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    with app.app_context():
        session = db.session()
        user_id = session.scalars(select(User.id).where(User.username == "insp1")).one()
        from records.tokens import ApiToken
        token_id = session.scalars(select(ApiToken.id).where(ApiToken.user_id == user_id)).one()
        other_id = session.scalars(select(User.id).where(User.username == "insp2")).one()
    login(client, "admin")
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "API 令牌" in page and token[:10] in page and token[10:] not in page     # never the secret part
    url = f"/admin/users/{user_id}/tokens/{token_id}/revoke"
    empty = client.post(url, data={"csrf_token": csrf_of(client, f"/admin/users/{user_id}"), "reason": " "})
    assert empty.status_code == 422 and "必填" in empty.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=bearer).status_code == 200            # still live
    assert client.post(f"/admin/users/{other_id}/tokens/{token_id}/revoke",       # not that user's token
                       data={"csrf_token": csrf_of(client, f"/admin/users/{user_id}"), "reason": "x"}).status_code == 404
    done = client.post(url, data={"csrf_token": csrf_of(client, f"/admin/users/{user_id}"), "reason": "平板丢失"})
    assert done.status_code == 302
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert "已吊销" in client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    again = client.post(url, data={"csrf_token": csrf_of(client, f"/admin/users/{user_id}"), "reason": "twice"})
    assert again.status_code == 302
    with app.app_context():
        events = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "token.revoked")).all()
        assert [(e.actor, e.reason) for e in events] == [("admin", "平板丢失")]
