"""The installable web app: its manifest and the service worker (served from the root so that it may
keep the inspector's pages for use without network)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, jsonify, send_from_directory, url_for
from flask_babel import gettext as _

bp = Blueprint("offline", __name__)
STATIC = Path(__file__).resolve().parent.parent / "static"
VENDOR = STATIC / "vendor"


@bp.get("/sw.js")
def service_worker():
    """The bundled service worker (webui/static/src/sw.js); always checked for a newer one."""
    response = send_from_directory(VENDOR, "gridsafe-sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/favicon.ico")
def favicon():
    """The icon browsers ask for at the root (the app's icon, as .ico), cached for a day."""
    return send_from_directory(STATIC, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)


@bp.get("/manifest.webmanifest")
def manifest():
    """What a tablet needs to install the inspector's pages as an app."""
    response = jsonify(name=_("GridSafe site inspection"), short_name=_("GridSafe"), lang="zh-CN",
                       start_url=url_for("inbox.index", scope="mine"), scope="/", display="standalone",
                       background_color="#ffffff", theme_color="#1565c0",
                       icons=[{"src": url_for("static", filename="icon.svg"), "sizes": "any",
                               "type": "image/svg+xml", "purpose": "any"}])
    response.mimetype = "application/manifest+json"
    return response


def sync_messages() -> dict:
    """What the queue of submissions says on every page (in the request's language)."""
    return {"states": {"pending": _("Waiting to sync"), "synced": _("Synced"), "failed": _("Sync failed")},
            "export": _("Export as a file"), "noNetwork": _("no network; will be sent when it is back"),
            "serverDown": _("the server did not answer; will be sent again"),
            "waitingPhotos": _("waiting for its photos to be uploaded"),
            "photoFailed": _("a photo was refused:")}


@bp.app_context_processor
def _globals():
    return {"sync_messages": sync_messages}
