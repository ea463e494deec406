"""Demo data of the auditor's rules (idempotent): a government report submitted to one recipient with the
reply on the timeline, a cancellation waiting for the leader, a grid trip caused by a customer (linked to
its hazard), and a customer taken off the inspection plan. Made through the same use cases as by hand."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from records import Cancellation, Customer, CustomerTrip, Hazard, ReportLog, User

from . import cancellations, planning, reports, trips


def load(rt, session) -> list[str]:
    if session.scalar(select(CustomerTrip.id).limit(1)) is not None:
        return []
    people = {u.username: u for u in session.scalars(select(User))}
    if not {"zhuanze", "lingdao"} <= set(people):
        return []
    done = []
    chemical = _open_hazard(session, "3608020002", "IL01")
    if chemical is not None:
        log = session.scalars(select(ReportLog).where(ReportLog.hazard_id == chemical.id, ReportLog.status == "pending")
                              .order_by(ReportLog.id)).first()
        if log is not None:
            reports.submit(rt, session, people["lingdao"], log.id, delivery="post", lock_version=log.lock_version,
                           submitted_on=(rt.today() - timedelta(days=7)).isoformat())
            reports.record_reply(rt, session, people["lingdao"], log.id, lock_version=log.lock_version,
                                 reply="已收悉，市发改委将会同应急管理局督促企业限期整改。")
            done.append(f"government report {log.recipient} submitted, reply recorded")
        when = rt.now() - timedelta(days=6)
        trips.record(rt, session, people["zhuanze"], customer="3608020002", occurred_on=when.date().isoformat(),
                     occurred_time="21:40", cause="用户自备发电机无可靠闭锁，倒送电引起 10kV 富滩线跳闸",
                     hazard=chemical.file_number)
        done.append("a grid trip caused by a customer")
    duplicate = _open_hazard(session, "3608020003", "EQ09")
    if duplicate is not None and session.scalar(select(Cancellation.id).where(
            Cancellation.hazard_id == duplicate.id)) is None:
        cancellations.request(rt, session, people["zhuanze"], duplicate.file_number,
                              "重复登记：与上月专项检查发现的同一缺陷已建档跟踪")
        done.append(f"a cancellation of {duplicate.file_number} waiting for the leader")
    school = session.scalars(select(Customer).where(Customer.number == "3608010006")).first()
    if school is not None and school.delisted_at is None:
        planning.delist(rt, session, people["zhuanze"], school.number, "高考保电任务结束，临时性重要用户撤出检查计划")
        done.append("a customer taken off the inspection plan")
    return done


def _open_hazard(session, number: str, code: str) -> Hazard | None:
    return session.scalars(select(Hazard).join(Customer, Customer.id == Hazard.customer_id)
                           .where(Customer.number == number, Hazard.item_code == code)).first()
