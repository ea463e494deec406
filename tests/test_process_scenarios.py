"""Process tests: scenarios beside a diagram run on a throw-away database before a changed version deploys.

A small diagram (tests/diagrams/scenarios/checkup.bpmn: a user task with a timer and a message on it)
shows the mechanics through every door (service, browser page, CLI, zip); the shipped diagrams' own
scenarios (bpmn/*.scenarios.json) must pass as shipped.
"""
from __future__ import annotations

import io
import json
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine import AuditEvent, ModelVersion
from records import model_scenarios
from services import Invalid, build, drafts, model_bundles, scenario_editing, scenarios
from services.access import SYSTEM
from services.runtime import build_engine
from support import FORMS

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "diagrams" / "scenarios"
DIAGRAM = (HERE / "checkup.bpmn").read_text(encoding="utf-8")
SCENARIOS = (HERE / "checkup.scenarios.json").read_text(encoding="utf-8")
# the same diagram with the gateway's branches crossed: a passed inspection now ends as failed
CROSSED = DIAGRAM.replace('targetRef="passed_end"><bpmn:conditionExpression>',
                          'targetRef="failed_end"><bpmn:conditionExpression>').replace(
    '<bpmn:sequenceFlow id="f_failed" sourceRef="passed_gw" targetRef="failed_end"/>',
    '<bpmn:sequenceFlow id="f_failed" sourceRef="passed_gw" targetRef="passed_end"/>')
CROSSED = CROSSED.replace('<bpmn:endEvent id="passed_end" name="Passed"><bpmn:incoming>f_passed</bpmn:incoming>',
                          '<bpmn:endEvent id="passed_end" name="Passed"><bpmn:incoming>f_failed</bpmn:incoming>').replace(
    '<bpmn:endEvent id="failed_end" name="Failed"><bpmn:incoming>f_failed</bpmn:incoming>',
    '<bpmn:endEvent id="failed_end" name="Failed"><bpmn:incoming>f_passed</bpmn:incoming>')


@pytest.fixture
def folder(tmp_path):
    """A bpmn folder holding the checkup diagram and its scenarios."""
    path = tmp_path / "bpmn"
    path.mkdir()
    shutil.copy(HERE / "checkup.bpmn", path)
    shutil.copy(HERE / "checkup.scenarios.json", path)
    return path


@pytest.fixture
def rt(sqlite_url, tmp_path, clock, folder):
    runtime = build({"ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path / "d"),
                     "FORMS_DIR": str(FORMS), "BPMN_DIR": str(folder), "CLOCK": clock, "RUN_SCENARIOS": True})
    return runtime


def _versions(rt, name="checkup") -> list[int]:
    with rt.sessions() as session:
        return list(session.scalars(select(ModelVersion.version).where(ModelVersion.name == name)
                                    .order_by(ModelVersion.version)))


def _audit_count(rt) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


def _run(rt, text: str, source: str = DIAGRAM) -> scenarios.Report:
    return scenarios.run_text(rt.config, "checkup", source.encode(), [], text, make_engine=build_engine)


def _one(name: str, steps: list, expect: dict) -> str:
    return json.dumps({"process": "checkup", "scenarios": [{"name": name, "steps": steps, "expect": expect}]})


# ---- running ----------------------------------------------------------------------------------

def test_the_checkup_scenarios_pass_with_a_task_a_timer_and_a_message(rt):
    report = _run(rt, SCENARIOS)
    assert report.ok, [o.message for o in report.outcomes]
    assert [o.name for o in report.outcomes] == ["passed", "failed", "too late", "checked elsewhere"]


def test_a_timer_is_passed_by_moving_the_clock_and_a_clock_moved_too_little_fires_nothing(rt):
    late = _run(rt, _one("late", [{"timer": "too_late"}], {"end": "late_end", "status": "completed"}))
    assert late.ok
    early = _run(rt, _one("a day only", [{"advance": "P1D"}], {"end": "late_end"}))
    outcome = early.outcomes[0]
    assert not outcome.ok and outcome.step is None and outcome.element_id == "late_end"
    assert outcome.message == ("expected to end at 'late_end'; it reached no end event "
                               "(the instance is running, waiting at inspect)")
    two_days = _run(rt, _one("two days", [{"advance": "P2DT1H"}], {"end": "late_end"}))
    assert two_days.ok


