"""Every page and endpoint × every role and anonymous: allowed as the matrix says, or 401/403/sign-in."""
from __future__ import annotations

import pytest

from support import FORMS
from web_support import USERS, Site, api_token, login
from webui import create_app
from webui.permissions import ACCESS, PUBLIC

SAMPLES = {"task_id": "00000000-0000-0000-0000-000000000000", "instance_id": "999999", "digest": "0" * 64,
           "user_id": "999999", "team_id": "999999", "branch_id": "999999", "action": "retry",
           "filename": "app.css", "file_number": "YH-NONE-0000-00000", "document_id": "999999", "code": "ZZ99",
           "number": "99999999", "log_id": "999999", "name": "no_such_model", "version": "1",
           "element_id": "no_such_element", "version_id": "999999", "message_id": "999999",
           "run_id": "999999", "job_id": "999999", "token_id": "999999", "request_id": "999999", "trip_id": "999999"}
ROLES = [None] + sorted({roles[0] for roles, _, _ in USERS.values()})
USER_OF_ROLE = {roles[0]: name for name, (roles, _, _) in USERS.items() if name not in ("insp2", "insp3")}


@pytest.fixture
def matrix_app(sqlite_url, tmp_path, clock):
    app = create_app({"ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path),
                      "FORMS_DIR": str(FORMS), "CLOCK": clock, "WTF_CSRF_ENABLED": False})
    Site(app, clock)
    return app


def _routes(app):
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", SAMPLES[arg]).replace(f"<int:{arg}>", SAMPLES[arg]) \
                     .replace(f"<path:{arg}>", SAMPLES[arg])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def _denied(endpoint, response) -> bool:
    if ACCESS[endpoint] == PUBLIC:
        return response.status_code == 403   # POST /login answers 401 for a wrong password: that is allowed
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    return response.status_code == 302 and "/login" in location and endpoint not in ("auth.login", "auth.logout",
                                                                                      "auth.language")


def test_every_endpoint_is_in_the_role_matrix(matrix_app):
    missing = {endpoint for endpoint, _, _ in _routes(matrix_app)} - set(ACCESS)
    assert not missing, f"add these endpoints to webui/permissions.ACCESS: {sorted(missing)}"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_the_role_matrix_holds_for_every_endpoint(matrix_app, role):
    client = matrix_app.test_client()
    headers = {}
    if role:
        assert login(client, USER_OF_ROLE[role]).status_code == 302
        headers = {"Authorization": f"Bearer {api_token(matrix_app, USER_OF_ROLE[role])}"}
    wrong = []
    for endpoint, method, url in _routes(matrix_app):
        if endpoint == "auth.logout":
            continue                       # would end this client's session; covered in test_web_auth
        rule = ACCESS[endpoint]
        expected = rule == PUBLIC or (role is not None and role in rule)
        response = client.open(url, method=method, headers=headers if url.startswith("/api/") else {},
                               json={} if url.startswith("/api/") and method == "POST" else None)
        if _denied(endpoint, response) == expected:
            wrong.append(f"{method} {url} ({endpoint}) → {response.status_code}, expected "
                         f"{'allowed' if expected else 'denied'}")
        if not expected and role is None and not url.startswith("/api/"):
            assert response.status_code == 302, f"{method} {url} should send anonymous visitors to sign in"
        if not expected and url.startswith("/api/") and response.status_code in (401, 403):
            assert response.mimetype == "application/problem+json"
    assert not wrong, "\n".join(wrong)
