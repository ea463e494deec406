"""Behind a TLS proxy (GRIDSAFE_PROXY_HOPS): the client's address, the scheme and the host come from the
X-Forwarded-* headers of the configured proxies, and only then; the sign-in limit per address counts the
real client."""
from __future__ import annotations

import pytest
from flask import url_for

from web_support import login, seed_people
from webui import create_app, db

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "gridsafe.example.cn", "X-Forwarded-Port": "443"}


def make(sqlite_url, tmp_path, clock, **settings):
    app = create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": sqlite_url,
                      "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock, **settings})
    with app.app_context():
        seed_people(db.session(), clock.now())
    return app


def seen(app, **headers) -> dict:
    """What the app saw of a request to /login sent with `headers`: address, scheme, an external link."""
    captured = {}
    inner = app.wsgi_app.app if hasattr(app.wsgi_app, "app") else None
    target = app.wsgi_app if inner is None else inner

    def capture(environ, start_response):
        with app.request_context(environ):
            from flask import request
            captured.update(address=request.remote_addr, secure=request.is_secure,
                            link=url_for("auth.login", _external=True))
        return target(environ, start_response)

    if inner is None:
        app.wsgi_app = capture
    else:
        app.wsgi_app.app = capture
    assert app.test_client().get("/login", headers=headers).status_code == 200
    return captured


def test_behind_one_proxy_the_forwarded_client_scheme_and_host_are_used(sqlite_url, tmp_path, clock):
    app = make(sqlite_url, tmp_path, clock, PROXY_HOPS=1)
    assert seen(app, **FORWARDED) == {"address": "203.0.113.7", "secure": True,
                                      "link": "https://gridsafe.example.cn/login"}


def test_without_proxies_configured_forwarded_headers_are_ignored(sqlite_url, tmp_path, clock):
    app = make(sqlite_url, tmp_path, clock)
    assert seen(app, **FORWARDED) == {"address": "127.0.0.1", "secure": False, "link": "http://localhost/login"}


def test_with_one_proxy_only_the_address_the_proxy_appended_counts(sqlite_url, tmp_path, clock):
    """A client that writes its own X-Forwarded-For gets the proxy's appended (last) address, not its own."""
    app = make(sqlite_url, tmp_path, clock, PROXY_HOPS=1)
    assert seen(app, **{**FORWARDED, "X-Forwarded-For": "10.9.9.9, 198.51.100.4"})["address"] == "198.51.100.4"


@pytest.mark.parametrize("hops, limited", [(1, False), (0, True)])
def test_the_sign_in_limit_per_address_counts_the_forwarded_client(sqlite_url, tmp_path, clock, hops, limited):
    """Three offices behind one proxy: with the proxy configured each has its own allowance; without, they
    all look like the proxy's address and share one."""
    app = make(sqlite_url, tmp_path, clock, PROXY_HOPS=hops, LOGIN_ADDRESS_RATE_LIMIT="3 per minute")
    answers = []
    for n, user in enumerate(["insp1", "insp2", "spec", "insp1", "insp2", "spec"]):
        client = app.test_client()
        client.environ_base.update({"HTTP_X_FORWARDED_FOR": f"203.0.113.{n % 3 + 1}"})
        answers.append(login(client, user, "wrong").status_code)
    assert answers == ([401] * 3 + [429] * 3 if limited else [401] * 6)


def test_a_wrong_number_of_hops_is_refused_with_the_setting_named(sqlite_url, tmp_path, clock):
    with pytest.raises(ValueError, match="GRIDSAFE_PROXY_HOPS"):
        make(sqlite_url, tmp_path, clock, PROXY_HOPS=-1)
