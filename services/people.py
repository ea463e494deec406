"""People and organisation: users (roles, branch, teams), inspection teams, branches, API tokens, and
who a sign-in or a token belongs to.

Only administrators change people (the role matrix); the CLI acts as SYSTEM. Every change is one
transaction with one audit event; an edit names the row's lock_version, so a change made meanwhile
by someone else is refused (Conflict) instead of overwritten.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from records import ROLES, Branch, Team, User, people, signins, tokens

from .errors import Conflict, Invalid, NotFound
from .i18n import _, _l

USER_FIELDS = ("username", "display_name", "roles", "branch_id", "locale", "mobile", "email", "post", "warrant_number",
               "active")
TEAM_FIELDS = ("code", "name", "branch_id", "head_id", "active")
BRANCH_FIELDS = ("code", "name", "kind", "parent_id")
MIN_PASSWORD = 8
ROLE_LABELS = {"specialist": _l("Inspection specialist (用电检查专责)"), "inspector": _l("Inspector"),
               "supervisor": _l("Supervision head"), "leader": _l("Leader"), "process_owner": _l("Process owner"),
               "admin": _l("Administrator")}


def users(session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def teams(session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.code)))


def branches(session) -> list[Branch]:
    return list(session.scalars(select(Branch).order_by(Branch.code)))


def _get_or_404(session, model, row_id: int):
    found = session.get(model, row_id) if isinstance(row_id, int) and 0 < row_id < 2 ** 63 else None
    if found is None:
        raise NotFound()
    return found


def user_or_404(session, user_id: int) -> User:
    return _get_or_404(session, User, user_id)


def team_or_404(session, team_id: int) -> Team:
    return _get_or_404(session, Team, team_id)


def branch_or_404(session, branch_id: int) -> Branch:
    return _get_or_404(session, Branch, branch_id)


def snapshot(obj, names) -> dict:
    return {n: (sorted(v) if isinstance(v := getattr(obj, n), (set, list)) else v) for n in names}


def _commit(rt, session, actor, chain: str, action: str, before: dict | None, after: dict, *,
            reason: str | None = None) -> None:
    """One change, its audit event, one commit; a concurrent edit or a taken name is refused."""
    try:
        audit.record(session, chain, at=rt.now(), actor=actor.username, action=action, before=before, after=after,
                     reason=reason)
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(_("Someone else changed this record meanwhile; reload and try again.")) from None
    except IntegrityError:
        session.rollback()
        raise Invalid(_("This code or user name is already in use."),
                      errors={"": _("This code or user name is already in use.")}) from None


def _check_version(obj, lock_version) -> None:
    if lock_version not in (None, "") and str(obj.lock_version) != str(lock_version):
        raise Conflict(_("Someone else changed this record meanwhile; reload and try again."))


def save_user(rt, session, actor, user: User | None, values: dict, *, lock_version=None) -> User:
    """Create (user None) or change a user from checked form values; the password is kept when empty."""
    creating = user is None
    if creating and not values.get("password"):
        raise Invalid(_("Set a password for the new user."), errors={"password": _("Set a password for the new user.")})
    if values.get("password") and len(values["password"]) < MIN_PASSWORD:
        raise Invalid(_("Use at least %(n)s characters.", n=MIN_PASSWORD),
                      errors={"password": _("Use at least %(n)s characters.", n=MIN_PASSWORD)})
    unknown = set(values.get("roles") or ()) - set(ROLES)
    if unknown:
        raise Invalid(_("Choose one of the listed values."), errors={"roles": _("Choose one of the listed values.")})
    if creating:
        user = User(password_hash="", created_at=rt.now())
        before = None
    else:
        _check_version(user, lock_version)
        before = snapshot(user, USER_FIELDS)
    user.username = values["username"].strip()
    user.display_name = values["display_name"].strip()
    if values.get("password"):
        user.set_password(values["password"])
    user.set_roles(values.get("roles") or [])
    user.branch_id = values.get("branch_id") or None
    user.teams = [team_or_404(session, tid) for tid in values.get("team_ids") or []]
    user.locale = values.get("locale") or "zh_CN"
    user.mobile = values.get("mobile") or None
    user.email = values.get("email") or None
    user.post = (values.get("post") or "").strip() or None
    user.warrant_number = (values.get("warrant_number") or "").strip() or None
    was_active = user.active
    user.active = bool(values.get("active", True))
    if creating:
        session.add(user)
    elif values.get("password") or (was_active and not user.active):
        signins.end_sessions_of(session, user.id, datetime.now(timezone.utc))      # signed out everywhere
    _commit(rt, session, actor, f"user:{user.username}", "user.created" if creating else "user.changed", before,
            snapshot(user, USER_FIELDS))
    return user


def save_team(rt, session, actor, team: Team | None, values: dict, *, lock_version=None) -> Team:
    """Create (team None) or change an inspection team and its members; the head must be a member."""
    creating = team is None
    if values.get("head_id") and values["head_id"] not in (values.get("member_ids") or []):
        raise Invalid(_("The team head must be a member of the team."),
                      errors={"head_id": _("The team head must be a member of the team.")})
    if creating:
        team, before = Team(), None
    else:
        _check_version(team, lock_version)
        before = {**snapshot(team, TEAM_FIELDS), "members": [m.username for m in team.members]}
    branch_or_404(session, values["branch_id"])
    team.code, team.name = values["code"].strip(), values["name"].strip()
    team.branch_id, team.head_id = values["branch_id"], values.get("head_id") or None
    team.members = [user_or_404(session, uid) for uid in values.get("member_ids") or []]
    team.active = bool(values.get("active", True))
    if creating:
        session.add(team)
    _commit(rt, session, actor, f"team:{team.code}", "team.created" if creating else "team.changed", before,
            {**snapshot(team, TEAM_FIELDS), "members": [m.username for m in team.members]})
    return team


def save_branch(rt, session, actor, branch: Branch | None, values: dict, *, lock_version=None) -> Branch:
    """Create (branch None) or change a branch; a branch cannot be placed under itself or its own county."""
    creating = branch is None
    parent_id = values.get("parent_id") or None
    if not creating:
        _check_version(branch, lock_version)
        if parent_id is not None and parent_id in _ids_under(session, branch.id):
            raise Invalid(_("A branch cannot be placed under itself."),
                          errors={"parent_id": _("A branch cannot be placed under itself.")})
    if parent_id is not None:
        branch_or_404(session, parent_id)
    before = None if creating else snapshot(branch, BRANCH_FIELDS)
    branch = branch or Branch()
    branch.code, branch.name = values["code"].strip(), values["name"].strip()
    branch.kind, branch.parent_id = values["kind"], parent_id
    if creating:
        session.add(branch)
    _commit(rt, session, actor, f"branch:{branch.code}", "branch.created" if creating else "branch.changed", before,
            snapshot(branch, BRANCH_FIELDS))
    return branch


def _ids_under(session, branch_id: int) -> set[int]:
    ids, frontier = {branch_id}, [branch_id]
    while frontier:
        frontier = [i for i in session.scalars(select(Branch.id).where(Branch.parent_id.in_(frontier))) if i not in ids]
        ids.update(frontier)
    return ids


def create_user(rt, session, actor, *, username: str, display_name: str | None, roles, branch: str | None,
                teams, password: str, mobile: str | None = None, email: str | None = None,
                locale: str = "zh_CN", post: str | None = None, warrant_number: str | None = None) -> User:
    """Create a user from codes (the CLI): the branch and team codes must exist."""
    if people.user_by_name(session, username) is not None:
        raise Invalid(_("The user %(name)s already exists.", name=username))
    found_branch = session.scalar(select(Branch).where(Branch.code == branch)) if branch else None
    if branch and found_branch is None:
        raise NotFound(_("There is no branch %(code)s.", code=branch))
    found_teams = list(session.scalars(select(Team).where(Team.code.in_(list(teams)))))
    missing = set(teams) - {t.code for t in found_teams}
    if missing:
        raise NotFound(_("There is no team %(code)s.", code=", ".join(sorted(missing))))
    return save_user(rt, session, actor, None, {
        "username": username, "display_name": display_name or username, "password": password, "roles": list(roles),
        "branch_id": found_branch.id if found_branch else None, "team_ids": [t.id for t in found_teams],
        "locale": locale, "mobile": mobile, "email": email, "post": post, "warrant_number": warrant_number,
        "active": True})


def user_by_name_or_404(session, username: str) -> User:
    user = people.user_by_name(session, username)
    if user is None:
        raise NotFound(_("There is no user %(name)s.", name=username))
    return user


# --- tokens ---------------------------------------------------------------------------------------

def user_tokens(session, user: User) -> list:
    return tokens.of_user(session, user)


def create_token(rt, session, actor, username: str, name: str) -> str:
    """A new API token for the user; the text is returned once and stored only as a hash."""
    user = people.user_by_name(session, username)
    if user is None:
        raise NotFound(_("There is no user %(name)s.", name=username))
    row, text = tokens.create(session, user, name, rt.now())
    _commit(rt, session, actor, f"user:{username}", "token.created", None, {"name": name, "hint": row.hint})
    return text


def revoke_token_by_id(rt, session, actor, token_id: int, reason: str):
    """Revoke a token by its id alone (the CLI: `gridsafe token list NAME` shows the ids)."""
    token = session.get(tokens.ApiToken, token_id) if 0 < token_id < 2 ** 63 else None
    if token is None or token.revoked_at is not None:
        raise NotFound(_("There is no live token %(id)s.", id=token_id))
    return revoke_token(rt, session, actor, token.user, token_id, reason)


def revoke_token(rt, session, actor, user: User, token_id: int, reason: str):
    """Refuse a token from now on (a lost tablet, a leaked script); the reason goes to the audit trail."""
    token = session.get(tokens.ApiToken, token_id) if 0 < token_id < 2 ** 63 else None
    if token is None or token.user_id != user.id:
        raise NotFound()
    if token.revoked_at is not None:
        raise Conflict(_("This token was already revoked."))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("This field is required."), errors={"reason": _("This field is required.")})
    tokens.revoke(session, token.id, rt.now())
    _commit(rt, session, actor, f"user:{user.username}", "token.revoked", None,
            {"name": token.name, "hint": token.hint}, reason=reason[:500])
    return token


# --- whose token it is (signing in to the pages: services.signin) ------------------------------------

def user_for_token(session, text: str) -> people.SignedIn | None:
    """The active user of a live API token (one statement by the token's hash), or None."""
    return tokens.user_for(session, text)


def set_locale(session, user, locale: str) -> None:
    """Remember the language on the account (user: a User or the SignedIn of the request)."""
    row = user if isinstance(user, User) else session.get(User, user.id)
    row.locale = locale
    session.commit()
