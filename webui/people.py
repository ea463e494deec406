"""Administrators manage people: users (roles, branch, teams), inspection teams and branches.

Every change is one transaction with one audit event; edits carry the row's lock_version, so a
change made meanwhile by someone else is refused instead of overwritten.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError

from engine import audit
from records import ROLES, Branch, Team, User, tokens

from . import db, engine_of

bp = Blueprint("people", __name__, url_prefix="/admin")

ROLE_LABELS = {"specialist": _l("Inspection specialist (用电检查专责)"), "inspector": _l("Inspector"),
               "supervisor": _l("Supervision head"), "leader": _l("Leader"), "process_owner": _l("Process owner"),
               "admin": _l("Administrator")}
CODE = Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use letters, digits, - and _ only."))
MOBILE = Regexp(r"^1\d{10}$", message=_l("Enter an 11-digit mobile number starting with 1."))


class UserForm(FlaskForm):
    username = StringField(_l("User name"), [InputRequired(), Length(max=60), CODE])
    display_name = StringField(_l("Name"), [InputRequired(), Length(max=60)])
    password = PasswordField(_l("Password"), [Optional(), Length(min=8, max=128)])
    roles = SelectMultipleField(_l("Roles"), choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    branch_id = SelectField(_l("Branch"), coerce=int)
    team_ids = SelectMultipleField(_l("Teams"), coerce=int)
    locale = SelectField(_l("Language"), choices=[("zh_CN", "中文"), ("en", "English")])
    mobile = StringField(_l("Mobile"), [Optional(), MOBILE])
    email = StringField(_l("E-mail"), [Optional(), Email(), Length(max=120)])
    active = BooleanField(_l("Active"), default=True)
    lock_version = HiddenField()


class TeamForm(FlaskForm):
    code = StringField(_l("Code"), [InputRequired(), Length(max=40), CODE])
    name = StringField(_l("Name"), [InputRequired(), Length(max=100)])
    branch_id = SelectField(_l("Branch"), coerce=int)
    head_id = SelectField(_l("Team head"), coerce=int)
    member_ids = SelectMultipleField(_l("Members"), coerce=int)
    active = BooleanField(_l("Active"), default=True)
    lock_version = HiddenField()


class BranchForm(FlaskForm):
    code = StringField(_l("Code"), [InputRequired(), Length(max=40), CODE])
    name = StringField(_l("Name"), [InputRequired(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=[("company", _l("Company")), ("county", _l("County branch"))])
    parent_id = SelectField(_l("Parent"), coerce=int)
    lock_version = HiddenField()


class RevokeTokenForm(FlaskForm):
    reason = StringField(_l("Reason"), [DataRequired(), Length(max=500)],
                         filters=[lambda value: value.strip() if isinstance(value, str) else value])


def _now():
    return engine_of(current_app).clock.now()


def _branches(session):
    return session.scalars(select(Branch).order_by(Branch.code)).all()


def _users(session):
    return session.scalars(select(User).order_by(User.username)).all()


def _teams(session):
    return session.scalars(select(Team).order_by(Team.code)).all()


def _snapshot(obj, names):
    return {n: (sorted(v) if isinstance(v := getattr(obj, n), (set, list)) else v) for n in names}


def _save(session, obj, chain: str, action: str, before: dict | None, after: dict, form) -> bool:
    """Commit one change with its audit event; False (with the reason on the form) when it could not be."""
    try:
        audit.record(session, chain, at=_now(), actor=current_user.username, action=action, before=before,
                     after=after)
        session.commit()
        return True
    except (StaleDataError, IntegrityError) as err:
        session.rollback()
        message = _("Someone else changed this record meanwhile; reload and try again.") \
            if isinstance(err, StaleDataError) else _("This code or user name is already in use.")
        form.form_errors.append(message)
        return False


def _check_version(obj, form) -> None:
    if form.lock_version.data and str(obj.lock_version) != form.lock_version.data:
        raise StaleDataError("lock_version")


# --- users ---------------------------------------------------------------------------------------------

@bp.get("/users")
def users():
    """All users with their roles, branch and teams."""
    return render_template("people/users.html", users=_users(db.session()), role_labels=ROLE_LABELS)


def _user_choices(form, session):
    form.branch_id.choices = [(0, "—")] + [(b.id, f"{b.name} ({b.code})") for b in _branches(session)]
    form.team_ids.choices = [(t.id, f"{t.name} ({t.code})") for t in _teams(session)]


def _apply_user(session, user, form) -> None:
    user.username = form.username.data.strip()
    user.display_name = form.display_name.data.strip()
    if form.password.data:
        user.set_password(form.password.data)
    user.set_roles(form.roles.data)
    user.branch_id = form.branch_id.data or None
    user.teams = [session.get(Team, tid) for tid in form.team_ids.data]
    user.locale = form.locale.data
    user.mobile = form.mobile.data or None
    user.email = form.email.data or None
    user.active = form.active.data


USER_FIELDS = ("username", "display_name", "roles", "branch_id", "locale", "mobile", "email", "active")


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Create a user (a password of at least 8 characters is required)."""
    session = db.session()
    form = UserForm()
    _user_choices(form, session)
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("Set a password for the new user."))
        else:
            user = User(password_hash="", created_at=_now())
            _apply_user(session, user, form)
            session.add(user)
            if _save(session, user, f"user:{user.username}", "user.created", None, _snapshot(user, USER_FIELDS), form):
                flash(_("User %(name)s created.", name=user.username), "success")
                return redirect(url_for("people.users"))
    return render_template("people/user_form.html", form=form, user=None), 422 if request.method == "POST" else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id):
    """Edit a user; leave the password empty to keep it."""
    session = db.session()
    user = session.get(User, user_id) or abort(404)
    if request.method == "GET":
        form = _edit_form(user, session)
    else:
        form = UserForm()
        _user_choices(form, session)
        if form.validate_on_submit():
            before = _snapshot(user, USER_FIELDS)
            try:
                _check_version(user, form)
                _apply_user(session, user, form)
                saved = _save(session, user, f"user:{user.username}", "user.changed", before,
                              _snapshot(user, USER_FIELDS), form)
            except StaleDataError:
                session.rollback()
                form.form_errors.append(_("Someone else changed this record meanwhile; reload and try again."))
                saved = False
            if saved:
                flash(_("User %(name)s saved.", name=user.username), "success")
                return redirect(url_for("people.users"))
    return _user_page(form, user, session), 422 if request.method == "POST" else 200


