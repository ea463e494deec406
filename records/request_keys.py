"""Idempotency keys: a client names its request (a form rendered once, an API call it may retry); the
first request with a key does the work, a retry with the same key gets that first result."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class RequestKey(Base):
    __tablename__ = "request_key"

    actor: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(30))                  # e.g. hazard.open
    instance_id: Mapped[int | None] = mapped_column(Integer)          # what the first request started
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
