"""People and organisation: branches (company and county), inspection teams (用电检查小组), users, roles.

A user's *groups* are the codes of their teams plus their branch's code; a task's candidate group
(a diagram's candidateTeam) is one of those codes.
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, bindparam, event, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import Base, UTCDateTime, forget, memo

ROLES = ("specialist", "inspector", "supervisor", "leader", "process_owner", "admin")

team_member = Table(
    "team_member", Base.metadata,
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Branch(Base):
    """A company (市公司) or county branch (县公司) of the power supply company."""

    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="county")   # company | county
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class Team(Base):
    """An inspection team; tasks are offered to its members by its code."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    head_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", use_alter=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    branch: Mapped[Branch] = relationship(lazy="joined")
    head: Mapped["User | None"] = relationship(foreign_keys=[head_id])   # loaded when asked for
    members: Mapped[list["User"]] = relationship(secondary=team_member, back_populates="teams",
                                                 order_by="User.username")
    __mapper_args__ = {"version_id_col": lock_version}


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


def groups_of(teams, branch) -> set[str]:
    """The codes a task's candidate group may name to reach someone: their active teams and their branch."""
    codes = {t.code for t in teams if t.active}
    if branch is not None:
        codes.add(branch.code)
    return codes


class User(Base):
    """A member of staff who signs in. Customers never do: they sign on an inspector's screen."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(256))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    mobile: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    post: Mapped[str | None] = mapped_column(String(40))              # 职务, printed after the name
    warrant_number: Mapped[str | None] = mapped_column(String(40))    # 用电检查证号, printed on documents
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    branch: Mapped[Branch | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    teams: Mapped[list[Team]] = relationship(secondary=team_member, back_populates="members", lazy="selectin")
    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}

    def set_roles(self, roles) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")
        keep = [r for r in self.role_rows if r.role in roles]
        self.role_rows[:] = keep + [UserRole(role=r) for r in sorted(set(roles) - {r.role for r in keep})]

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)   # scrypt

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def groups(self) -> set[str]:
        """Codes a task's candidate group may name to be offered to this user: teams and branch."""
        return groups_of(self.teams, self.branch)

    # Flask-Login
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.password_hash[-12:]}"   # a password change ends other sessions


