"""Users and teams, as the API sees them."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from records import Team, User

from .. import db
from .schemas import TeamSchema, UserSchema

blp = Blueprint("people_api", __name__, url_prefix="/api/v1", description="Users and teams")


@blp.get("/me")
@blp.response(200, UserSchema)
def me():
    """The user the token belongs to."""
    return current_user


@blp.get("/users")
@blp.response(200, UserSchema(many=True))
def list_users():
    """All users (administrators)."""
    return db.session().scalars(select(User).order_by(User.username)).all()


@blp.get("/teams")
@blp.response(200, TeamSchema(many=True))
def list_teams():
    """All inspection teams with their members."""
    return db.session().scalars(select(Team).order_by(Team.code)).all()
