"""系统状态: the operator's page in Chinese, for administrators only."""
from __future__ import annotations

from sqlalchemy import update

from engine import ProcessInstance, SchedulerBeat
from records import outbox
from web_support import login
from webui import db


def test_the_status_page_shows_database_schedulers_timers_outbox_errors_and_the_calendar(client, site, clock):
    broken = site.start_visit(key="V-1", days=1)
    site.start_visit(key="V-2", days=1)
    clock.set("2026-12-01T02:00:00+00:00")                 # the visits' tasks are overdue; 2027 is near
    with site.app.app_context():
        session = db.session()
        session.execute(update(ProcessInstance).where(ProcessInstance.id == broken)
                        .values(status="error", error_element="record_visit", error_message="没有这个客户"))
        session.add(SchedulerBeat(name="app-2:4711", last_tick_at=clock.now(), last_duration_ms=12, fired=3, errors=0))
        outbox.enqueue(session, now=clock.now(), channel="sms", kind="test", recipient="张三", address=None,
                       subject="测试", body="测试")
        session.commit()
    clock.advance(seconds=400)                             # past SCHEDULER_MAX_LAG_SECONDS (300)
    login(client, "admin")
    page = client.get("/admin/status").get_data(as_text=True)
    assert "<h2>系统状态</h2>" in page and "SQLite 数据库响应正常" in page
    assert 'data-node="app-2:4711"' in page and "400 · 已超时" in page
    assert "待办任务 2 项，其中已超期 2 项。" in page and "最早到期的定时器" not in page
    assert "没有这个客户" in page and f'instance_id={broken}' not in page and f"/admin/instances/{broken}" in page
    sms = page.split('data-channel="sms"')[1].split("</tr>")[0]
    assert '<span class="badge badge-error">1</span>' in sms
    assert 'data-year="2027"' in page and "2027 年的节假日安排尚未收录" in page
    assert "/admin/status" in client.get("/inbox").get_data(as_text=True)        # in the administrator's menu


def test_only_administrators_see_the_status_page(client, site):
    login(client, "insp1")
    assert client.get("/admin/status").status_code == 403
    assert "/admin/status" not in client.get("/inbox").get_data(as_text=True)