def test_a_message_is_delivered_with_its_payload_and_a_message_nobody_waits_for_fails_at_its_step(rt):
    assert _run(rt, _one("msg", [{"message": "checked", "payload": {"by": "api"}}],
                         {"end": "msg_end", "variables": {"report.by": "api"}})).ok
    report = _run(rt, _one("twice", [{"message": "checked"}, {"message": "checked"}], {"end": "msg_end"}))
    outcome = report.outcomes[0]
    assert not outcome.ok and outcome.step == 2
    assert "the message 'checked' could not be delivered: no process instance is waiting" in outcome.message


def test_a_failing_step_names_the_step_and_what_was_ready(rt):
    report = _run(rt, _one("wrong task", [{"task": "approve", "data": {}}], {"status": "completed"}))
    outcome = report.outcomes[0]
    assert (outcome.ok, outcome.step, outcome.element_id) == (False, 1, "approve")
    assert outcome.message == ("expected the task 'approve' to be ready; ready are: inspect (Inspect) "
                               "(the instance is running, waiting at inspect)")
    problems = scenarios.problems_of("checkup", report)
    assert problems[0].element_id == "approve"
    assert problems[0].message.startswith("scenario «wrong task» fails, step 1: expected the task 'approve'")


def test_expected_path_and_variables_are_compared_with_what_happened(rt):
    report = _run(rt, _one("path", [{"task": "inspect", "data": {"passed": True}}],
                           {"path": ["start", "failed_end"]}))
    assert report.outcomes[0].message == ("expected the path to visit 'failed_end' after 'start'; it visited "
                                          "start → inspect → passed_gw → passed_end")
    report = _run(rt, _one("vars", [{"task": "inspect", "data": {"passed": True}}],
                           {"variables": {"inspection.passed": False}}))
    assert report.outcomes[0].message == "expected inspection.passed = false, it is true"


@pytest.mark.parametrize("text, reason", [
    ("{", "not valid JSON"),
    (json.dumps({"scenarios": [{"name": "x"}]}), "'expect' is a required property"),
    (json.dumps({"scenarios": [{"name": "x", "steps": [{"jump": 1}], "expect": {"status": "completed"}}]}),
     "Additional properties are not allowed ('jump' was unexpected)"),
    (json.dumps({"scenarios": [{"name": "x", "steps": [{"advance": "3 days"}], "expect": {"end": "e"}}]}),
     "does not match"),
    (json.dumps({"scenarios": [{"name": "x", "expect": {"end": "e"}}, {"name": "x", "expect": {"end": "e"}}]}),
     "two scenarios are named 'x'"),
])
def test_a_scenario_file_is_checked_against_the_schema(rt, text, reason):
    with pytest.raises(ValueError) as err:
        scenarios.parse(text)
    assert reason in str(err.value)
    report = _run(rt, text)
    assert not report.ok and reason in report.problems[0]


# ---- deploying --------------------------------------------------------------------------------

def test_a_failing_scenario_blocks_the_browser_deploy_and_the_validate_shows_it_on_the_element(rt):
    with rt.sessions() as session:
        first = drafts.deploy(rt, session, SYSTEM, "checkup", DIAGRAM)
    assert first.status == "deployed" and _versions(rt) == [1]
    before = _audit_count(rt)
    with rt.sessions() as session:
        refused = drafts.deploy(rt, session, SYSTEM, "checkup", CROSSED, "cross the branches")
    assert refused.status == "invalid" and _versions(rt) == [1] and _audit_count(rt) == before
    messages = [p.message for p in refused.problems]
    assert messages[0] == ("scenario «passed» fails, the expected end: expected to end at 'passed_end'; "
                           "it ended at failed_end")
    assert len(messages) == 2                                   # "passed" and "failed" both fail; timer and message pass
    with rt.sessions() as session:
        shown = drafts.validate(rt, session, SYSTEM, "checkup", CROSSED)
    assert {p["element_id"] for p in shown} == {"passed_end", "failed_end"}
    assert all("scenario «" in p["message"] for p in shown)