def _edit_form(user, session) -> UserForm:
    """The user form filled from the stored user (not from the request)."""
    form = UserForm(obj=user, formdata=None)
    _user_choices(form, session)
    form.roles.data, form.team_ids.data = sorted(user.roles), [t.id for t in user.teams]
    form.branch_id.data, form.lock_version.data = user.branch_id or 0, str(user.lock_version)
    return form


def _user_page(form, user, session, revoke_form=None, revoking=None):
    return render_template("people/user_form.html", form=form, user=user, tokens=tokens.of_user(session, user),
                           revoke_form=revoke_form or RevokeTokenForm(formdata=None), revoking=revoking)


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
def token_revoke(user_id, token_id):
    """Revoke one of the user's API tokens at once (a lost tablet, a leaked script), with a reason."""
    session = db.session()
    user = session.get(User, user_id) or abort(404)
    token = session.get(tokens.ApiToken, token_id)
    if token is None or token.user_id != user.id:
        abort(404)
    revoke_form = RevokeTokenForm()
    if token.revoked_at is not None:
        flash(_("This token was already revoked."), "error")
        return redirect(url_for("people.user_edit", user_id=user.id))
    if not revoke_form.validate_on_submit():
        return _user_page(_edit_form(user, session), user, session, revoke_form, revoking=token.id), 422
    now = _now()
    tokens.revoke(session, token.id, now)
    audit.record(session, f"user:{user.username}", at=now, actor=current_user.username, action="token.revoked",
                 after={"name": token.name, "hint": token.hint}, reason=revoke_form.reason.data.strip())
    session.commit()
    flash(_("Token %(hint)s… of %(name)s revoked: calls with it are refused from now on.",
            hint=token.hint, name=user.username), "success")
    return redirect(url_for("people.user_edit", user_id=user.id))


# --- teams ---------------------------------------------------------------------------------------------

@bp.get("/teams")
def teams():
    """Inspection teams, their branch, head and members."""
    return render_template("people/teams.html", teams=_teams(db.session()))


def _team_choices(form, session):
    form.branch_id.choices = [(b.id, f"{b.name} ({b.code})") for b in _branches(session)]
    users = _users(session)
    form.head_id.choices = [(0, "—")] + [(u.id, f"{u.display_name} ({u.username})") for u in users]
    form.member_ids.choices = [(u.id, f"{u.display_name} ({u.username})") for u in users]


