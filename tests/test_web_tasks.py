"""The inbox and task forms through pages and the API: offers, claims, validation, drafts, bad input."""
from __future__ import annotations

import base64
import io
import threading

import pytest
from sqlalchemy import select

from engine import AuditEvent, ProcessInstance
from engine.inspect import current_data
from engine.runtime import load
from records import Attachment
from web_support import api_token, count_rows, csrf_of, jpeg, login, png
from webui import db

SIGNATURE = "data:image/png;base64," + base64.b64encode(png()).decode()


def form_data(client, task_id, **overrides):
    data = {"csrf_token": csrf_of(client, f"/tasks/{task_id}"), "action": "complete",
            "location": "1号配电室", "load_kw": "120.5", "visit_date": "2026-03-02", "result": "fail",
            "interlock_ok": "true", "note": "备用电源闭锁装置缺失", "findings.0.where": "高压柜",
            "findings.0.severity": "重大", "customer_signature": SIGNATURE}
    data.update(overrides)
    return data


def workflow_data(site, instance_id):
    with site.app.app_context():
        return current_data(load(site.engine, db.session(), instance_id)[1])


def test_a_task_is_completed_through_the_page_with_photos_and_a_signature(client, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "吉安市中心人民医院" in page and "&lt;script&gt;" in page and "<script>alert" not in page
    data = form_data(client, task.id)
    data["site_photo"] = (io.BytesIO(jpeg()), "site.jpg")
    data["findings.0.photos"] = [(io.BytesIO(jpeg(90, 70)), "a.jpg"), (io.BytesIO(jpeg(91, 70)), "b.jpg")]
    response = client.post(f"/tasks/{task.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    done = site.task(instance_id)
    assert done.status == "completed" and done.completed_by == "insp1"
    stored = workflow_data(site, instance_id)
    assert stored["location"] == "1号配电室" and stored["load_kw"] == 120.5 and stored["interlock_ok"] is True
    assert len(stored["findings"][0]["photos"]) == 2 and len(stored["site_photo"]) == 64
    with site.app.app_context():
        signature = db.session().get(Attachment, stored["customer_signature"])
    assert signature.kind == "signature" and signature.content_type == "image/png"
    assert site.task(instance_id, "approve").status == "ready"


def test_a_task_is_completed_through_the_api(client, app, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    token = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    upload = client.post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                         data={"kind": "signature", "file": (io.BytesIO(png()), "sig.png")})
    assert upload.status_code == 201
    signature = upload.get_json()["id"]
    body = {"data": {"location": "2号配电室", "result": "pass", "customer_signature": signature}}
    response = client.post(f"/api/v1/tasks/{task.id}/complete", json=body, headers=token)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["instance"]["status"] == "running"
    assert response.get_json()["ready_tasks"] == []      # the next task is the leader's, not insp1's
    assert workflow_data(site, instance_id)["customer_signature"] == signature


def test_field_errors_are_shown_and_the_entered_data_kept(client, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    data = form_data(client, task.id, location="", load_kw="很多", note="<b>粗体</b>", result="maybe")
    data.pop("customer_signature")
    data["site_photo"] = (io.BytesIO(jpeg()), "site.jpg")
    response = client.post(f"/tasks/{task.id}", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("此项必填") == 2                       # location and the signature
    assert "请输入数字" in page and "请从列表中选择" in page
    assert "&lt;b&gt;粗体&lt;/b&gt;" in page and "<b>粗体</b>" not in page   # kept, and escaped
    assert 'value="高压柜"' in page                            # the findings row is kept
    assert "/attachments/" in page                           # the uploaded photo is kept
    assert site.task(instance_id).status == "ready"
    assert count_rows(site.app, AuditEvent) == 2                      # deploy + start: nothing of the failed submit


def test_a_draft_is_saved_and_comes_back(client, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    data = form_data(client, task.id, action="draft", location="", note="下午再来")
    assert client.post(f"/tasks/{task.id}", data=data).status_code == 302
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "下午再来" in page and 'value="高压柜"' in page
    assert site.task(instance_id).status == "ready"


def test_two_users_claiming_one_task_one_wins_the_other_is_told(app, site):
    instance_id = site.start_visit()
    task_id = site.task(instance_id).id
    clients = [app.test_client(), app.test_client()]
    for client, user in zip(clients, ("insp1", "insp2")):
        login(client, user)
    tokens = [csrf_of(c, f"/tasks/{task_id}") for c in clients]
    results = [None, None]

    def claim(i):
        results[i] = clients[i].post(f"/tasks/{task_id}/claim", data={"csrf_token": tokens[i]},
                                     follow_redirects=True).get_data(as_text=True)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    holder = site.task(instance_id).assignee
    assert holder in ("insp1", "insp2")
    loser = 1 if holder == "insp1" else 0
    assert "您已认领" in results[1 - loser]
    assert "他人已先认领" in results[loser] and holder.upper() in results[loser]     # the holder by real name
    api = app.test_client().post(f"/api/v1/tasks/{task_id}/claim",
                                 headers={"Authorization": f"Bearer {api_token(app, ['insp1', 'insp2'][loser])}"})
    assert api.status_code == 409 and holder.upper() in api.get_json()["detail"]


def test_an_inspector_of_another_team_neither_sees_nor_completes_the_task(client, site):
    instance_id = site.start_visit(team="JA-T1")
    task = site.task(instance_id)
    login(client, "insp3")
    assert "记录现场检查" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/tasks/{task.id}").status_code == 404          # out of reach: like absent
    data = {"csrf_token": csrf_of(client, "/"), "action": "complete", "location": "1号配电室", "result": "pass"}
    assert client.post(f"/tasks/{task.id}", data=data).status_code == 404
    assert site.task(instance_id).status == "ready"


def test_a_leader_sees_the_branch_but_completes_only_what_is_offered(client, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "lead")
    assert "记录现场检查" in client.get("/?scope=branch").get_data(as_text=True)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "不能办理" in page
    assert client.post(f"/tasks/{task.id}", data=form_data(client, task.id)).status_code == 403
    inspector = site.app.test_client()
    login(inspector, "insp1")
    assert inspector.post(f"/tasks/{task.id}", data=form_data(inspector, task.id)).status_code == 302
    approve = site.task(instance_id, "approve")
    assert approve.candidate_team == "JA-JZ"
    response = client.post(f"/tasks/{approve.id}", data={"csrf_token": csrf_of(client, f"/tasks/{approve.id}"),
                                                        "passed": "true"})
    assert response.status_code == 302
    with site.app.app_context():
        assert db.session().get(ProcessInstance, instance_id).status == "completed"


def test_a_specialist_hands_a_task_to_an_eligible_user_only(client, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "spec")
    token = csrf_of(client, f"/tasks/{task.id}")
    client.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token, "username": "insp3"})
    assert site.task(instance_id).assignee is None          # insp3 is in another team
    client.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token, "username": "insp2", "reason": "近"})
    assert site.task(instance_id).assignee == "insp2"
    inspector = site.app.test_client()
    login(inspector, "insp1")
    assert inspector.get(f"/tasks/{task.id}").status_code == 200   # insp1 may still look, not submit
    assert inspector.post(f"/tasks/{task.id}", data=form_data(inspector, task.id)).status_code == 403


def test_overdue_tasks_are_highlighted_and_filters_narrow_the_inbox(client, site, clock):
    late = site.start_visit(key="V-late", customer="9010001", days=1)
    site.start_visit(key="V-later", customer="9010002", days=20)
    clock.advance(days=2)
    login(client, "insp1")
    page = client.get("/").get_data(as_text=True)
    assert page.count("task-card overdue") == 1 and "共 2 项任务" in page
    assert "共 1 项任务" in client.get("/?due=overdue").get_data(as_text=True)
    assert "V-later" in client.get("/?customer=9010002").get_data(as_text=True)
    assert "V-late<" not in client.get("/?customer=9010002").get_data(as_text=True)
    assert site.task(late).business_key == "V-late"


@pytest.mark.parametrize("field,value,words", [
    ("location", "长" * 101, "最多 100 个字符"),
    ("load_kw", "-5", "最小值为 0"),
    ("visit_date", "2026-13-45", "YYYY-MM-DD"),
    ("findings.0.severity", "灾难", "请从列表中选择"),
    ("customer_signature", "data:image/png;base64,bm90IGEgcG5n", "不是可读取的图片"),
    ("customer_signature", "0" * 64, "找不到该附件"),
])
def test_bad_input_gets_a_clear_message_and_nothing_is_stored(client, site, field, value, words):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    response = client.post(f"/tasks/{task.id}", data=form_data(client, task.id, **{field: value}))
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert site.task(instance_id).status == "ready"


def test_a_non_image_or_oversize_upload_is_refused(client, app, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    data = form_data(client, task.id)
    data["site_photo"] = (io.BytesIO(b"MZ\x90\x00 not an image"), "photo.jpg")
    response = client.post(f"/tasks/{task.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "不是可读取的图片" in response.get_data(as_text=True)
    app.config["GRIDSAFE"]["MAX_UPLOAD_BYTES"] = 1000
    data = form_data(client, task.id)
    data["site_photo"] = (io.BytesIO(jpeg(400, 400)), "big.jpg")
    response = client.post(f"/tasks/{task.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "上限为 0 KB" in response.get_data(as_text=True)
    assert count_rows(site.app, Attachment) == 1      # only the signature of the earlier try was kept
    assert site.task(instance_id).status == "ready"


def test_a_forged_task_id_is_a_404_for_pages_and_a_problem_for_the_api(client, app, site):
    login(client, "insp1")
    assert client.get("/tasks/not-a-task").status_code == 404
    token = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    response = client.post("/api/v1/tasks/00000000-0000-0000-0000-000000000000/complete", json={"data": {}},
                           headers=token)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_the_api_reports_field_errors_as_a_problem(client, app, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    token = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=token,
                           json={"data": {"location": 7, "result": "pass", "extra": 1}})
    body = response.get_json()
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert set(body["errors"]) == {"location", "extra", "customer_signature"}
    assert count_rows(site.app, AuditEvent) == 2
    response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=token, json={"data": "nope"})
    assert response.status_code == 422 and "data" in response.get_json()["errors"]


def test_my_teams_queue_merges_team_and_teamless_offers_in_due_order_across_pages(client, app, site, clock):
    """'My teams'' is the union of tasks offered to my team and tasks offered to my role without a team
    (two index ranges): one order by due date, paged, counted once each."""
    from datetime import timedelta

    from engine import HumanTask
    instance = site.start_visit(days=30)
    now = clock.now()
    with app.app_context():
        session = db.session()

        def add(n, team, days, lane="inspector", assignee=None):
            session.add(HumanTask(id=f"00000000-0000-0000-0000-{n:012d}", instance_id=instance, process_id="site_visit",
                                  element_id="record_visit", title=f"T{n:02d}", lane=lane, candidate_team=team,
                                  assignee=assignee, business_key=f"Q-{n:02d}", status="ready", created_at=now,
                                  due_at=now + timedelta(days=days), lock_version=1))
        for n in range(60):                              # interleaved: even ones for the team, odd ones for no team
            add(n, "JA-T1" if n % 2 == 0 else None, days=n + 0.5)
        add(90, "JA-T2", 0.5)                            # another team's
        add(91, None, 0.5, lane="supervisor")            # another role's
        add(92, "JA-T1", 0.5, assignee="insp2")          # taken
        session.commit()
    bearer = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    first = client.get("/api/v1/tasks?scope=team", headers=bearer).get_json()
    second = client.get("/api/v1/tasks?scope=team&page=2", headers=bearer).get_json()
    assert first["total"] == second["total"] == 61      # 60 + the started visit's own task (due in 30 days)
    beyond = client.get("/api/v1/tasks?scope=team&page=3", headers=bearer).get_json()
    assert beyond["items"] == [] and beyond["total"] == 61     # counted (a full page and an empty one cannot tell)
    other = client.get("/api/v1/tasks?scope=team&process=no_such_process", headers=bearer).get_json()
    assert other["items"] == [] and other["total"] == 0
    keys = [t["business_key"] for t in first["items"] + second["items"]]
    assert len(keys) == 61 and len(first["items"]) == 50
    expected = [f"Q-{n:02d}" for n in range(30)] + ["V-1"] + [f"Q-{n:02d}" for n in range(30, 60)]
    assert keys == expected
    login(client, "insp1")
    page = client.get("/?scope=team").get_data(as_text=True)
    assert "共 61 项任务" in page and page.index("Q-00") < page.index("Q-01") < page.index("Q-02")


def _facts(client, task_id) -> str:
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    return page[page.index('<dl class="facts">'):page.index("</dl>")]


def test_a_task_page_says_its_state_role_team_and_people_in_words(client, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    facts = _facts(client, task.id)
    # a ready task is to be done (待处理), not "waiting"; the team by its name, the role in Chinese
    assert "待处理" in facts and "等待中" not in facts
    assert "吉州一组" in facts and "JA-T1" not in facts
    assert task.lane is None or task.lane not in facts
    client.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf_of(client, f"/tasks/{task.id}")})
    facts = _facts(client, task.id)
    assert "INSP1" in facts and "insp1" not in facts                 # the holder by real name, not the login
    response = client.post(f"/tasks/{task.id}", data=form_data(client, task.id), content_type="multipart/form-data")
    assert response.status_code == 302
    facts = _facts(client, task.id)
    assert "已完成" in facts or "完成" in facts
    assert "INSP1" in facts and "insp1" not in facts


def test_task_holders_name_a_lane_a_branch_and_the_system_in_words(site):
    from services import holders
    with site.app.test_request_context():
        from webui import db
        session = db.session()
        assert holders.role_label("inspector") == "用电检查员"
        assert holders.group_name(session, "JA-T1") == "吉州一组"
        assert holders.group_name(session, "JA-JZ") == "吉州区供电公司"
        assert holders.group_name(session, "XX-9") == "XX-9"                  # unknown: shown as it is
        assert holders.person_name(session, "insp1") == "INSP1"
        assert holders.person_name(session, "scheduler") == "系统"