def test_the_scenarios_saved_in_the_browser_replace_the_file_and_block_the_deploy(rt, folder):
    with rt.sessions() as session:
        assert drafts.deploy(rt, session, SYSTEM, "checkup", DIAGRAM).status == "deployed"
        page = scenario_editing.page(rt, session, SYSTEM, "checkup")
    assert page.origin == "file" and page.text == SCENARIOS and page.lock_version is None
    strict = _one("passed goes to failed", [{"task": "inspect", "data": {"passed": True}}], {"end": "failed_end"})
    with rt.sessions() as session:
        with pytest.raises(Invalid):
            scenario_editing.save(rt, session, SYSTEM, "checkup", "{not json", None)
        saved = scenario_editing.save(rt, session, SYSTEM, "checkup", strict, None)
    assert saved.lock_version == 1
    with rt.sessions() as session:
        assert scenario_editing.page(rt, session, SYSTEM, "checkup").origin == "modeler"
        assert drafts.deploy(rt, session, SYSTEM, "checkup", DIAGRAM.replace('name="Inspect"', 'name="检查"')
                             ).status == "invalid"
        assert drafts.deploy(rt, session, SYSTEM, "checkup", CROSSED).status == "deployed"
    assert _versions(rt) == [1, 2]
    with rt.sessions() as session:
        events = session.scalars(select(AuditEvent.action).where(AuditEvent.chain == "model:checkup")).all()
    assert "model.scenarios_saved" in events


def test_gridsafe_bpmn_deploy_refuses_a_diagram_whose_scenarios_fail(rt, tmp_path):
    from cli import main
    (tmp_path / "checkup.bpmn").write_text(CROSSED, encoding="utf-8")
    result = CliRunner().invoke(main, ["bpmn", "deploy", str(tmp_path / "checkup.bpmn")], obj={"rt": rt})
    assert result.exit_code == 1 and _versions(rt) == []
    assert "checkup: NOT deployed" in result.output
    assert "scenario «passed» fails, the expected end: expected to end at 'passed_end'; it ended at failed_end" \
        in result.output
    # scenarios named on the command line take the place of the folder's
    (tmp_path / "checkup.scenarios.json").write_text(
        _one("crossed", [{"task": "inspect", "data": {"passed": True}}], {"end": "failed_end"}), encoding="utf-8")
    given = CliRunner().invoke(main, ["bpmn", "deploy", str(tmp_path / "checkup.bpmn"),
                                      str(tmp_path / "checkup.scenarios.json")], obj={"rt": rt})
    assert given.exit_code == 0, given.output
    assert _versions(rt) == [1]


def test_a_zip_deploy_is_refused_when_a_scenario_fails(rt):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("checkup.bpmn", CROSSED)
    with rt.sessions() as session:
        done = model_bundles.deploy_bundle(rt, session, SYSTEM, buffer.getvalue())
    assert not done.ok and _versions(rt) == []
    assert any("scenario «passed» fails" in p.message for p in done.problems["checkup.bpmn"])


def test_init_runs_the_scenarios_only_when_the_file_changed(rt, folder):
    """The first version of a fresh installation is what was shipped (its scenarios pass as shipped, see
    test_the_shipped_scenarios_pass); from then on a changed file deploys only if its scenarios pass."""
    from services import maintenance
    (folder / "checkup.scenarios.json").write_text(
        _one("never", [{"task": "inspect", "data": {"passed": True}}], {"end": "late_end"}), encoding="utf-8")

    def diagrams(results):                     # the forms folder's results come first; the diagram's here
        return [r for r in results if r.name == "checkup"]
    assert [r.status for r in diagrams(maintenance.deploy_folder(rt))] == ["deployed"]
    assert [r.status for r in diagrams(maintenance.deploy_folder(rt))] == ["unchanged"]   # the file did not change
    (folder / "checkup.bpmn").write_text(DIAGRAM.replace('name="Late"', 'name="逾期"'), encoding="utf-8")
    again = diagrams(maintenance.deploy_folder(rt))
    assert again[0].status == "invalid" and "scenario «never» fails" in again[0].problems[0].message
    assert _versions(rt) == [1]
    shutil.copy(HERE / "checkup.scenarios.json", folder)
    assert [r.status for r in diagrams(maintenance.deploy_folder(rt))] == ["deployed"] and _versions(rt) == [1, 2]