TEAM_FIELDS = ("code", "name", "branch_id", "head_id", "active")


def _apply_team(session, team, form):
    team.code, team.name = form.code.data.strip(), form.name.data.strip()
    team.branch_id, team.head_id = form.branch_id.data, form.head_id.data or None
    team.members = [session.get(User, uid) for uid in form.member_ids.data]
    team.active = form.active.data
    if team.head_id and team.head_id not in form.member_ids.data:
        raise ValidationError(_("The team head must be a member of the team."))


def _team_page(form, team, session, creating):
    if form.validate_on_submit():
        before = None if creating else {**_snapshot(team, TEAM_FIELDS), "members": [m.username for m in team.members]}
        try:
            if not creating:
                _check_version(team, form)
            _apply_team(session, team, form)
            if creating:
                session.add(team)
            after = {**_snapshot(team, TEAM_FIELDS), "members": [m.username for m in team.members]}
            if _save(session, team, f"team:{team.code}", "team.created" if creating else "team.changed",
                     before, after, form):
                flash(_("Team %(name)s saved.", name=team.name), "success")
                return redirect(url_for("people.teams"))
        except ValidationError as err:
            session.rollback()
            form.head_id.errors.append(str(err))
        except StaleDataError:
            session.rollback()
            form.form_errors.append(_("Someone else changed this record meanwhile; reload and try again."))
    status = 422 if request.method == "POST" else 200
    return render_template("people/team_form.html", form=form, team=None if creating else team), status


@bp.route("/teams/new", methods=["GET", "POST"])
def team_new():
    """Create an inspection team."""
    session = db.session()
    form = TeamForm()
    _team_choices(form, session)
    return _team_page(form, Team(), session, creating=True)


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
def team_edit(team_id):
    """Edit a team and its members."""
    session = db.session()
    team = session.get(Team, team_id) or abort(404)
    form = TeamForm(obj=team) if request.method == "GET" else TeamForm()
    _team_choices(form, session)
    if request.method == "GET":
        form.member_ids.data = [m.id for m in team.members]
        form.head_id.data = team.head_id or 0
        form.lock_version.data = str(team.lock_version)
    return _team_page(form, team, session, creating=False)


# --- branches ------------------------------------------------------------------------------------------

@bp.get("/branches")
def branches():
    """The company and its county branches."""
    return render_template("people/branches.html", branches=_branches(db.session()))


BRANCH_FIELDS = ("code", "name", "kind", "parent_id")


def _branch_page(form, branch, session, creating):
    form.parent_id.choices = [(0, "—")] + [(b.id, f"{b.name} ({b.code})") for b in _branches(session)
                                          if creating or b.id != branch.id]
    if request.method == "GET" and not creating:
        form.parent_id.data = branch.parent_id or 0
        form.lock_version.data = str(branch.lock_version)
    if form.validate_on_submit():
        before = None if creating else _snapshot(branch, BRANCH_FIELDS)
        try:
            if not creating:
                _check_version(branch, form)
            branch.code, branch.name = form.code.data.strip(), form.name.data.strip()
            branch.kind, branch.parent_id = form.kind.data, form.parent_id.data or None
            if creating:
                session.add(branch)
            if _save(session, branch, f"branch:{branch.code}", "branch.created" if creating else "branch.changed",
                     before, _snapshot(branch, BRANCH_FIELDS), form):
                flash(_("Branch %(name)s saved.", name=branch.name), "success")
                return redirect(url_for("people.branches"))
        except StaleDataError:
            session.rollback()
            form.form_errors.append(_("Someone else changed this record meanwhile; reload and try again."))
    status = 422 if request.method == "POST" else 200
    return render_template("people/branch_form.html", form=form, branch=None if creating else branch), status


@bp.route("/branches/new", methods=["GET", "POST"])
def branch_new():
    """Create a branch."""
    form = BranchForm()
    return _branch_page(form, Branch(), db.session(), creating=True)


@bp.route("/branches/<int:branch_id>", methods=["GET", "POST"])
def branch_edit(branch_id):
    """Edit a branch."""
    session = db.session()
    branch = session.get(Branch, branch_id) or abort(404)
    form = BranchForm(obj=branch) if request.method == "GET" else BranchForm()
    return _branch_page(form, branch, session, creating=False)

