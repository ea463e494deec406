"""People, teams, branches and API tokens belong to the whole company: only administrators reach them,
whatever their branch. Every other role is kept out of each page that takes an id (403) and a refused
write changes nothing; an unknown or huge id is absent (404), never a server error."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import AuditEvent
from records import ApiToken, Branch, Team, User, tokens
from web_support import USERS, csrf_of, signed_in
from webui import db

ROLES_BY_USER = {name: roles[0] for name, (roles, _teams, _branch) in USERS.items()}


def _ids(app):
    with app.app_context():
        session = db.session()
        user = session.scalars(select(User).where(User.username == "insp3")).one()
        row, _text = tokens.create(session, user, "tablet", app.extensions["gridsafe.engine"].clock.now())
        session.commit()
        return {"user": user.id, "team": session.scalar(select(Team.id).where(Team.code == "JA-T2")),
                "branch": session.scalar(select(Branch.id).where(Branch.code == "JA-JA")), "token": row.id}


def _state(app):
    with app.app_context():
        session = db.session()
        return ([(u.username, u.display_name, u.lock_version, u.active) for u in
                 session.scalars(select(User).order_by(User.id))],
                [(t.code, t.name, t.lock_version) for t in session.scalars(select(Team).order_by(Team.id))],
                [(b.code, b.name, b.lock_version) for b in session.scalars(select(Branch).order_by(Branch.id))],
                [(t.id, t.revoked_at) for t in session.scalars(select(ApiToken).order_by(ApiToken.id))],
                session.scalar(select(func.count()).select_from(AuditEvent)))


def _pages(ids):
    return [("/admin/users/{user}", {"username": "insp3", "display_name": "改名", "roles": "inspector",
                                    "branch_id": str(ids["branch"]), "team_ids": str(ids["team"]),
                                    "locale": "zh_CN", "active": "y"}),
            ("/admin/teams/{team}", {"code": "JA-T2", "name": "改名", "branch_id": str(ids["branch"]),
                                    "head_id": "0", "active": "y"}),
            ("/admin/branches/{branch}", {"code": "JA-JA", "name": "改名", "kind": "county", "parent_id": "0"}),
            ("/admin/users/{user}/tokens/{token}/revoke", {"reason": "平板丢失"})]


@pytest.mark.parametrize("username", sorted(USERS))
def test_only_administrators_reach_people_and_a_refused_write_changes_nothing(site, username):
    ids = _ids(site.app)
    client = signed_in(site.app, username)
    admin = ROLES_BY_USER[username] == "admin"
    for template, form in _pages(ids):
        url = template.format(**ids)
        if not url.endswith("/revoke"):
            assert client.get(url).status_code == (200 if admin else 403), url
        if admin:
            continue
        before = _state(site.app)
        token = csrf_of(client, "/profile")
        assert client.post(url, data={**form, "csrf_token": token}).status_code == 403, url
        assert _state(site.app) == before, url


@pytest.mark.parametrize("path", ["/admin/users/{}", "/admin/teams/{}", "/admin/branches/{}",
                                  "/admin/users/1/tokens/{}/revoke"])
@pytest.mark.parametrize("value", [987654, 10 ** 30])
def test_an_unknown_or_huge_id_is_absent_not_an_error(site, path, value):
    client = signed_in(site.app, "admin")
    before = _state(site.app)
    if path.endswith("/revoke"):
        response = client.post(path.format(value), data={"reason": "x", "csrf_token": csrf_of(client, "/profile")})
    else:
        response = client.get(path.format(value))
    assert response.status_code == 404
    assert _state(site.app) == before


def test_a_diagrams_source_is_for_modellers_and_a_huge_version_is_absent(site):
    for username in sorted(USERS):
        expected = 404 if ROLES_BY_USER[username] in ("process_owner", "admin") else 403
        assert signed_in(site.app, username).get(f"/diagrams/versions/{10 ** 30}/source").status_code == expected
    owner = signed_in(site.app, "owner")
    with site.app.app_context():
        from engine import ModelVersion
        version_id = db.session().scalar(select(func.min(ModelVersion.id)))
    response = owner.get(f"/diagrams/versions/{version_id}/source")
    assert response.status_code == 200 and b"definitions" in response.data
