"""The runtime's tables: model versions, instances and their projections, audit events.

Queries read these rows, never a deserialized workflow: the inbox reads human_task, the
scheduler reads the indexed next_wake_at, the admin list reads instance columns.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database (same on SQLite and PostgreSQL)."""

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


STATUSES = ("running", "waiting", "error", "suspended", "completed", "terminated")
ACTIVE_STATUSES = ("running", "waiting")


class ModelVersion(Base):
    """One immutable deployed version of a .bpmn or .dmn file."""

    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("name", "version"), Index("ix_model_version_name_hash", "name", "content_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    spec_json: Mapped[dict | None] = mapped_column(JSON)
    process_ids: Mapped[list] = mapped_column(JSON, default=list)
    dependencies: Mapped[dict] = mapped_column(JSON, default=dict)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(String(16))     # "file" (bpmn folder, `bpmn deploy`), "modeler"
    forms: Mapped[dict | None] = mapped_column(JSON)           # form name -> content hash its user tasks show


class Definition(Base):
    """A process or decision defined by a deployed model version (the lookup from id to version)."""

    __tablename__ = "definition"
    __table_args__ = (Index("ix_definition_lookup", "kind", "definition_id", "model_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    definition_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(300))
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"))


class ProcessInstance(Base):
    """A running (or finished) process instance; `state` is its SpiffWorkflow state without the spec."""

    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_wake", "next_wake_at"),
        Index("ix_process_instance_status_started", "status", "created_at"),
        Index("ix_process_instance_process_status", "process_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    title: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    next_wake_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_element: Mapped[str | None] = mapped_column(String(200))
    error_task_id: Mapped[str | None] = mapped_column(String(36))
    error_traceback: Mapped[str | None] = mapped_column(Text)
    suspended_reason: Mapped[str | None] = mapped_column(Text)
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_hash: Mapped[str] = mapped_column(String(64), default="")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def chain(self) -> str:
        return f"instance:{self.id}"


class HumanTask(Base):
    """Projection of a user task: one row per task that was ever ready, kept after completion."""

    __tablename__ = "human_task"
    __table_args__ = (
        # covers the team inbox (filter, count and order without reading the rows): see webui/work.inbox
        Index("ix_human_task_team_queue", "status", "candidate_team", "assignee", "lane", "due_at", "created_at",
              "id"),
        Index("ix_human_task_assignee_queue", "status", "assignee", "due_at"),
        Index("ix_human_task_lane_queue", "status", "lane", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(100))
    candidate_team: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    form: Mapped[str | None] = mapped_column(String(200))
    ui_form: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    business_key: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(200), index=True)
    instance_title: Mapped[str | None] = mapped_column(String(300))
    instructions: Mapped[str | None] = mapped_column(Text)
    prefill: Mapped[dict | None] = mapped_column(JSON)            # initial form data (property formData)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock_version}


class MessageSubscription(Base):
    """A waiting message catch event, keyed by message name and correlation key."""

    __tablename__ = "message_subscription"
    __table_args__ = (Index("ix_message_subscription_lookup", "message_name", "correlation_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    message_name: Mapped[str] = mapped_column(String(200))
    correlation_key: Mapped[str | None] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Append-only, hash-chained record of a change: who, when, what, which element, before/after."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("chain", "seq"), Index("ix_audit_event_instance", "instance_id", "seq"))

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(100))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    instance_id: Mapped[int | None] = mapped_column(Integer)
    element_id: Mapped[str | None] = mapped_column(String(200))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))     # the request or tick that wrote it (logs)


class AuditChain(Base):
    """Head of an audit chain that is not an instance's (model deploys, records, users)."""

    __tablename__ = "audit_chain"

    chain: Mapped[str] = mapped_column(String(100), primary_key=True)
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_hash: Mapped[str] = mapped_column(String(64), default="")
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock_version}


class SchedulerBeat(Base):
    """Last tick of each scheduler process, for /healthz."""

    __tablename__ = "scheduler_beat"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_tick_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
