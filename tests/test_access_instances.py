"""Process instances and their diagrams belong to whoever runs the system: administrators act on them,
administrators and process owners look at them, every other role is kept out (403) of every page and API
operation that takes an instance, element or version, and a refused action writes nothing. Instances
carry no branch of their own: the hazard or inspection behind one is scoped where it is read."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import AuditEvent, ModelVersion, ProcessInstance
from web_support import USERS, api_token, csrf_of, signed_in
from webui import db

ROLE = {name: roles[0] for name, (roles, _teams, _branch) in USERS.items()}
LOOKERS = ("admin", "process_owner")


def _state(app) -> tuple:
    with app.app_context():
        session = db.session()
        return ([(i.id, i.status, i.lock_version) for i in session.scalars(select(ProcessInstance))],
                session.scalar(select(func.count()).select_from(AuditEvent)))


@pytest.mark.parametrize("username", sorted(USERS))
def test_only_admins_and_process_owners_look_at_an_instance_and_only_admins_act(site, username):
    instance_id = site.start_visit()
    with site.app.app_context():
        version = db.session().scalars(select(ModelVersion).where(ModelVersion.name == "site_visit")).one()
    client = signed_in(site.app, username)
    looks = 200 if ROLE[username] in LOOKERS else 403
    assert client.get(f"/admin/instances/{instance_id}/elements/record_visit").status_code == looks
    assert client.get(f"/models/site_visit/versions/{version.version}/heatmap").status_code == \
        (200 if ROLE[username] in LOOKERS else 403)
    before = _state(site.app)
    response = client.post(f"/api/v1/instances/{instance_id}/actions",
                           headers={"Authorization": f"Bearer {api_token(site.app, username)}"},
                           json={"action": "suspend", "reason": "检查"})
    if ROLE[username] == "admin":
        assert response.status_code == 200
        assert _state(site.app) != before
    else:
        assert response.status_code == 403
        assert _state(site.app)[0] == before[0] and _state(site.app)[1] == before[1]
    page = client.post(f"/admin/instances/{instance_id}/terminate",
                       data={"reason": "x", "csrf_token": csrf_of(client, "/profile")})
    if ROLE[username] != "admin":
        assert page.status_code == 403


@pytest.mark.parametrize("url", ["/admin/instances/{}/elements/record_visit", "/models/site_visit/versions/{}/heatmap",
                                 "/api/v1/instances/{}"])
def test_an_unknown_or_huge_instance_or_version_is_absent(site, url):
    client = signed_in(site.app, "admin")
    headers = {"Authorization": f"Bearer {api_token(site.app, 'admin')}"}
    for value in (987654, 10 ** 30):
        assert client.get(url.format(value), headers=headers).status_code == 404, url.format(value)
    before = _state(site.app)
    response = client.post(f"/api/v1/instances/{10 ** 30}/actions", headers=headers,
                           json={"action": "terminate", "reason": "x"})
    assert response.status_code in (404, 409)
    assert _state(site.app) == before
