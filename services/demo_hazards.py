"""Demo hazard files at every stage (new, signed, refused, overdue, supervised, accepting, closed, a notice
delivered late, a refusal to rectify), each run through the real hazard_lifecycle process with the clock
set in the past."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine import FixedClock, ProcessInstance, timers
from records import Customer, Hazard, dictionary

from .demo_steps import complete, store

# (customer, item, days ago opened, what happened since)
STORIES = [
    ("3608010001", "EP02", 2, "new"), ("3608010001", "MG02", 12, "signed"),
    ("3608010002", "PR01", 5, "signed"), ("3608010003", "EN02", 30, "overdue"),
    ("3608010004", "EN01", 40, "supervised"), ("3608010005", "EN03", 20, "supervised"),
    ("3608020002", "IL01", 9, "signed"), ("3608020001", "EN06", 25, "closed"),
    ("3608030001", "NE01", 14, "refused"), ("3608020003", "EQ09", 3, "new"),
    ("3608030002", "EM02", 60, "accepting"), ("3608010003", "EN08", 6, "late_notice"),
    ("3608020003", "EQ04", 20, "refuses_rectify"),
]


def load(rt, session) -> int:
    """The stories of STORIES, each run through the real process with the clock in the past."""
    eng = rt.engine
    customers = {c.number: c for c in session.scalars(select(Customer))}
    today = eng.clock.now()
    count = 0
    for seq, (number, code, ago, story) in enumerate(STORIES):
        clock = FixedClock(today - timedelta(days=ago, hours=2))
        at = eng.with_clock(clock)
        photos = [store(rt, session, at, "photo", seq * 10 + i) for i in range(2)]
        customer = customers[number]
        instance = at.start_instance(session, "hazard_lifecycle", actor="jiancha1", subject=number, data={
            "customer_id": customer.id, "item_code": code, "location": "配电室", "equipment": None,
            "description": f"{dictionary.current(session, code).name_zh}（现场检查发现）", "photos": photos,
            "severity": None, "severity_reason": None, "team": None, "inspection_id": None,
            "interim_measures": None})
        count += 1
        if story == "new":
            continue
        if story == "late_notice":          # the delivery deadline passes (the supervisor is told), delivered later
            _fire_at_deadline(session, at, clock, instance.id)
            clock.advance(days=2)
        clock.advance(hours=3)
        complete(session, at, instance.id, "deliver_notice",
                  {"refused": True, "witness": "物业经理 孙明", "refusal_photo": photos[0]} if story == "refused" else
                  {"signer_name": "值班电工", "signer_post": "电气负责人",
                   "signature": store(rt, session, at, "signature", seq)}, "jiancha1")
        if story in ("overdue", "supervised"):
            _fire_at_deadline(session, at, clock, instance.id)
            if story == "supervised":
                complete(session, at, instance.id, "issue_order",
                          {"issuer_name": "刘督导", "requirements": "请于期限内完成整改并书面回复整改情况"}, "dudao")
                complete(session, at, instance.id, "deliver_order",
                          {"progress": "尚未整改", "customer_reason": "整改资金尚未到位", "photos": [photos[1]],
                           "signer_name": "值班电工", "signature": store(rt, session, at, "signature", seq + 50)},
                          "jiancha1")
        if story == "refuses_rectify":
            clock.advance(days=5)
            complete(session, at, instance.id, "follow_up",
                      {"action": "refuse", "refusal_statement": "客户书面答复：近期不安排停电检修，不同意整改",
                       "refusal_witness": "厂区安全员 周强",
                       "refusal_photos": [store(rt, session, at, "photo", seq * 10 + 5)]}, "jiancha1")
        if story in ("closed", "accepting"):
            clock.advance(days=2)
            complete(session, at, instance.id, "follow_up",
                      {"action": "rectified", "measures": "已按要求整改", "completed_on": clock.now().date().isoformat()},
                      "jiancha1")
            clock.advance(days=1)
            complete(session, at, instance.id, "accept_on_site",
                      {"method": "on_site", "second_inspector": "王检查", "checks": "现场复核整改情况", "result": "pass",
                       "after_photos": [store(rt, session, at, "photo", seq * 10 + 7 + i) for i in range(2)],
                       "signer_name": "值班电工", "customer_signature": store(rt, session, at, "signature", seq + 80)},
                      "jiancha1")
            if story == "closed":
                complete(session, at, instance.id, "close_approval", {"approved": "yes", "comment": "同意销号"},
                          "jiancha1")
    session.rollback()
    eng.fire_due_timers(rt.sessions)        # what fell due between the stories and now
    return count


def _fire_at_deadline(session, at, clock, instance_id) -> None:
    """Move the story's clock just past its hazard's deadline in force and fire the instance's timer."""
    deadline = session.scalars(select(Hazard).where(Hazard.instance_id == instance_id)).one().deadline
    clock.set(deadline + timedelta(hours=1))
    timers.fire_instance(at, session, session.get(ProcessInstance, instance_id))
