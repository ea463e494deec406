"""Signing in and out (Flask-Login over server-side sessions: the cookie carries the session's token,
services.signin decides), bearer tokens for the API, the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user

from services import people, signin

from . import current, db

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
LANGUAGES = ("zh_CN", "en")


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(_user_key: str):
    if request.path.startswith("/api/"):
        return None                        # the API never trusts the session cookie
    return signin.user_for_session(current.runtime(), db.session(), session.get("sid"))


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
def login():
    """The sign-in page."""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        remember = bool(request.form.get("remember"))
        signed = signin.sign_in(current.runtime(), db.session(), username, request.form.get("password") or "",
                                request.remote_addr or "", remember=remember)
        if signed is not None:
            user, token = signed
            session.clear()                       # a fresh session: nothing carried over from before sign-in
            login_user(user)
            session["sid"], session["lang"], session.permanent = token, user.locale, remember
            return redirect(_safe_next(request.form.get("next")))
        flash(_("Wrong user name or password."), "error")
        return render_template("auth/login.html", username=username, next=request.form.get("next")), 401
    return render_template("auth/login.html", username="", next=request.args.get("next"))


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can sign you out): the session ends on the
    server, so a copy of its cookie signs no one in."""
    signin.sign_out(current.runtime(), db.session(), session.get("sid"))
    logout_user()
    session.pop("sid", None)
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
