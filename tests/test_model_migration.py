"""Moving running instances to a new version (engine): dry run, migration, refusals, diff, heatmap.

flow_v1: start → step_a → step_b (non-interrupting 3-day timer) → step_c → done.
flow_v2 inserts the service task `notify` between step_b and step_c (so step_b and step_c change).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import AuditEvent, ConcurrentUpdate, Conflict, InvalidRequest, ModelVersion
from support import DIAGRAMS, ReviewHandlers, World

FLOW = DIAGRAMS / "migration"


@pytest.fixture
def flow(sessions, clock):
    world = World(sessions, clock, ReviewHandlers().table())
    assert world.deploy("flow.bpmn", (FLOW / "flow_v1.bpmn").read_bytes()).status == "deployed"
    return world


def deploy_v2(world, variant="flow_v2.bpmn", data=None):
    result = world.deploy("flow.bpmn", data if data is not None else (FLOW / variant).read_bytes())
    assert result.status == "deployed", str(result)
    with world.sessions() as s:
        return [mv.id for mv in s.scalars(select(ModelVersion).where(ModelVersion.name == "flow")
                                            .order_by(ModelVersion.version))]


def at(world, key, steps):
    """An instance started and moved through `steps` user tasks."""
    inst = world.start("flow", key=key, team="T1")
    for _ in range(steps):
        world.call("complete_task", world.task(inst.id).id, {"passed": True}, "bob")
    return inst.id


def checks(world, old, new):
    with world.sessions() as s:
        return {c.instance_id: c for c in world.engine.check_migration(s, old, new)}


def test_a_dry_run_tells_instances_before_the_changed_element_from_those_past_it(flow):
    before, at_changed, past = at(flow, "A", 0), at(flow, "B", 1), at(flow, "C", 2)
    done = at(flow, "D", 3)
    v1, v2 = deploy_v2(flow)
    found = checks(flow, v1, v2)
    assert set(found) == {before, at_changed, past}          # the finished one is not offered
    assert found[before].can_migrate and found[before].waiting_at == ["step_a"]
    assert found[at_changed].can_migrate                       # step_b is ready: predicted again from v2
    assert not found[past].can_migrate
    assert found[past].blocked == [{"element_id": "step_b", "name": "Step B", "process": "flow",
                                    "change": ["outputs"], "state": "COMPLETED"}]
    assert "already completed" in found[past].reasons()[0]
    assert flow.instance(done).status == "completed"


def test_a_batch_migration_moves_those_that_can_and_the_others_keep_running(flow):
    before, at_changed, past = at(flow, "A", 0), at(flow, "B", 1), at(flow, "C", 2)
    v1, v2 = deploy_v2(flow)
    expected = {i: flow.instance(i).lock_version for i in (before, at_changed, past)}
    with flow.sessions() as s:
        results = {r["instance_id"]: r for r in flow.engine.migrate_instances(s, v2, expected, "admin", "v2 notifies")}
    assert results[before]["migrated"] and results[at_changed]["migrated"]
    assert not results[past]["migrated"] and "cannot move to version 2" in results[past]["message"]
    assert [flow.instance(i).model_version_id for i in (before, at_changed, past)] == [v2, v2, v1]
    for instance_id in (before, at_changed, past):     # everyone finishes, each on its own version
        while flow.tasks(instance_id):
            flow.call("complete_task", flow.task(instance_id).id, {"passed": True}, "bob")
        assert flow.instance(instance_id).status == "completed"
    assert flow.effects(before) == ["remind"] and flow.effects(at_changed) == ["remind"]
    assert flow.effects(past) == []                    # v1 has no notify step
    with flow.sessions() as s:
        moved = s.scalars(select(AuditEvent).where(AuditEvent.action == "instance.migrated")).all()
        assert sorted(e.instance_id for e in moved) == sorted([before, at_changed])
        assert moved[0].after["from"]["version"] == 1 and moved[0].after["to"]["version"] == 2
        assert moved[0].reason == "v2 notifies" and moved[0].actor == "admin"
        assert flow.engine.verify_audit(s)[1] == []


def test_an_open_task_and_its_deadline_survive_a_migration(flow, clock):
    instance_id = at(flow, "B", 1)
    task_before = flow.task(instance_id)
    due = flow.instance(instance_id).next_wake_at
    assert due == clock.now() + timedelta(days=3)
    v1, v2 = deploy_v2(flow)
    clock.advance(days=1)
    with flow.sessions() as s:
        flow.engine.migrate_instance(s, instance_id, v2, "admin", expect_version=flow.instance(instance_id).lock_version)
    assert flow.task(instance_id).id == task_before.id                 # the inbox row is the same task
    assert flow.instance(instance_id).next_wake_at == due              # not three days from the migration
    clock.advance(days=2, minutes=1)
    assert flow.tick().fired == 1


def test_an_instance_that_changed_since_the_dry_run_is_refused_and_left_alone(flow):
    instance_id = at(flow, "A", 0)
    v1, v2 = deploy_v2(flow)
    seen = checks(flow, v1, v2)[instance_id].lock_version
    flow.call("complete_task", flow.task(instance_id).id, {"passed": True}, "bob")   # it moves on meanwhile
    state_after = flow.instance(instance_id).state
    with flow.sessions() as s:
        with pytest.raises(ConcurrentUpdate, match="changed since the dry run"):
            flow.engine.migrate_instance(s, instance_id, v2, "admin", expect_version=seen)
    row = flow.instance(instance_id)
    assert row.model_version_id == v1 and row.state == state_after
    with flow.sessions() as s:
        assert not s.scalars(select(AuditEvent).where(AuditEvent.action == "instance.migrated")).all()


def test_a_blocked_instance_is_refused_even_when_asked_directly(flow):
    instance_id = at(flow, "C", 2)
    v1, v2 = deploy_v2(flow)
    with flow.sessions() as s:
        with pytest.raises(Conflict, match="step_b"):
            flow.engine.migrate_instance(s, instance_id, v2, "admin",
                                         expect_version=flow.instance(instance_id).lock_version)
        with pytest.raises(InvalidRequest):
            flow.engine.check_migration(s, v1, v1)
    assert flow.instance(instance_id).model_version_id == v1


def test_renaming_an_element_never_blocks_a_migration(flow):
    instance_id = at(flow, "C", 2)
    renamed = (FLOW / "flow_v1.bpmn").read_text().replace('name="Step B"', 'name="第二步"').encode()
    v1, v2 = deploy_v2(flow, data=renamed)
    assert checks(flow, v1, v2)[instance_id].can_migrate
    with flow.sessions() as s:
        diff = flow.engine.diff_versions(s, v1, v2)
    assert [(e["element_id"], e["attributes"]) for e in diff["changed"]] == [("step_b", ["bpmn_name"])]


def test_the_diff_names_added_and_changed_elements(flow):
    v1, v2 = deploy_v2(flow)
    with flow.sessions() as s:
        diff = flow.engine.diff_versions(s, v1, v2)
    assert [e["element_id"] for e in diff["added"]] == ["notify"]
    assert diff["removed"] == []
    assert sorted(e["element_id"] for e in diff["changed"]) == ["step_b", "step_c"]


def test_the_heatmap_counts_who_waits_where_and_the_median_stay(flow, clock):
    a = at(flow, "A", 0)
    clock.advance(hours=2)
    b = at(flow, "B", 0)
    clock.advance(hours=4)
    flow.call("complete_task", flow.task(a).id, {"passed": True}, "bob")     # A waited 6 h at step_a
    clock.advance(hours=2)
    flow.call("complete_task", flow.task(b).id, {"passed": True}, "bob")     # B waited 6 h as well
    c = at(flow, "C", 0)
    clock.advance(hours=1)
    with flow.sessions() as s:
        version = flow.instance(a).model_version_id
        result = flow.engine.heatmap(s, version)
        later = flow.engine.heatmap(s, version, since=clock.now())
    cells = result["elements"]
    assert result["instances"] == 3
    assert cells["step_a"]["waiting"] == 1 and cells["step_a"]["stays"] == 2
    assert cells["step_a"]["median_seconds"] == 6 * 3600
    assert cells["step_a"]["oldest_waiting_seconds"] == 3600
    assert cells["step_b"]["waiting"] == 2 and cells["step_b"]["name"] == "Step B"
    assert "b_late" not in cells                       # a boundary timer waits with its task
    assert later["elements"]["step_a"]["stays"] == 0 and later["elements"]["step_a"]["waiting"] == 1
    del c


def test_an_instance_in_a_called_process_is_shown_on_the_called_diagram(flow):
    assert flow.deploy("caller.bpmn", (FLOW / "caller.bpmn").read_bytes()).status == "deployed"
    inst = flow.start("caller", key="K", team="T1")
    flow.call("complete_task", flow.task(inst.id).id, {"passed": True}, "bob")
    with flow.sessions() as s:
        view = flow.engine.instance_diagram(s, inst.id)
        flow_version = s.scalars(select(ModelVersion.id).where(ModelVersion.name == "flow")).one()
        detail = flow.engine.element_detail(s, inst.id, "step_a")
    assert view["calls"] == {"call_flow": flow_version}
    assert view["diagrams"][view["root"]]["markers"] == {"caller_start": "completed", "call_flow": "active"}
    called = view["diagrams"][flow_version]["markers"]
    assert called["step_a"] == "completed" and called["step_b"] == "active"
    assert detail["tasks"][0]["state"] == "COMPLETED" and detail["tasks"][0]["data"]["passed"] is True
    assert [h.status for h in detail["human_tasks"]] == ["completed"]


def test_an_open_task_whose_step_changed_shows_the_new_version_in_the_inbox(flow):
    instance_id = at(flow, "A", 0)
    before = flow.task(instance_id)
    changed = (FLOW / "flow_v1.bpmn").read_text().replace('value="review.schema.json"', 'value="site_visit.schema.json"',
                                                          1).replace('name="Step A"', 'name="第一步"')
    v1, v2 = deploy_v2(flow, data=changed.encode())
    assert checks(flow, v1, v2)[instance_id].can_migrate
    with flow.sessions() as s:
        flow.engine.migrate_instance(s, instance_id, v2, "admin", expect_version=flow.instance(instance_id).lock_version)
    after = flow.task(instance_id)
    assert after.id == before.id and after.form == "site_visit.schema.json" and after.title == "第一步"
    assert after.candidate_team == "T1"
