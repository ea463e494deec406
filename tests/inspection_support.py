"""Driving inspection.bpmn through the engine: plan an inspection, execute it on site, open hazard files."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from hazard_support import HazardWorld
from records import Customer, Hazard, Inspection
from services import hazard_filing, planning


class InspectionWorld(HazardWorld):
    DIAGRAMS = ("hazard_lifecycle.bpmn", "inspection.bpmn")

    def plan(self, customer="hospital", kind="periodic", due: date | None = None, team: bool = True,
             approve: bool = True) -> Inspection:
        """A planned inspection; with a team, its worksheet approved by the team head unless `approve` is False."""
        due = due or self.clock.now().date().replace(day=20)
        with self.sessions() as s:
            customer_row = s.get(Customer, self.ids[customer])
            if not team:
                customer_row.default_team_id = None
                s.commit()
            made = planning.create(self.rt, s, customer_row, kind=kind, due=due, planned_from=due, actor="spec")
            assert made is not None
        if approve and "approve_worksheet" in self.ready(made.instance_id):
            self.approve(made)
        return made

    def approve(self, ins: Inspection, actor: str = "head1", refuse: str | None = None):
        """The team head (or a specialist) approves the worksheet before the visit, or sends it back."""
        data = {"approved": "no", "comment": refuse} if refuse else {"approved": "yes"}
        return self.complete(ins.instance_id, "approve_worksheet", data, actor=actor)

    def inspection(self, inspection_id: int) -> Inspection:
        with self.sessions() as s:
            return s.get(Inspection, inspection_id)

    def execute(self, ins: Inspection, findings=(), *, refuse=False, fail_items=(), fixed_items=(), file=True):
        """Fill the execution form the way an inspector does: answer every item (a failed one becomes a hazard
        file from the item; a fixed one says why it is not a hazard), add other findings, sign. `file`: then
        open the hazard files as the request does after its commit (False: stopped right after the commit).
        The worksheet is approved first when it waits for that."""
        if "approve_worksheet" in self.ready(ins.instance_id):
            self.approve(ins)
        data = self.execution_data(ins, findings, refuse=refuse, fail_items=fail_items, fixed_items=fixed_items)
        done = self.complete(ins.instance_id, "execute_on_site", data)
        if file:           # what the request does after the submission's commit (each hazard its own
            with self.sessions() as s:          # transaction, for a bounded time), then the scheduler's tick
                hazard_filing.after_completion(self.rt, s, ins.instance_id)
            hazard_filing.file_waiting(self.rt)
        return done

    def execution_data(self, ins: Inspection, findings=(), *, refuse=False, fail_items=(), fixed_items=()) -> dict:
        task = self.task(ins.instance_id, "execute_on_site")

        def answer(row):
            if row["code"] in fail_items:
                return dict(row, result="fail", note="现场不符合", disposition="hazard", photos=[self.photo(60)])
            if row["code"] in fixed_items:
                return dict(row, result="fail", note="接线松动", disposition="not_hazard", reason="已现场紧固整改",
                            photos=[self.photo(61)])
            return dict(row, result="pass")
        checklist = [answer(row) for row in task.prefill["checklist"]]
        data = {"checklist": checklist, "findings": list(findings), "conclusion": "存在隐患，已逐项告知",
                "second_inspector": "王检查", "inspector_signature": self.signature(),
                "second_inspector_signature": self.signature()}
        if refuse:
            data.update(customer_refused=True, witness="保安 张三", refusal_photo=self.photo(40))
        else:
            data.update(customer_name="王电工", customer_signature=self.signature())
        return data

    def finding(self, code="EP02", n=0) -> dict:
        return {"item_code": code, "location": f"{n + 1}号配电室", "description": f"发现问题 {n + 1}",
                "photos": [self.photo(50 + n)]}

    def hazards_of(self, inspection_id: int) -> list[Hazard]:
        with self.sessions() as s:
            return list(s.scalars(select(Hazard).where(Hazard.inspection_id == inspection_id).order_by(Hazard.id)))
