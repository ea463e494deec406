"""Administrators' pages for people: users (roles, branch, teams, API tokens), teams and branches.

The forms parse and check input; services.people makes each change (one transaction, one audit
event, refused when someone else changed the row meanwhile).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from services.vocabulary import ROLES
from services import Conflict, Invalid
from services import people
from services.people import ROLE_LABELS

from .. import db
from ..current import actor, runtime

bp = Blueprint("people", __name__, url_prefix="/admin")

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
    post = StringField(_l("Post (printed after the name on documents)"), [Optional(), Length(max=40)])
    warrant_number = StringField(_l("Inspection warrant number (用电检查证号)"), [Optional(), Length(max=40)])
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


def _values(form, names) -> dict:
    return {name: getattr(form, name).data for name in names}


def _refused(form, err) -> None:
    """Put a service's refusal on the form: on its field when it names one, at the top otherwise."""
    if isinstance(err, Invalid) and err.errors:
        for name, message in err.errors.items():
            field = getattr(form, name, None) if name else None
            (field.errors if field is not None else form.form_errors).append(message)
    else:
        form.form_errors.append(err.message)


# --- users ---------------------------------------------------------------------------------------------

@bp.get("/users")
def users():
    """All users with their roles, branch and teams."""
    return render_template("people/users.html", users=people.users(db.session()), role_labels=ROLE_LABELS)


def _user_choices(form, session):
    form.branch_id.choices = [(0, "—")] + [(b.id, f"{b.name} ({b.code})") for b in people.branches(session)]
    form.team_ids.choices = [(t.id, f"{t.name} ({t.code})") for t in people.teams(session)]


USER_INPUT = ("username", "display_name", "password", "roles", "branch_id", "team_ids", "locale", "mobile", "email",
              "post", "warrant_number", "active")


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Create a user (a password of at least 8 characters is required)."""
    session = db.session()
    form = UserForm()
    _user_choices(form, session)
    if form.validate_on_submit():
        try:
            user = people.save_user(runtime(), session, actor(), None, _values(form, USER_INPUT))
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("people.users"))
        except (Invalid, Conflict) as err:
            _refused(form, err)
    return render_template("people/user_form.html", form=form, user=None), 422 if request.method == "POST" else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id):
    """Edit a user; leave the password empty to keep it."""
    session = db.session()
    user = people.user_or_404(session, user_id)
    if request.method == "GET":
        form = _edit_form(user, session)
    else:
        form = UserForm()
        _user_choices(form, session)
        if form.validate_on_submit():
            try:
                people.save_user(runtime(), session, actor(), user, _values(form, USER_INPUT),
                                 lock_version=form.lock_version.data)
                flash(_("User %(name)s saved.", name=user.username), "success")
                return redirect(url_for("people.users"))
            except (Invalid, Conflict) as err:
                _refused(form, err)
    return _user_page(form, user, session), 422 if request.method == "POST" else 200


def _edit_form(user, session) -> UserForm:
    """The user form filled from the stored user (not from the request)."""
    form = UserForm(obj=user, formdata=None)
    _user_choices(form, session)
    form.roles.data, form.team_ids.data = sorted(user.roles), [t.id for t in user.teams]
    form.branch_id.data, form.lock_version.data = user.branch_id or 0, str(user.lock_version)
    return form


def _user_page(form, user, session, revoke_form=None, revoking=None):
    return render_template("people/user_form.html", form=form, user=user, tokens=people.user_tokens(session, user),
                           revoke_form=revoke_form or RevokeTokenForm(formdata=None), revoking=revoking)


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
def token_revoke(user_id, token_id):
    """Revoke one of the user's API tokens at once (a lost tablet, a leaked script), with a reason."""
    session = db.session()
    user = people.user_or_404(session, user_id)
    revoke_form = RevokeTokenForm()
    if not revoke_form.validate_on_submit():
        return _user_page(_edit_form(user, session), user, session, revoke_form, revoking=token_id), 422
    try:
        token = people.revoke_token(runtime(), session, actor(), user, token_id, revoke_form.reason.data)
    except Conflict as err:
        flash(err.message, "error")
        return redirect(url_for("people.user_edit", user_id=user.id))
    flash(_("Token %(hint)s… of %(name)s revoked: calls with it are refused from now on.",
            hint=token.hint, name=user.username), "success")
    return redirect(url_for("people.user_edit", user_id=user.id))


# --- teams ---------------------------------------------------------------------------------------------

@bp.get("/teams")
def teams():
    """Inspection teams, their branch, head and members."""
    return render_template("people/teams.html", teams=people.teams(db.session()))


def _team_choices(form, session):
    form.branch_id.choices = [(b.id, f"{b.name} ({b.code})") for b in people.branches(session)]
    users = people.users(session)
    form.head_id.choices = [(0, "—")] + [(u.id, f"{u.display_name} ({u.username})") for u in users]
    form.member_ids.choices = [(u.id, f"{u.display_name} ({u.username})") for u in users]


def _team_page(form, team, session):
    if form.validate_on_submit():
        try:
            saved = people.save_team(runtime(), session, actor(), team,
                                     _values(form, ("code", "name", "branch_id", "head_id", "member_ids", "active")),
                                     lock_version=form.lock_version.data)
            flash(_("Team %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("people.teams"))
        except (Invalid, Conflict) as err:
            _refused(form, err)
    status = 422 if request.method == "POST" else 200
    return render_template("people/team_form.html", form=form, team=team), status


@bp.route("/teams/new", methods=["GET", "POST"])
def team_new():
    """Create an inspection team."""
    session = db.session()
    form = TeamForm()
    _team_choices(form, session)
    return _team_page(form, None, session)


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
def team_edit(team_id):
    """Edit a team and its members."""
    session = db.session()
    team = people.team_or_404(session, team_id)
    form = TeamForm(obj=team) if request.method == "GET" else TeamForm()
    _team_choices(form, session)
    if request.method == "GET":
        form.member_ids.data = [m.id for m in team.members]
        form.head_id.data = team.head_id or 0
        form.lock_version.data = str(team.lock_version)
    return _team_page(form, team, session)


# --- branches ------------------------------------------------------------------------------------------

@bp.get("/branches")
def branches():
    """The company and its county branches."""
    return render_template("people/branches.html", branches=people.branches(db.session()))


def _branch_page(form, branch, session):
    form.parent_id.choices = [(0, "—")] + [(b.id, f"{b.name} ({b.code})") for b in people.branches(session)
                                          if branch is None or b.id != branch.id]
    if request.method == "GET" and branch is not None:
        form.parent_id.data = branch.parent_id or 0
        form.lock_version.data = str(branch.lock_version)
    if form.validate_on_submit():
        try:
            saved = people.save_branch(runtime(), session, actor(), branch,
                                       _values(form, ("code", "name", "kind", "parent_id")),
                                       lock_version=form.lock_version.data)
            flash(_("Branch %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("people.branches"))
        except (Invalid, Conflict) as err:
            _refused(form, err)
    status = 422 if request.method == "POST" else 200
    return render_template("people/branch_form.html", form=form, branch=branch), status


@bp.route("/branches/new", methods=["GET", "POST"])
def branch_new():
    """Create a branch."""
    return _branch_page(BranchForm(), None, db.session())


@bp.route("/branches/<int:branch_id>", methods=["GET", "POST"])
def branch_edit(branch_id):
    """Edit a branch."""
    session = db.session()
    branch = people.branch_or_404(session, branch_id)
    form = BranchForm(obj=branch) if request.method == "GET" else BranchForm()
    return _branch_page(form, branch, session)
