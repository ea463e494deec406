"""The declarative base of the business records (their own metadata, migrated by the same Alembic)."""
from __future__ import annotations

from datetime import timezone

from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import DateTime, TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


_MEMO = "records.memo"


def memo(session, name: str) -> dict:
    """A dict kept on the session for the rest of its transaction (dropped at commit and at any rollback,
    a savepoint's too): what one step looked up once — a person a document names, a stored file's presence —
    and its next handler would otherwise look up again."""
    return session.info.setdefault(_MEMO, {}).setdefault(name, {})


def forget(session, *names: str) -> None:
    """Drop these memos of the session (what they hold changed within the transaction)."""
    kept = session.info.get(_MEMO)
    for name in names if kept else ():
        kept.pop(name, None)


@event.listens_for(Session, "after_commit")
def _committed(session) -> None:
    if not session.in_nested_transaction():      # a savepoint released: the transaction goes on
        session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session, *_args) -> None:
    session.info.pop(_MEMO, None)
