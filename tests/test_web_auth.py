"""Signing in and out, CSRF, rate limiting, secure cookies, bearer tokens."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from web_support import PASSWORD, USERS, api_token, csrf_of, login
from webui import create_app


def test_sign_in_and_out(client, site):
    assert client.get("/").status_code == 302
    response = login(client, "insp1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "INSP1" in page and "我的待办" in page
    response = client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, site):
    response = login(client, "insp1", "nope")
    assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_post_without_csrf_token_is_refused(client, site):
    assert client.post("/login", data={"username": "insp1", "password": PASSWORD}).status_code == 400
    login(client, "insp1")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200   # still signed in


def test_login_attempts_are_rate_limited(client, site):
    for _ in range(10):
        assert login(client, "insp2", "wrong").status_code == 401
    assert login(client, "insp2", "wrong").status_code == 429
    assert login(client, "insp2").status_code == 429          # even the right password waits
    assert login(client, "insp1").status_code == 302          # other accounts are not locked out


def test_an_open_redirect_after_sign_in_is_refused(client, site):
    token = csrf_of(client)
    response = client.post("/login", data={"username": "insp1", "password": PASSWORD, "csrf_token": token,
                                           "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_cookies_are_secure_outside_development(sqlite_url, tmp_path):
    app = create_app({"ENV": "production", "SECRET_KEY": "Zq8vL2mN7xR4tW9kP3sB6yH1cF5gJ0dA", "DATABASE_URL": sqlite_url,
                      "DATA_DIR": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_the_api_takes_bearer_tokens_and_never_the_session_cookie(client, app, site):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").mimetype == "application/problem+json"
    login(client, "insp1")
    assert client.get("/api/v1/me").status_code == 401          # the cookie does not count for the API
    token = api_token(app, "insp1")
    body = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["username"] == "insp1" and body["roles"] == ["inspector"] and body["teams"] == ["JA-T1"]
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer gs_forged"}).status_code == 401



def test_a_revoked_token_or_a_deactivated_user_is_refused_at_once(client, app, site, runner):
    from sqlalchemy import select

    from engine import AuditEvent
    from records import User
    from webui import db
    token = api_token(app, "insp1")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    listed = runner.invoke(["token", "list", "insp1"]).output
    token_id = int(listed.split("\t")[0])
    assert token[:10] in listed and "live" in listed
    refused = runner.invoke(["token", "revoke", str(token_id)])           # a reason is required
    assert refused.exit_code != 0 and "--reason" in refused.output
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    done = runner.invoke(["token", "revoke", str(token_id), "--reason", "平板丢失"])
    assert done.exit_code == 0 and "revoked" in done.output
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert "revoked" in runner.invoke(["token", "list", "insp1"]).output
    again = runner.invoke(["token", "revoke", str(token_id), "--reason", "twice"])
    assert again.exit_code != 0 and "no live token" in again.output
    with app.app_context():
        session = db.session()
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoked")).all()
        assert [e.reason for e in events] == ["平板丢失"]
    second = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    assert client.get("/api/v1/me", headers=second).status_code == 200
    with app.app_context():
        session = db.session()
        session.scalars(select(User).where(User.username == "insp1")).one().active = False
        session.commit()
    assert client.get("/api/v1/me", headers=second).status_code == 401

@pytest.mark.parametrize("lang,words", [("zh_CN", ["登录", "用户名"]), ("en", ["Sign in", "User name"])])
def test_both_languages_render(client, site, lang, words):
    client.post("/language", data={"lang": lang, "csrf_token": csrf_of(client)})
    page = client.get("/login").get_data(as_text=True)
    assert all(w in page for w in words)


def _cookie_copy(app, client):
    """Another browser holding a copy of the client's session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_signing_out_ends_the_session_on_the_server_so_a_copied_cookie_is_refused(client, app, site):
    login(client, "insp1")
    thief = _cookie_copy(app, client)
    assert thief.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    assert thief.get("/").status_code == 302 and client.get("/").status_code == 302


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_a_password_change_or_deactivation_ends_the_users_sessions(client, app, site, change):
    from sqlalchemy import select

    from records import User
    from services import access, people
    from webui import db
    login(client, "insp1")
    other = app.test_client()
    login(other, "insp2")
    with app.app_context():
        session = db.session()
        user = session.scalars(select(User).where(User.username == "insp1")).one()
        values = {"username": "insp1", "display_name": "INSP1", "roles": ["inspector"], "branch_id": user.branch_id,
                  "team_ids": [t.id for t in user.teams], "active": change != "deactivate",
                  "password": "a-new-password-9" if change == "password" else ""}
        people.save_user(app.extensions["gridsafe.runtime"], session, access.SYSTEM, user, values)
    assert client.get("/").status_code == 302
    assert other.get("/").status_code == 200                  # other people stay signed in
    expected = 302 if change == "password" else 401
    assert login(app.test_client(), "insp1", "a-new-password-9" if change == "password" else PASSWORD
                 ).status_code == expected


def _age_sessions(app, **delta):
    """Move every session's times back (sessions run on the wall clock, not the test clock)."""
    from sqlalchemy import select

    from records import WebSession
    from webui import db
    with app.app_context():
        session = db.session()
        for row in session.scalars(select(WebSession)):
            row.created_at, row.expires_at = row.created_at - timedelta(**delta), row.expires_at - timedelta(**delta)
        session.commit()


def _lifetimes(app) -> list:
    from sqlalchemy import select

    from records import WebSession
    from webui import db
    with app.app_context():
        return [row.expires_at - row.created_at for row in db.session().scalars(select(WebSession))]


