"""The current app's runtime, for routes: the settings, engine, files and database the services need."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user

import services


def runtime() -> services.Runtime:
    return current_app.extensions["gridsafe.runtime"]


def actor():
    """Who asks: the signed-in user (session or bearer token)."""
    return current_user._get_current_object()
