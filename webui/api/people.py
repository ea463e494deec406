"""Users and teams, as the API sees them."""
from __future__ import annotations

from flask_smorest import Blueprint

from services import people

from .. import db
from ..current import actor
from .schemas import TeamSchema, UserSchema

blp = Blueprint("people_api", __name__, url_prefix="/api/v1", description="Users and teams")


@blp.get("/me")
@blp.response(200, UserSchema)
def me():
    """The user the token belongs to."""
    return actor()


@blp.get("/users")
@blp.response(200, UserSchema(many=True))
def list_users():
    """All users (administrators)."""
    return people.users(db.session())


@blp.get("/teams")
@blp.response(200, TeamSchema(many=True))
def list_teams():
    """All inspection teams with their members."""
    return people.teams(db.session())