def user_by_name(session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


class StaffName(NamedTuple):
    """What a document prints of a member of staff."""

    username: str
    display_name: str
    post: str | None
    warrant_number: str | None
    mobile: str | None


_STAFF = (User.username, User.display_name, User.post, User.warrant_number, User.mobile)
_STAFF_MEMOS = ("staff_by_name", "staff_by_display_name", "staff_by_id")


def staff_by_id(session, user_id: int) -> StaffName | None:
    """A member of staff by id, columns only, looked up once per transaction (a team's head)."""
    known = memo(session, "staff_by_id")
    if user_id not in known:
        row = session.execute(select(*_STAFF).where(User.id == user_id)).first()
        known[user_id] = StaffName(*row) if row is not None else None
        if row is not None:       # the team head a summary names is who the step's document names next
            memo(session, "staff_by_name").setdefault(row.username, known[user_id])
    return known[user_id]


def staff_named(session, username: str) -> StaffName | None:
    """The member of staff with this login, columns only, looked up once per transaction (a document names
    the same people several times, and names typed on a form that are no login)."""
    known = memo(session, "staff_by_name")
    if username not in known:
        row = session.execute(select(User.id, *_STAFF).where(User.username == username)).first()
        known[username] = StaffName(*row[1:]) if row is not None else None
        if row is not None:
            memo(session, "staff_by_id").setdefault(row.id, known[username])
    return known[username]


def staff_with_display_name(session, name: str) -> list[StaffName]:
    """The members of staff with this real name (looked up once per transaction)."""
    known = memo(session, "staff_by_display_name")
    if name not in known:
        known[name] = [StaffName(*row) for row in session.execute(select(*_STAFF).where(User.display_name == name))]
    return known[name]


def look_up_staff(session, names) -> None:
    """Ask at once what staff_named and staff_with_display_name would ask one by one of these names (logins,
    or real names typed on a form) and this transaction has not asked yet: one query instead of up to two
    a name."""
    by_name, by_display = memo(session, "staff_by_name"), memo(session, "staff_by_display_name")
    logins = {n for n in names if n and n not in by_name}
    real = {n.strip() for n in names if n and n.strip() and n.strip() not in by_display}
    if not logins and not real:
        return
    rows = session.execute(select(User.id, *_STAFF).where(or_(User.username.in_(sorted(logins)),
                                                               User.display_name.in_(sorted(real))))).all()
    by_name.update(dict.fromkeys(logins))
    by_display.update({n: [] for n in real})
    by_id = memo(session, "staff_by_id")
    for row in rows:
        staff = StaffName(*row[1:])
        by_name[row.username] = staff             # found by a real name: whom the document then names by login
        if row.display_name in real:
            by_display[row.display_name].append(staff)
        by_id.setdefault(row.id, staff)


@event.listens_for(Session, "transient_to_pending")
def _user_added(session, instance) -> None:
    """A user added in this transaction: what was looked up by name is looked up again."""
    if isinstance(instance, User):
        forget(session, *_STAFF_MEMOS)


@event.listens_for(User.username, "set")
@event.listens_for(User.display_name, "set")
@event.listens_for(User.post, "set")
@event.listens_for(User.warrant_number, "set")
@event.listens_for(User.mobile, "set")
def _user_renamed(target, _value, _old, _initiator) -> None:
    session = object_session(target)
    if session is not None:
        forget(session, *_STAFF_MEMOS)


def branch_codes_under(session, branch: Branch) -> set[str]:
    """The branch's code and those of its county branches (a company leader sees them all)."""
    codes, frontier = {branch.code}, [branch.id]
    while frontier:
        children = session.execute(select(Branch.id, Branch.code).where(Branch.parent_id.in_(frontier))).all()
        frontier = [c.id for c in children]
        codes.update(c.code for c in children)
    return codes


def branch_ids_above(session, code: str) -> set[int]:
    """The ids of the branch with this code and of the branches above it (empty for an unknown code)."""
    ids, row = set(), session.execute(select(Branch.id, Branch.parent_id).where(Branch.code == code)).first()
    while row is not None and row.id not in ids:
        ids.add(row.id)
        row = session.execute(select(Branch.id, Branch.parent_id).where(Branch.id == row.parent_id)).first() \
            if row.parent_id is not None else None
    return ids


def team_codes_in(session, branch_codes: set[str]) -> set[str]:
    return set(session.scalars(select(Team.code).join(Branch).where(Branch.code.in_(branch_codes))))


# --- who signed in: one statement, no ORM objects ---------------------------------------------------

class BranchRef(NamedTuple):
    id: int
    code: str
    name: str


class TeamRef(NamedTuple):
    id: int
    code: str
    name: str
    branch_id: int
    active: bool


class SignedIn:
    """The user behind a request (a bearer token or a session cookie): the fields the app reads of a
    `User`, loaded by `signed_in` in one statement without ORM objects. Read-only: to change the
    account, load the `User` by `id`."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, *, id, username, display_name, branch, locale, mobile, email, active, stamp, roles, teams):
        self.id, self.username, self.display_name = id, username, display_name
        self.branch, self.locale, self.mobile, self.email = branch, locale, mobile, email
        self.active, self._stamp = active, stamp
        self.roles: frozenset[str] = frozenset(roles)
        self.teams: list[TeamRef] = sorted(teams, key=lambda t: t.code)

    @property
    def branch_id(self) -> int | None:
        return self.branch.id if self.branch is not None else None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def groups(self) -> set[str]:
        """As User.groups: the codes of the active teams and the branch's code."""
        return groups_of(self.teams, self.branch)

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        return f"{self.id}:{self._stamp}"

    def __repr__(self) -> str:
        return f"<SignedIn {self.username}>"


_user, _branch, _team, _role = User.__table__, Branch.__table__, Team.__table__, UserRole.__table__
SIGNED_IN = (select(_user.c.id, _user.c.username, _user.c.display_name, _user.c.locale, _user.c.mobile,
                    _user.c.email, _user.c.active, _user.c.password_hash,
                    _branch.c.id.label("b_id"), _branch.c.code.label("b_code"), _branch.c.name.label("b_name"),
                    _role.c.role, _team.c.id.label("t_id"), _team.c.code.label("t_code"),
                    _team.c.name.label("t_name"), _team.c.branch_id.label("t_branch"), _team.c.active.label("t_active"))
             .select_from(_user.outerjoin(_branch, _branch.c.id == _user.c.branch_id)
                          .outerjoin(_role, _role.c.user_id == _user.c.id)
                          .outerjoin(team_member, team_member.c.user_id == _user.c.id)
                          .outerjoin(_team, _team.c.id == team_member.c.team_id))
             .where(_user.c.active.is_(True)))


_SIGNED_IN_BY_ID = SIGNED_IN.where(_user.c.id == bindparam("user_id"))


def signed_in(session, query, params: dict | None = None) -> SignedIn | None:
    """The active user a query derived from SIGNED_IN finds (one row per role and team), or None."""
    rows = session.execute(query, params).all()
    if not rows:
        return None
    first = rows[0]
    branch = BranchRef(first.b_id, first.b_code, first.b_name) if first.b_id is not None else None
    teams = {r.t_id: TeamRef(r.t_id, r.t_code, r.t_name, r.t_branch, bool(r.t_active))
             for r in rows if r.t_id is not None}
    return SignedIn(id=first.id, username=first.username, display_name=first.display_name, branch=branch,
                    locale=first.locale, mobile=first.mobile, email=first.email, active=first.active,
                    stamp=first.password_hash[-12:], roles={r.role for r in rows if r.role is not None},
                    teams=teams.values())


def signed_in_by_id(session, user_id: int) -> SignedIn | None:
    return signed_in(session, _SIGNED_IN_BY_ID, {"user_id": user_id})