def test_a_session_lasts_its_configured_lifetime_and_remember_me_is_days_not_a_year(client, app, site, clock):
    login(client, "insp1")
    assert client.get("/").status_code == 200
    assert client.get_cookie("session").expires is None         # a browser session
    clock.advance(days=30)
    assert client.get("/").status_code == 200                   # the business clock does not end sessions
    assert _lifetimes(app) == [timedelta(hours=12)]
    _age_sessions(app, hours=12, minutes=1)
    assert client.get("/").status_code == 302                   # SESSION_HOURS (12) are over
    remembered = app.test_client()
    token = csrf_of(remembered)
    remembered.post("/login", data={"username": "insp1", "password": PASSWORD, "csrf_token": token, "remember": "1"})
    expires = remembered.get_cookie("session").expires
    assert expires is not None and expires < datetime.now(timezone.utc) + timedelta(days=15)
    assert max(_lifetimes(app)) == timedelta(days=14)
    _age_sessions(app, days=13)
    assert remembered.get("/").status_code == 200
    _age_sessions(app, days=1, minutes=1)
    assert remembered.get("/").status_code == 302                # REMEMBER_DAYS (14) are over


def test_the_rate_limit_is_shared_by_workers_and_counts_per_account_and_per_address(app, site, sqlite_url, tmp_path,
                                                                                    clock):
    from support import FORMS
    second = create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": sqlite_url, "CLOCK": clock,
                         "DATA_DIR": str(tmp_path / "data"), "FORMS_DIR": str(FORMS)})
    workers = [app.test_client(), second.test_client()]
    answers = [login(workers[n % 2], "insp2", "wrong").status_code for n in range(12)]
    assert answers == [401] * 10 + [429] * 2                   # 10 per minute on the account, whichever worker
    assert login(workers[0], "insp1").status_code == 302       # another account from the same address
    for n in range(17):                                         # 30 per minute from one address
        login(workers[n % 2], f"nobody{n}", "wrong")
    assert login(workers[1], "insp3").status_code == 429
    from sqlalchemy import select

    from records import LoginAttempt
    from webui import db
    with app.app_context():                                     # a minute later (the wall clock's)
        for row in db.session().scalars(select(LoginAttempt)):
            row.at -= timedelta(seconds=61)
        db.session().commit()
    assert login(workers[1], "insp3").status_code == 302


def test_an_unknown_user_name_costs_a_password_check_like_a_known_one(client, site, monkeypatch):
    from services import signin
    checks = []
    real = signin.check_password_hash
    monkeypatch.setattr(signin, "check_password_hash", lambda h, p: checks.append(h) or real(h, p))
    assert login(client, "no-such-user", "whatever").status_code == 401
    assert len(checks) == 1 and checks[0].startswith("scrypt:")


def _fields(user) -> dict:
    """What the app reads of the signed-in user (a User row, or the lookup's answer)."""
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "locale": user.locale,
            "mobile": user.mobile, "email": user.email, "branch_id": user.branch_id,
            "branch": (user.branch.code, user.branch.name) if user.branch is not None else None,
            "roles": set(user.roles), "teams": sorted((t.id, t.code, t.name, t.branch_id, t.active) for t in user.teams),
            "groups": user.groups, "get_id": user.get_id(), "is_active": user.is_active,
            "has_role": [user.has_role(r) for r in ("inspector", "admin", "leader")]}


def test_the_token_and_session_lookups_answer_the_user_fields_of_the_account(app, site):
    from sqlalchemy import select

    from records import Team, User, signins
    from services import people, signin
    from webui import db
    texts = {u: api_token(app, u) for u in USERS}
    rt = app.extensions["gridsafe.runtime"]
    with app.app_context():
        session = db.session()
        team = session.scalars(select(Team).join(Team.members).where(User.username == "insp1")).first()
        team.active = False                       # an inactive team is no group of its members
        session.commit()
        for username, text in texts.items():
            user = session.scalars(select(User).where(User.username == username)).one()
            cookie = signins.open_session(session, user.id, datetime.now(timezone.utc), timedelta(hours=1))
            session.commit()
            expected = _fields(user)
            by_token = people.user_for_token(session, text)
            by_session = signin.user_for_session(rt, session, cookie)
            assert not isinstance(by_token, User) and not isinstance(by_session, User)
            assert _fields(by_token) == expected and _fields(by_session) == expected
        assert team.code not in people.user_for_token(session, texts["insp1"]).groups
        assert people.user_for_token(session, "gs_forged") is None
        assert signin.user_for_session(rt, session, "no-such-session") is None


def test_the_lookups_refuse_a_revoked_token_and_an_inactive_user(app, site):
    """(A password change ending sessions: test_a_password_change_or_deactivation_ends_the_users_sessions.)"""
    from sqlalchemy import select

    from records import User, signins, tokens
    from services import people, signin
    from webui import db
    text, other = api_token(app, "insp1"), api_token(app, "insp1")
    rt = app.extensions["gridsafe.runtime"]
    with app.app_context():
        session = db.session()
        user = session.scalars(select(User).where(User.username == "insp1")).one()
        cookie = signins.open_session(session, user.id, datetime.now(timezone.utc), timedelta(hours=1))
        session.commit()
        assert signin.user_for_session(rt, session, cookie).username == "insp1"
        row = next(t for t in tokens.of_user(session, user) if t.hint == text[:10])
        tokens.revoke(session, row.id, app.extensions["gridsafe.engine"].clock.now() + timedelta(seconds=1))
        session.commit()
        assert people.user_for_token(session, text) is None
        assert people.user_for_token(session, other).username == "insp1"      # only that token
        user.active = False
        session.commit()
        assert people.user_for_token(session, other) is None
        assert signin.user_for_session(rt, session, cookie) is None
