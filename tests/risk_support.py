"""Risk grading tests: hazards put straight into the records, graded by the real handler through the deployed table."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hazard_support import HazardWorld
from records import Customer, Hazard, User, dictionary, hazards, outbox, risk
from services import access
from services import outbox as outbox_service
from services import risk as risk_service
from services.runtime import Runtime

MOBILES = {"head1": "13900000001", "sup1": "13900000002", "lead1": None, "insp1": "13900000004"}
EMAILS = {"lead1": "lead1@ja.example.cn", "head1": "head1@ja.example.cn", "sup1": None, "insp1": None}


class RiskWorld(HazardWorld):
    """HazardWorld (people, hospital 一级, mall 二级, the lifecycle and risk_grade.dmn deployed) plus helpers."""

    def __init__(self, sessions, clock, data_dir, **settings):
        super().__init__(sessions, clock, data_dir)
        self.settings.update(settings)
        self.numbers = 0

    def contacts(self, mobiles=None, emails=None) -> None:
        """Give the seeded users their mobile numbers and e-mail addresses (None: none)."""
        with self.sessions() as s:
            for user in s.scalars(select(User)):
                user.mobile = (mobiles or MOBILES).get(user.username)
                user.email = (emails or EMAILS).get(user.username)
            s.commit()

    def customer(self, key: str, **changes) -> int:
        """A further customer (e.g. a 特级 office) in the county branch, team JA-T1; returns its id."""
        with self.sessions() as s:
            base = s.get(Customer, self.ids["hospital"])
            row = Customer(number=changes.pop("number", f"36009{len(self.ids):05d}"), name=changes.pop("name", key),
                           branch_id=base.branch_id, default_team_id=base.default_team_id, contacts=[],
                           created_at=self.clock.now(), updated_at=self.clock.now(), **changes)
            s.add(row)
            s.commit()
            self.ids[key] = row.id
            return row.id

    def add(self, customer: str, code: str, *, days: int = 30, status: str = "rectifying", supervision: int = 0,
            refused: bool = False, severity: str | None = None, reason: str | None = None) -> int:
        """A hazard row (no process): deadline `days` from now (negative: already past); delivered unless
        its status is "found"."""
        self.numbers += 1
        with self.sessions() as s:
            c = s.get(Customer, self.ids[customer])
            item = dictionary.current(s, code)
            now = self.clock.now()
            deadline = now + timedelta(days=days)
            row = Hazard(file_number=f"T-{self.numbers:05d}", customer_id=c.id, branch_id=c.branch_id,
                         team_id=c.default_team_id, item_code=code, item=item.snapshot(),
                         severity=severity or item.severity_for(c.importance), severity_reason=reason,
                         location="配电室", description="测试", photos=[], status=status, deadline=deadline,
                         original_deadline=deadline, supervision_count=supervision, refused_to_sign=refused,
                         opened_by="insp1", opened_at=now,
                         # a notice delivered (any status past "found"): the rectification deadline runs
                         rectification_deadline=None if status == "found" else deadline,
                         notified_at=None if status == "found" else now)
            s.add(row)
            s.commit()
            return row.id

    def open_ids(self, customer: str) -> list[int]:
        return [h.id for h in open_hazards(self, customer)]

    def set(self, hazard_id: int, **values) -> None:
        with self.sessions() as s:
            row = s.get(Hazard, hazard_id)
            for name, value in values.items():
                setattr(row, name, value)
            s.commit()

    def runtime(self, **config) -> Runtime:
        """This world's parts as the services take them; `config` overrides settings (e.g. SMS_URL)."""
        return Runtime(config={**self.settings, **config}, engine=self.engine, files=self.files,
                       sa=self.sessions.kw["bind"], sessions=self.sessions, read_sessions=self.sessions)

    def grade(self, customer: str, reason: str = "test") -> dict:
        with self.sessions() as s:
            c = s.get(Customer, self.ids[customer])
            result = risk_service.regrade(self.runtime(), s, c, reason, "tester")
            s.commit()
            return result

    def daily(self, force: bool = True) -> dict | None:
        return risk_service.daily(self.runtime(), force=force)

    def deliver(self, **config) -> dict:
        return outbox_service.deliver_due(self.runtime(**config))

    def retry(self, message_id: int) -> None:
        """An administrator's retry of one message (services.outbox; it commits)."""
        with self.sessions() as s:
            outbox_service.retry(self.runtime(), s, access.SYSTEM, message_id)

    # -- looking ------------------------------------------------------------------------------------
    def current(self, customer: str) -> risk.CustomerGrade | None:
        with self.sessions() as s:
            return risk.current_grade(s, self.ids[customer])

    def history(self, customer: str) -> list:
        with self.sessions() as s:
            return risk.history(s, self.ids[customer])

    def warnings(self, customer: str) -> list:
        with self.sessions() as s:
            return list(reversed(risk.warnings_of(s, self.ids[customer])))

    def messages(self, **where) -> list:
        with self.sessions() as s:
            query = select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id)
            for name, value in where.items():
                query = query.where(getattr(outbox.OutboxMessage, name) == value)
            return list(s.scalars(query))


def open_hazards(world, customer: str) -> list:
    with world.sessions() as s:
        return list(s.scalars(select(Hazard).where(Hazard.customer_id == world.ids[customer],
                                                   Hazard.status.in_(hazards.OPEN))))

