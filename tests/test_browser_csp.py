"""In Chromium, under the Content-Security-Policy: the main pages (inbox, a task form with its signature
pad, the dossier, the dashboard, the modeler and the instance diagram) load and work with no violation."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from browser_support import LiveServer, sign_in
from engine import HumanTask
from web_support import csrf_of, jpeg, signed_in
from webui import db

pytestmark = pytest.mark.browser

WATCH = """window.__csp = []; window.print = () => { window.__printed = true; };
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def _open_hazard(app) -> str:
    client = signed_in(app, "insp1")
    form = {"csrf_token": csrf_of(client, "/hazards/new"), "customer": "3600100001", "item_code": "EP02",
            "location": "地下一层配电室", "description": "发电机容量不足", "photos": (io.BytesIO(jpeg()), "h.jpg")}
    response = client.post("/hazards/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[-1]


def _visit(chromium, server, username, paths, ready) -> list:
    """Violations and script errors seen on the pages, each page waited for until `ready` shows."""
    seen = []
    page = chromium.new_page(viewport={"width": 1300, "height": 900}, locale="zh-CN")
    page.add_init_script(WATCH)
    page.on("pageerror", lambda err: seen.append(f"error {err}"))
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, server, username)
    for path, selector in zip(paths, ready):
        page.goto(f"{server.url}{path}")
        page.wait_for_selector(selector, state="attached")
        page.wait_for_load_state("networkidle")
        if selector == "[data-print]":                   # the print button works without an inline handler
            page.click(selector)
            seen += [] if page.evaluate("window.__printed === true") else [f"{path}: the print button did nothing"]
        seen += [f"{path}: {v}" for v in page.evaluate("window.__csp")]
    page.close()
    return seen


def test_the_main_pages_load_under_the_content_security_policy_without_a_violation(hazard_app, chromium):
    number = _open_hazard(hazard_app)
    with hazard_app.app_context():
        task = db.session().scalars(select(HumanTask).where(HumanTask.status == "ready")).first()
        instance_id = task.instance_id
    with LiveServer(hazard_app) as server:
        seen = _visit(chromium, server, "insp1", ["/", f"/tasks/{task.id}", f"/hazards/{number}"],
                      ["#task-list", "canvas.signature-pad[data-ready]", "[data-print]"])
        seen += _visit(chromium, server, "lead", ["/dashboard"], ["canvas"])
        seen += _visit(chromium, server, "owner", ["/models/hazard_lifecycle/edit"],
                       [".editor-status[data-state=ready]"])
        seen += _visit(chromium, server, "admin", [f"/admin/instances/{instance_id}"],
                       [".viewer-status[data-state=shown]"])
    assert seen == []
