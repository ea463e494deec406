"""Security headers on every response: a Content-Security-Policy without inline script (pages may not be
framed), nosniff, a referrer policy, HSTS outside development; anything but the static files is private
(people's names, photos and signatures are never kept by a shared cache)."""
from __future__ import annotations

from flask import request

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",                       # no inline script, no eval: every script is a static file
    "style-src 'self' 'unsafe-inline'",        # the diagram editor and htmx set styles from script
    "img-src 'self' data: blob:",              # signature pads and photo previews draw to data:/blob: URLs
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HSTS = "max-age=31536000; includeSubDomains"


# the same for everyone and revalidated by their own views (the service worker: "no-cache"); the rest
# may hold personal data
NOT_PERSONAL = frozenset({"static", "offline.service_worker"})


def init_app(app) -> None:
    strict_transport = app.config["GRIDSAFE"]["ENV"] != "development"

    @app.after_request
    def secure(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")             # frame-ancestors for old browsers
        headers.setdefault("Referrer-Policy", "same-origin")
        if strict_transport:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint not in NOT_PERSONAL and "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "private, no-store"
        return response
