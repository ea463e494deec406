"""Signing in and out (sessions by Flask-Login, bearer tokens for the API), the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user

from services import people

from . import db
from .extensions import limiter

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
LANGUAGES = ("zh_CN", "en")


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(user_key: str):
    if request.path.startswith("/api/"):
        return None                        # the API never trusts the session cookie
    return people.user_for_session(db.session(), user_key)


@login_manager.request_loader
def _load_token_user(req):
    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.lower().startswith("bearer "):
        return None
    user = people.user_for_token(db.session(), header[7:].strip())
    if user is not None:
        g.api_token = True
    return user


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("inbox.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("inbox.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["GRIDSAFE"]["LOGIN_RATE_LIMIT"], methods=["POST"],
               key_func=lambda: f"{request.remote_addr}:{(request.form.get('username') or '').strip().lower()}")
def login():
    """The sign-in page."""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        user = people.authenticate(db.session(), username, request.form.get("password") or "")
        if user is not None:
            login_user(user, remember=bool(request.form.get("remember")))
            session["lang"] = user.locale
            return redirect(_safe_next(request.form.get("next")))
        flash(_("Wrong user name or password."), "error")
        return render_template("auth/login.html", username=username, next=request.form.get("next")), 401
    return render_template("auth/login.html", username="", next=request.args.get("next"))


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can sign you out)."""
    logout_user()
    flash(_("You have signed out."), "info")
    response = redirect(url_for("auth.login"))
    # the pages kept for use without network hold customers' data: not for the next person on this
    # tablet (submissions still waiting in IndexedDB are kept and sent after the next sign-in)
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.post("/language")
def language():
    """Switch the interface language (remembered on the account when signed in)."""
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            people.set_locale(db.session(), current_user, lang)
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))


@bp.get("/profile")
def profile():
    """Who am I: roles, teams, branch."""
    return render_template("auth/profile.html", user=current_user)
