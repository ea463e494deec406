"""Grid trips caused by customers (因客户原因引起电网跳闸, the case report's outcome measure): one row per
trip, with its customer, when, the cause, and the hazard behind it if there is one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime
from .customers import Customer
from .hazards import Hazard


class CustomerTrip(Base):
    __tablename__ = "customer_trip"
    __table_args__ = (Index("ix_customer_trip_customer", "customer_id", "occurred_at"),
                      Index("ix_customer_trip_occurred", "occurred_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cause: Mapped[str] = mapped_column(Text)
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazard.id"))
    recorded_by: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    customer: Mapped[Customer] = relationship(lazy="joined")
    hazard: Mapped[Hazard | None] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": lock_version}
