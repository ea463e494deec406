"""bpmn/risk_grade.dmn and its sample cases: a new version deploys only when every case passes; a bad table is
refused with a clear problem and the deployed one keeps grading."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine import FixedClock, tables
from engine.specs import compile_dmn, read_xml
from risk_support import RiskWorld
from services import decision_cases

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "bpmn" / "risk_grade.dmn").read_text(encoding="utf-8")
CASES = json.loads((ROOT / "bpmn" / "risk_grade.cases.json").read_text(encoding="utf-8"))


@pytest.fixture
def world(sessions, clock, tmp_path):
    return RiskWorld(sessions, clock, tmp_path)


def deploy(world, text: str):
    with world.sessions() as s:
        return world.engine.deploy_source(s, "risk_grade.dmn", text.encode("utf-8"), "owner")


def lint(world, text: str):
    with world.sessions() as s:
        return world.engine.lint_source(s, "risk_grade.dmn", text.encode("utf-8"))


def test_the_shipped_table_passes_every_sample_case_including_the_worked_examples():
    views = tables.views(type("E", (), {"clock": FixedClock("2026-03-02T00:00:00+00:00")})(),
                         compile_dmn("risk_grade.dmn", read_xml(SOURCE.encode(), "risk_grade.dmn")))
    assert decision_cases.check("risk_grade", views, folder=ROOT / "bpmn") == []
    names = [c["name"] for c in CASES["cases"]]
    assert sum(name.startswith("§5.2 例") for name in names) == 5


def test_an_edited_table_whose_sample_case_fails_is_not_deployed_and_the_old_one_keeps_grading(world):
    world.add("hospital", "EP02", days=-1)
    world.add("hospital", "MG02", days=-1)
    stricter = SOURCE.replace("<text>&gt;= 10</text>", "<text>&gt;= 13</text>")
    result = deploy(world, stricter)
    assert result.status == "invalid"
    text = str(result)
    assert "sample case 2 «§5.2 例2" in text and '"grade": "B"' in text and 'expects {"grade": "A"}' in text
    assert "sample case 4 «§5.2 例4" not in text              # 24 ≥ 13: still A
    assert [str(p) for p in lint(world, stricter)] == [str(p) for p in result.problems]   # the modeler's validate
    graded = world.grade("hospital")
    assert (graded["grade"], graded["model_version"]) == ("A", "risk_grade v1")


def test_an_edited_table_that_passes_the_cases_deploys_and_grades_from_then_on(world):
    world.add("hospital", "MG02")
    assert world.grade("hospital")["model_version"] == "risk_grade v1"
    gentler = SOURCE.replace("<text>&gt; 0</text>", "<text>&gt;= 0.5</text>")
    assert deploy(world, gentler).status == "deployed"
    result = world.grade("hospital", "new table")
    assert (result["grade"], result["model_version"]) == ("C", "risk_grade v2")
    assert [h.model_version for h in world.history("hospital")] == ["risk_grade v2", "risk_grade v1"]


@pytest.mark.parametrize("broken,expected", [
    (SOURCE.replace("</decisionTable>", ""), "not well-formed XML"),
    (SOURCE.replace("<text>score</text>", "<text>risk_score</text>"),
     "input column 3 ('risk_score') reads 'risk_score', which the table is not given"),
    (SOURCE.replace("<text>&gt;= 10</text>", "<text>&gt;= threshold_a</text>"),
     "rule 3: the cell '>= threshold_a' reads 'threshold_a'"),
    (SOURCE.replace('decision id="risk_grade"', 'decision id="risk_grading"'),
     "must define the decision 'risk_grade'"),
    (SOURCE.replace("<text>&gt;= 4</text>", "<text>[4..9]</text>"), "not FEEL"),
    (SOURCE.replace('<outputEntry id="rule_major_grade"><text>"A"</text>', '<outputEntry id="rule_major_grade"><text>"X"</text>'),
     'the table answers {"grade": "X"}'),
], ids=["not-xml", "unknown-input", "unknown-name-in-a-cell", "renamed-decision", "feel", "wrong-output"])
def test_a_bad_table_is_refused_with_a_clear_problem_and_nothing_changes(world, broken, expected):
    world.add("mall", "IL01")
    result = deploy(world, broken)
    assert result.status == "invalid" and expected in str(result), str(result)
    assert world.grade("mall")["model_version"] == "risk_grade v1"


def test_sample_cases_that_cannot_be_read_are_problems_not_crashes(tmp_path):
    views = tables.views(type("E", (), {"clock": FixedClock("2026-03-02T00:00:00+00:00")})(),
                         compile_dmn("risk_grade.dmn", read_xml(SOURCE.encode(), "risk_grade.dmn")))
    (tmp_path / "risk_grade.cases.json").write_text("{not json", encoding="utf-8")
    assert "not valid JSON" in str(decision_cases.check("risk_grade", views, folder=tmp_path)[0])
    bad = {"decision": "risk_grade", "cases": [{"name": "typo", "customer_class": "firts", "hazards": [],
                                                 "expect": {"grade": None}},
                                                {"name": "missing input", "inputs": {"worst_severity": "general"},
                                                 "expect": {"grade": "C"}}]}
    (tmp_path / "risk_grade.cases.json").write_text(json.dumps(bad), encoding="utf-8")
    problems = [str(p) for p in decision_cases.check("risk_grade", views, folder=tmp_path)]
    assert "sample case 1 «typo» cannot be read: customer_class must be one of" in problems[0]
    assert "sample case 2 «missing input» fails" in problems[1] and "score" in problems[1]


def test_a_table_without_sample_cases_is_not_checked(tmp_path):
    views = tables.views(type("E", (), {"clock": FixedClock("2026-03-02T00:00:00+00:00")})(),
                         compile_dmn("other.dmn", read_xml(SOURCE.encode(), "other.dmn")))
    assert decision_cases.check("other", views, folder=tmp_path) == []


def test_the_cli_lint_shows_the_failing_case(world, tmp_path):
    from click.testing import CliRunner

    from webui import create_app
    from cli import main
    folder = tmp_path / "bpmn"
    shutil.copytree(ROOT / "bpmn", folder)
    (folder / "risk_grade.dmn").write_text(SOURCE.replace('<text>"special"</text>', '<text>"first"</text>'),
                                           encoding="utf-8")
    app = create_app({"ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": str(world.sessions.kw["bind"].url),
                      "DATA_DIR": str(tmp_path / "data"), "BPMN_DIR": str(folder), "CLOCK": world.clock})
    out = CliRunner().invoke(main, ["bpmn", "lint", str(folder / "risk_grade.dmn")], obj={"app": app})
    assert out.exit_code == 1 and "sample case 1 «§5.2 例1" in out.output and "sample case 5" in out.output