def test_lint_runs_the_scenarios_it_is_given_and_no_others(tmp_path, clock):
    from cli import main
    rt = build({"DATABASE_URL": f"sqlite:///{tmp_path / 'never-initialised.db'}", "DATA_DIR": str(tmp_path / "d"),
                "FORMS_DIR": str(FORMS), "BPMN_DIR": str(tmp_path / "empty")}, clock=clock)
    (tmp_path / "checkup.bpmn").write_text(CROSSED, encoding="utf-8")
    (tmp_path / "checkup.scenarios.json").write_text(SCENARIOS, encoding="utf-8")
    alone = CliRunner().invoke(main, ["bpmn", "lint", str(tmp_path / "checkup.bpmn")], obj={"rt": rt})
    assert alone.exit_code == 0, alone.output
    given = CliRunner().invoke(main, ["bpmn", "lint", str(tmp_path / "checkup.bpmn"),
                                      str(tmp_path / "checkup.scenarios.json")], obj={"rt": rt})
    assert given.exit_code == 1 and "Traceback" not in given.output
    assert "[passed_end] scenario «passed» fails, the expected end" in given.output
    assert not (tmp_path / "never-initialised.db").exists()


def test_export_writes_the_scenarios_in_force(rt, tmp_path):
    from services import maintenance
    with rt.sessions() as session:
        assert drafts.deploy(rt, session, SYSTEM, "checkup", DIAGRAM).status == "deployed"
    maintenance.export_models(rt, tmp_path / "out")
    assert (tmp_path / "out" / "checkup.scenarios.json").read_text(encoding="utf-8") == SCENARIOS
    edited = SCENARIOS.replace('"name": "failed"', '"name": "not passed"')
    with rt.sessions() as session:
        scenario_editing.save(rt, session, SYSTEM, "checkup", edited, None)
    maintenance.export_models(rt, tmp_path / "out")
    assert (tmp_path / "out" / "checkup.scenarios.json").read_text(encoding="utf-8") == edited
    with rt.sessions() as session:
        assert model_scenarios.get(session, "checkup").updated_by == SYSTEM.username


# ---- the shipped diagrams ---------------------------------------------------------------------

SHIPPED = {
    "hazard_lifecycle": {"按期整改、验收合格、销号", "逾期一次，督导单一轮后整改", "逾期三次，督导单三轮（升级领导、报告政府）后整改",
                         "申请延期获批后按新期限整改", "客户拒不整改：记录、报告政府，之后整改", "验收不合格，重新整改后验收合格",
                         "客户通过接口报告整改完成（消息）"},
    "inspection": {"定期检查：现场检查合格，检查完成", "定期检查：发现一处隐患，建立隐患档案", "检查到期未完成：预警，检查仍待完成",
                   "出发前审批退回：说明原因，重新派工", "审批未完成时检查到期：预警，仍待审批"},
    "team_assessment": {"月度考核：计算、领导审定、发布"},
}


def test_the_shipped_scenarios_pass(tmp_path):
    config = build({"ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                    "DATA_DIR": str(tmp_path / "d")}).config
    folder = ROOT / "bpmn"
    files = {p.name: p.read_bytes() for p in sorted(folder.glob("*.dmn")) + sorted(folder.glob("*.bpmn"))}
    began = time.monotonic()
    for name, expected in SHIPPED.items():
        report = scenarios.run_text(config, name, files[f"{name}.bpmn"],
                                    [(f, d) for f, d in files.items() if f != f"{name}.bpmn"],
                                    (folder / f"{name}{scenarios.SUFFIX}").read_text(encoding="utf-8"),
                                    make_engine=build_engine)
        assert not report.problems, report.problems
        assert {o.name for o in report.outcomes} == expected
        assert [o.message for o in report.outcomes if not o.ok] == []
    print(f"\nthe shipped scenarios ran in {time.monotonic() - began:.1f} s")
