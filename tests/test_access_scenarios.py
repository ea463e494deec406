"""The scenarios page (scenarios.page, scenarios.save, scenarios.run): modellers only, for process models
that exist; a refusal writes nothing. Also the page itself: save, a stale save, run, what a failure shows."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import AuditEvent
from records import model_scenarios
from test_web_models import owner_app, post_json, signed_in  # noqa: F401
from webui import db

HERE = Path(__file__).resolve().parent / "diagrams" / "scenarios"
DIAGRAM = (HERE / "checkup.bpmn").read_text(encoding="utf-8")
SCENARIOS = (HERE / "checkup.scenarios.json").read_text(encoding="utf-8")
TABLE = (Path(__file__).resolve().parent / "diagrams" / "grade.dmn").read_text(encoding="utf-8")
FAILING = SCENARIOS.replace('"end": "passed_end", "path"', '"end": "failed_end", "path"')
OUTSIDERS = ("spec", "insp1", "sup", "lead")


@pytest.fixture
def checkup(owner_app):
    owner = signed_in(owner_app)
    assert post_json(owner, "/models/checkup/deploy", {"source": DIAGRAM}).get_json()["version"] == 1
    assert post_json(owner, "/models/grade/deploy", {"source": TABLE}).get_json()["version"] == 1
    return owner


def _state(app) -> tuple:
    with app.app_context():
        s = db.session()
        return ([(r.name, r.lock_version, r.source) for r in s.scalars(select(model_scenarios.ModelScenarios))],
                s.scalar(select(func.count()).select_from(AuditEvent)))


def _form(client, url, **fields):
    return client.post(url, data={"csrf_token": client.csrf, **fields})


@pytest.mark.parametrize("username", OUTSIDERS)
def test_only_modellers_reach_the_scenarios_and_a_refusal_writes_nothing(owner_app, checkup, username):
    client = signed_in(owner_app, username)
    before = _state(owner_app)
    assert client.get("/models/checkup/scenarios").status_code == 403
    assert _form(client, "/models/checkup/scenarios", text=SCENARIOS, lock_version="").status_code == 403
    assert _form(client, "/models/checkup/scenarios/run", text=SCENARIOS).status_code == 403
    assert _state(owner_app) == before


@pytest.mark.parametrize("username", ("owner", "admin"))
def test_modellers_reach_the_scenarios_of_a_process_but_not_of_a_table_or_an_unknown_model(owner_app, checkup,
                                                                                         username):
    client = signed_in(owner_app, username)
    page = client.get("/models/checkup/scenarios")
    assert page.status_code == 200 and "checkup" in page.get_data(as_text=True)
    before = _state(owner_app)
    for name in ("grade", "nosuch"):                 # a decision table has no scenarios; nothing is named so
        assert client.get(f"/models/{name}/scenarios").status_code == 404
        assert _form(client, f"/models/{name}/scenarios", text=SCENARIOS, lock_version="").status_code == 404
        assert _form(client, f"/models/{name}/scenarios/run", text=SCENARIOS).status_code == 404
    assert _state(owner_app) == before


def test_saving_checks_the_schema_and_the_lock(owner_app, checkup):
    before = _state(owner_app)
    bad = _form(checkup, "/models/checkup/scenarios", text='{"scenarios": [{"name": "x"}]}', lock_version="")
    assert bad.status_code == 422 and "&#39;expect&#39; is a required property" in bad.get_data(as_text=True)
    assert _state(owner_app) == before
    saved = _form(checkup, "/models/checkup/scenarios", text=SCENARIOS, lock_version="")
    assert saved.status_code == 302
    rows, audit = _state(owner_app)
    assert rows == [("checkup", 1, SCENARIOS)] and audit == before[1] + 1
    stale = _form(signed_in(owner_app, "admin"), "/models/checkup/scenarios", text=FAILING, lock_version="")
    assert stale.status_code == 409 and _state(owner_app) == (rows, audit)


def test_running_shows_each_scenario_and_marks_the_failing_element(owner_app, checkup):
    before = _state(owner_app)
    passed = _form(checkup, "/models/checkup/scenarios/run", text=SCENARIOS)
    assert passed.status_code == 200
    html = passed.get_data(as_text=True)
    assert html.count('class="ok"') == 4 and "全部场景通过" in html
    failed = _form(checkup, "/models/checkup/scenarios/run", text=FAILING)
    assert failed.status_code == 422
    html = failed.get_data(as_text=True)
    assert html.count('class="failed"') == 1 and "部分场景未通过" in html
    assert "expected to end at &#39;failed_end&#39;; it ended at passed_end" in html
    assert 'data-markers="{&#34;failed_end&#34;: &#34;error&#34;}"' in html
    assert _state(owner_app) == before                # running stores nothing
