"""Demo data for the dashboard, reports and team assessment (idempotent): a year of closed and some
still-open hazard files run through the real process with the clock in the past, three months of team
assessments published and last month's waiting for the leader (陈领导), and last month's government
summary generated."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine import FixedClock, HumanTask, ProcessInstance, timers
from records import Customer, Document, Hazard, dictionary
from records.assessments import AssessmentRun

from . import access, assessment, periods, summaries
from .demo_steps import complete, store

# (customer, item, months ago, day of month, story): closed | late (overdue, supervised, then closed) | open
HISTORY = [
    ("3608010001", "EN01", 11, 6, "closed"), ("3608020002", "IL01", 11, 20, "late"),
    ("3608010002", "EM02", 10, 9, "closed"), ("3608030001", "NE01", 10, 22, "closed"),
    ("3608010003", "PR01", 9, 4, "closed"), ("3608020001", "MG02", 9, 18, "closed"),
    ("3608010004", "EN03", 8, 12, "late"), ("3608030002", "EN02", 7, 3, "closed"),
    ("3608010005", "EQ09", 7, 25, "closed"), ("3608020003", "EN06", 6, 8, "closed"),
    ("3608010001", "EP02", 5, 14, "late"), ("3608020002", "EN01", 5, 27, "closed"),
    ("3608030001", "MG02", 4, 10, "closed"), ("3608010002", "EN02", 3, 5, "open"),
    ("3608020004", "PR01", 3, 19, "closed"), ("3608010006", "EQ09", 2, 7, "late"),
    ("3608010003", "EN03", 2, 21, "closed"), ("3608010005", "EN06", 1, 3, "closed"),
    ("3608020001", "EQ09", 1, 6, "closed"), ("3608030002", "MG02", 1, 9, "open"), ("3608010004", "PR01", 1, 13, "closed"),
]
COMMENTS = ["隐患跟踪及时，督导到位", "检查按期，建档需加强", "逾期督导偏慢，请改进", "告知及时，资料完整"]


def load(rt, session) -> list[str]:
    """What was added of the year of history (nothing when it is there)."""
    done = []
    eng = rt.engine
    today = rt.today()
    oldest = eng.clock.now() - timedelta(days=120)
    if session.scalar(select(Hazard.id).where(Hazard.opened_at < oldest).limit(1)) is None:
        done.append(f"demo history: {_history(rt, session, today)} hazard files over the last year")
    if session.scalar(select(AssessmentRun.id).limit(1)) is None and _assessments(rt, session, today):
        done.append("demo team assessments: three months published, last month waiting for 陈领导")
    if session.scalar(select(Document.id).where(Document.kind == "periodic_summary").limit(1)) is None:
        done.append(f"demo government summary: {_summary(rt, session, today)}")
    return done


def _history(rt, session, today) -> int:
    eng = rt.engine
    customers = {c.number: c for c in session.scalars(select(Customer))}
    count = 0
    for seq, (number, code, months, day, story) in enumerate(HISTORY, start=200):
        if number not in customers or dictionary.current(session, code) is None:
            continue
        first = (today.replace(day=1) - timedelta(days=30 * months - 15)).replace(day=day)
        clock = FixedClock(f"{first.isoformat()}T02:30:00+00:00")
        at = eng.with_clock(clock)
        _one(rt, session, at, clock, customers[number], code, story, seq, eng.clock.now())
        count += 1
    session.rollback()
    eng.fire_due_timers(rt.sessions)
    return count


def _one(rt, session, at, clock, customer, code, story, seq, now) -> None:
    photos = [store(rt, session, at, "photo", seq * 10 + i) for i in range(2)]
    instance = at.start_instance(session, "hazard_lifecycle", actor="jiancha1", subject=customer.number, data={
        "customer_id": customer.id, "item_code": code, "location": "配电室", "equipment": None,
        "description": f"{dictionary.current(session, code).name_zh}（周期检查发现）", "photos": photos, "severity": None,
        "severity_reason": None, "team": None, "inspection_id": None, "interim_measures": None})
    clock.advance(hours=3)
    complete(session, at, instance.id, "deliver_notice", {"signer_name": "值班电工", "signer_post": "电气负责人",
                                                            "signature": store(rt, session, at, "signature", seq)},
              "jiancha1")
    if story == "open":
        return
    hazard = session.scalars(select(Hazard).where(Hazard.instance_id == instance.id)).one()
    if story == "late" and hazard.deadline + timedelta(days=10) < now:      # else it is closed in time
        clock.set(hazard.deadline + timedelta(hours=1))
        timers.fire_instance(at, session, session.get(ProcessInstance, instance.id))
        complete(session, at, instance.id, "issue_order", {"issuer_name": "刘督导"}, "dudao")
        clock.advance(days=1)
        complete(session, at, instance.id, "deliver_order", {"progress": "整改资金已落实，正在施工",
                                                               "signer_name": "值班电工",
                                                               "signature": store(rt, session, at, "signature", seq + 1)},
                  "jiancha1")
        clock.advance(days=4)
    else:
        clock.advance(days=min(20, max(3, hazard.item["deadline_days"] // 2)))
    complete(session, at, instance.id, "follow_up", {"action": "rectified", "measures": "已按要求完成整改",
                                                       "completed_on": clock.now().date().isoformat()}, "jiancha1")
    clock.advance(days=1)
    complete(session, at, instance.id, "accept_on_site", {
        "method": "on_site", "second_inspector": "王检查", "checks": "现场复核整改情况", "result": "pass",
        "after_photos": [store(rt, session, at, "photo", seq * 10 + 5)], "signer_name": "值班电工",
        "customer_signature": store(rt, session, at, "signature", seq + 2)}, "jiancha1")
    complete(session, at, instance.id, "close_approval", {"approved": "yes", "comment": "同意销号"}, "jiancha1")


def _assessments(rt, session, today) -> bool:
    """The three months before last: computed and published by the leader; last month: waiting for him."""
    if session.scalar(select(ProcessInstance.id).where(ProcessInstance.process_id == "team_assessment")
                      .limit(1)) is not None:
        return False
    last = periods.last_period("month", today)
    month_start = periods.period_days(last)[0]
    published = []
    for _ in range(3):
        month_start = (month_start - timedelta(days=1)).replace(day=1)
        published.insert(0, month_start)
    for offset, first in enumerate(published):
        following = (first + timedelta(days=32)).replace(day=1)
        at = rt.with_clock(FixedClock(f"{following.isoformat()}T01:00:00+00:00"))
        run, _created = assessment.start(at, session, access.SYSTEM, periods.month_period(first))
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == run.instance_id,
                                                       HumanTask.status == "ready")).first()
        if task is None:
            continue
        rows = [dict(row, comment=COMMENTS[(i + offset) % len(COMMENTS)] if row["score"] is not None else "")
                for i, row in enumerate(task.prefill["teams"])]
        at.engine.with_clock(FixedClock(f"{(following + timedelta(days=3)).isoformat()}T02:00:00+00:00")).complete_task(
            session, task.id, {"teams": rows, "comment": "各小组总体完成较好；无成员小组请尽快配齐人员。"}, "lingdao")
    assessment.start(rt, session, access.SYSTEM, last)
    return True


def _summary(rt, session, today) -> str:
    result = summaries.generate(rt, session, access.SYSTEM, kind="periodic", period=periods.last_period("month", today))
    return result["number"]
