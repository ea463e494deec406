"""Security headers on pages, the API, files and errors; personal data is never kept by a shared cache."""
from __future__ import annotations

import io

from web_support import api_token, jpeg, signed_in


def _assert_secure(response, hsts: bool):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"]
    assert ("Strict-Transport-Security" in headers) is hsts


def test_pages_api_answers_and_errors_carry_the_security_headers(app, site):
    client = signed_in(app, "admin")
    token = {"Authorization": f"Bearer {api_token(app, 'admin')}"}
    for response in (client.get("/"), client.get("/admin/instances"), client.get("/no-such-page"),
                     client.get("/api/v1/tasks", headers=token), client.get("/api/v1/instances/999", headers=token),
                     app.test_client().get("/login"), app.test_client().get("/api/v1/openapi.json")):
        _assert_secure(response, hsts=True)            # testing counts as "outside development"
        assert response.headers["Cache-Control"] == "private, no-store"


def test_photos_signatures_and_documents_are_private_and_not_stored(app, site):
    token = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    api = app.test_client()
    digest = api.post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                      data={"kind": "photo", "file": (io.BytesIO(jpeg()), "p.jpg")}).get_json()["id"]
    for response in (api.get(f"/api/v1/attachments/{digest}", headers=token),
                     signed_in(app, "insp1").get(f"/attachments/{digest}")):
        assert response.status_code == 200
        cache = response.headers["Cache-Control"]
        assert "private" in cache and "no-store" in cache and "public" not in cache and "max-age=3" not in cache
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_stay_cacheable_and_development_has_no_hsts(tmp_path, sqlite_url, clock):
    from support import FORMS
    from webui import create_app
    app = create_app({"ENV": "development", "DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path / "d"),
                      "FORMS_DIR": str(FORMS), "CLOCK": clock})
    response = app.test_client().get("/static/app.js")
    assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", "")
    _assert_secure(app.test_client().get("/login"), hsts=False)
