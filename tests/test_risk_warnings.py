"""Risk warnings through real channels on loopback: an SMTP server (aiosmtpd) and an HTTP SMS gateway.

Who gets what (A/B/C), upward warns and downward informs, de-duplication per customer, grade and day,
reminders, retries with backoff while a channel is down, and failures an administrator can see and retry.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from channel_servers import MailSink, SmsGateway, free_port
from records import Notification, ReportLog, User
from risk_support import MOBILES, RiskWorld

HOSPITAL = "吉安市中心人民医院"


@pytest.fixture
def world(sessions, clock, tmp_path):
    w = RiskWorld(sessions, clock, tmp_path)
    w.contacts()
    return w


@pytest.fixture
def mail():
    with MailSink() as sink:
        yield sink


@pytest.fixture
def sms():
    with SmsGateway() as gateway:
        yield gateway


def channels(mail, sms, **extra) -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mail.port, "SMTP_FROM": "gridsafe@ja.example.cn",
            "SMS_URL": sms.url, "SMS_TOKEN": "t0ken", **extra}


def unread(world, username: str) -> list[str]:
    with world.sessions() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return [n.title for n in s.scalars(select(Notification).where(Notification.user_id == user.id)
                                           .order_by(Notification.id))]


def test_a_grade_change_delivers_exactly_the_right_messages(world, mail, sms):
    world.add("hospital", "EP02")
    assert world.grade("hospital")["grade"] == "B"                 # yellow: the leader (in-app, e-mail) and SMS
    assert world.deliver(**channels(mail, sms)) == {"sent": 3, "retrying": 0, "failed": 0, "skipped": 0}
    assert [(m["to"], m["subject"]) for m in mail.messages] == [(["lead1@ja.example.cn"], f"黄色预警：{HOSPITAL}升为B级")]
    body = mail.messages[0]["body"]
    assert "一级客户存在1项较大隐患（EP02 " in body and "risk_grade v1" in body        # the reason as a sentence
    assert "矩阵：EP02 较大隐患在一级客户 → B级" in body and " at " not in body          # the working, in Chinese
    assert mail.messages[0]["message_id"].startswith("<gridsafe-")
    assert sorted(r["mobile"] for r in sms.received) == [MOBILES["head1"], MOBILES["sup1"]]
    assert all("黄色预警" in r["text"] and r["id"].startswith("gridsafe-") for r in sms.received)
    assert {r["auth"] for r in sms.requests} == {"Bearer t0ken"}
    assert unread(world, "lead1") == unread(world, "head1") == unread(world, "sup1") == [f"黄色预警：{HOSPITAL}升为B级"]
    assert unread(world, "insp1") == []

    world.add("hospital", "MG02")                                   # still B (score 6): no new warning
    world.grade("hospital")
    assert world.deliver(**channels(mail, sms))["sent"] == 0 and len(mail.messages) == 1 and len(sms.received) == 2

    world.add("hospital", "IL01")                                   # red: a report document, leader, SMS
    assert world.grade("hospital")["grade"] == "A"
    assert world.deliver(**channels(mail, sms))["sent"] == 3
    assert mail.messages[-1]["subject"] == f"红色预警：{HOSPITAL}升为A级" and len(sms.received) == 4
    with world.sessions() as s:
        logs = s.scalars(select(ReportLog).where(ReportLog.reason == "grade_a")).all()
    assert "国网江西省电力有限公司" in {log.recipient for log in logs}
    assert len({log.document_id for log in logs}) == 2            # the letter and the superior report, a row per recipient
    assert world.warnings("hospital")[-1].report_document_id == logs[0].document_id
    assert unread(world, "lead1")[-2:] == ["待报送：吉供营销〔2026〕1号", f"红色预警：{HOSPITAL}升为A级"]

    for hazard in world.open_ids("hospital"):                         # all closed: informed, no SMS
        world.set(hazard, status="closed")
    assert world.grade("hospital")["grade"] is None
    world.deliver(**channels(mail, sms))
    informed = sorted((m["to"][0], m["subject"]) for m in mail.messages[2:])
    assert informed == [("head1@ja.example.cn", f"风险等级下降：{HOSPITAL}（A→无）"),
                        ("lead1@ja.example.cn", f"风险等级下降：{HOSPITAL}（A→无）")]
    assert len(sms.received) == 4


def test_c_goes_by_sms_to_the_inspection_head_and_the_supervision_head(world, mail, sms):
    world.add("mall", "EN01")
    assert world.grade("mall")["grade"] == "C"
    world.deliver(**channels(mail, sms))
    assert mail.messages == [] and sorted(r["mobile"] for r in sms.received) == [MOBILES["head1"], MOBILES["sup1"]]
    assert all("蓝色预警" in r["text"] for r in sms.received)
    assert unread(world, "lead1") == []                             # C does not go to the leader


def test_the_gateway_down_is_retried_with_backoff_and_delivered_once_when_back(world):
    gateway = SmsGateway()                                          # its port is reserved, nobody listens yet
    world.add("mall", "EN01")
    world.grade("mall")                                             # C: one SMS to each head
    config = {"SMS_URL": gateway.url}
    assert world.deliver(**config) == {"sent": 0, "retrying": 2, "failed": 0, "skipped": 0}
    rows = world.messages(channel="sms")
    assert len(rows) == 2
    assert all(r.status == "pending" and r.attempts == 1 and "cannot be reached" in r.last_error for r in rows)
    assert {r.next_attempt_at for r in rows} == {world.clock.now() + timedelta(seconds=60)}
    assert world.deliver(**config)["retrying"] == 0                  # not due yet: not tried again
    world.clock.advance(seconds=61)
    world.deliver(**config)
    rows = world.messages(channel="sms")
    assert {(r.attempts, r.next_attempt_at) for r in rows} == {(2, world.clock.now() + timedelta(seconds=120))}
    with gateway:
        world.clock.advance(seconds=121)
        assert world.deliver(**config)["sent"] == 2
        world.clock.advance(hours=2)
        assert world.deliver(**config)["sent"] == 0
    assert sorted(r["mobile"] for r in gateway.received) == [MOBILES["head1"], MOBILES["sup1"]]
    assert {r.status for r in world.messages(channel="sms")} == {"sent"}


def test_a_gateway_answering_500_or_garbage_is_retried_and_nothing_is_lost(world, sms):
    world.add("mall", "EN01")
    world.grade("mall")
    config = {"SMS_URL": sms.url}
    sms.mode = "error500"
    world.deliver(**config)
    assert all("HTTP 500" in r.last_error for r in world.messages(channel="sms"))
    sms.mode = "garbage"
    world.clock.advance(minutes=2)
    world.deliver(**config)
    rows = world.messages(channel="sms")
    assert all(r.status == "pending" and r.attempts == 2 and "not JSON" in r.last_error for r in rows)
    sms.mode = "ok"
    world.clock.advance(minutes=5)
    assert world.deliver(**config)["sent"] == 2
    assert len(sms.requests) == 6 and len(sms.received) == 2


def test_retries_stop_after_the_maximum_and_the_message_waits_for_an_administrator(world, sms):
    world.add("mall", "EN01")
    world.grade("mall")
    sms.mode = "error500"
    for _ in range(3):
        world.deliver(SMS_URL=sms.url, OUTBOX_MAX_ATTEMPTS=3)
        world.clock.advance(hours=1)
    row = world.messages(channel="sms")[0]
    assert row.status == "failed" and row.attempts == 3
    sms.mode = "ok"
    world.retry(row.id)
    assert world.deliver(SMS_URL=sms.url)["sent"] == 1 and len(sms.received) == 1


def test_a_recipient_without_a_mobile_number_is_a_visible_failure_the_others_get_theirs(world, mail, sms):
    world.contacts(mobiles={**MOBILES, "sup1": None})
    world.add("hospital", "EP02")
    world.grade("hospital")
    [failed] = world.messages(status="failed")
    assert failed.channel == "sms" and failed.recipient == "刘督导 (sup1)"
    assert failed.last_error == "刘督导 (sup1) has no mobile number: add it to the user's record, then retry"
    assert world.deliver(**channels(mail, sms))["sent"] == 2 and len(sms.received) == 1
    world.contacts()                                                 # the number is added; an administrator retries
    world.retry(failed.id)
    assert world.deliver(**channels(mail, sms))["sent"] == 1
    assert sorted(r["mobile"] for r in sms.received) == [MOBILES["head1"], MOBILES["sup1"]]


def test_a_customer_without_an_inspection_head_is_a_visible_failure(world, sessions, sms):
    from records import Team
    with sessions() as s:
        for team in s.scalars(select(Team)):
            team.head_id = None
        s.commit()
    world.add("mall", "EN01")
    world.grade("mall")
    [failed] = world.messages(status="failed")
    assert failed.recipient == "吉安国贸广场 的用电检查组长" and "an active head" in failed.last_error


def test_channels_that_are_not_configured_fail_visibly_and_can_be_retried_later(world, mail, sms):
    world.add("hospital", "EP02")
    world.grade("hospital")
    assert world.deliver() == {"sent": 0, "retrying": 0, "failed": 3, "skipped": 0}
    errors = {m.channel: m.last_error for m in world.messages(status="failed")}
    assert "GRIDSAFE_SMTP_HOST" in errors["email"] and "GRIDSAFE_SMS_URL" in errors["sms"]
    for row in world.messages(status="failed"):
        world.retry(row.id)
    assert world.deliver(**channels(mail, sms))["sent"] == 3


def test_the_smtp_server_down_is_retried(world):
    world.add("hospital", "EP02")
    world.grade("hospital")
    port = free_port()
    world.deliver(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    row = world.messages(channel="email")[0]
    assert row.status == "pending" and row.attempts == 1 and "did not take the message" in row.last_error
    with MailSink() as mail:
        world.clock.advance(minutes=2)
        assert world.deliver(SMTP_HOST="127.0.0.1", SMTP_PORT=mail.port)["sent"] == 1
        assert len(mail.messages) == 1


def test_warnings_are_deduplicated_per_customer_grade_and_day(world):
    major = world.add("hospital", "IL01")
    world.add("hospital", "EP02")
    world.grade("hospital")                                          # A
    world.set(major, status="closed")
    world.grade("hospital")                                          # B: lowered, information
    world.set(major, status="rectifying")
    world.grade("hospital")                                          # A again the same day: not sent again
    world.set(major, status="closed")
    world.grade("hospital")                                          # B again: not sent again
    assert [(w.kind, w.grade) for w in world.warnings("hospital")] == [("raise", "A"), ("lower", "B")]
    assert len([h for h in world.history("hospital")]) == 4
    world.clock.advance(days=1)
    world.set(major, status="rectifying")
    world.grade("hospital")                                          # the next day it warns again ...
    assert [(w.kind, w.grade) for w in world.warnings("hospital")][-1] == ("raise", "A")
    with world.sessions() as s:                                      # ... but the same hazards: no second report
        assert len({r.document_id for r in s.scalars(select(ReportLog).where(ReportLog.reason == "grade_a"))}) == 2
    assert world.warnings("hospital")[-1].report_document_id is None


def test_a_grade_a_report_goes_again_only_when_the_set_of_hazards_grows(world):
    first = world.add("hospital", "IL01")
    world.grade("hospital")                                          # enters A: reported (2 recipients)
    world.clock.advance(days=2)
    world.add("hospital", "EP02")
    assert world.grade("hospital")["grade"] == "A"                   # stays A, one more hazard: reported again
    world.clock.advance(days=2)
    world.set(first, status="closed")
    world.grade("hospital")                                          # B
    world.clock.advance(days=2)
    world.set(first, status="rectifying")
    assert world.grade("hospital")["grade"] == "A"                   # back in A with a set already reported
    world.clock.advance(days=2)
    world.add("hospital", "MG02")
    world.grade("hospital")                                          # A, grows again
    with world.sessions() as s:
        logs = s.scalars(select(ReportLog).where(ReportLog.reason == "grade_a")).all()
    assert len({log.document_id for log in logs}) == 6        # three reports, each a letter and a superior report
    reported = [(w.kind, sorted(w.hazard_ids or [])) for w in world.warnings("hospital") if w.report_document_id]
    assert [kind for kind, _ in reported] == ["raise", "grow", "grow"]
    assert [len(ids) for _, ids in reported] == [1, 2, 3] and reported[0][1] == [first]


def test_reminders_while_in_a_weekly_and_in_b_fortnightly(world):
    world.add("hospital", "IL01", days=365)
    world.add("mall", "EP02", days=365)
    world.grade("hospital")
    world.grade("mall")
    reminders = []
    for _day in range(29):
        world.clock.advance(days=1)
        world.daily()
    for key in ("hospital", "mall"):
        reminders.append([w.day.isoformat() for w in world.warnings(key) if w.kind == "reminder"])
    assert reminders[0] == ["2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"]        # A: every 7 days
    assert reminders[1] == ["2026-03-16", "2026-03-30"]                                      # B: every 14 days
    subjects = [m.subject for m in world.messages(channel="sms") if "提醒" in m.subject]
    assert subjects[0] == f"红色预警提醒：{HOSPITAL}仍为A级"


def test_the_warning_texts_explain_the_grade(world):
    world.add("hospital", "EP02", days=-1)
    world.add("hospital", "MG02", days=-1)
    world.grade("hospital")
    email = world.messages(channel="email")[0]
    assert "分值：S = 1.2 × (8 + 2) = 12 → A级" in email.body and "/risk/3600100001" in email.body
    assert "A: S =" not in email.body
    sms = world.messages(channel="sms")[0]
    assert sms.body.startswith("【国网吉安供电公司】红色预警：") and len(sms.body) <= 70       # one segment
    assert "T-00001等2项" in sms.body and "已于3月1日逾期，请即督办" in sms.body      # the file, by when
    assert "A: " not in sms.body and " at " not in sms.body and "S = " not in sms.body       # words, not shorthand


def test_a_reminder_says_since_when_the_customer_is_in_its_grade(world):
    world.add("hospital", "IL01", days=365)
    world.grade("hospital")
    world.add("hospital", "EP02", days=365)                  # still A, new drivers: a new row, same grade
    world.grade("hospital")
    world.clock.advance(days=7)
    world.daily()
    [reminder] = [m for m in world.messages(channel="inapp") if "提醒" in m.subject][:1]
    assert "自 2026-03-02 起仍为 A 级" in reminder.body
