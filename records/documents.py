"""Generated documents (告知书, 督导单, 验收销号记录, 报告...): archived by SHA-256, never overwritten.

Regenerating a document adds a new version; every version stays downloadable from the dossier.
Government reports are also logged (recipient, date, document number, delivery, reply).
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

KINDS = {"hazard_notice": "隐患告知书", "supervision_order": "隐患督导单", "acceptance_record": "隐患验收及销号记录",
         "government_report": "报告政府主管部门", "superior_report": "报告上级单位", "inspection_worksheet": "用电检查工作单",
         "periodic_summary": "隐患排查治理情况汇总", "annual_report": "年度隐患治理报告", "team_assessment": "小组绩效考核结果"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (Index("ix_document_subject", "kind", "subject", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    number: Mapped[str] = mapped_column(String(60), index=True)      # the document number printed on it
    subject: Mapped[str] = mapped_column(String(60))                 # e.g. a hazard file number
    version: Mapped[int] = mapped_column(Integer)
    hazard_id: Mapped[int | None] = mapped_column(Integer, index=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    sha256: Mapped[str | None] = mapped_column(String(64))          # None while the render job has not run
    size: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default=DOCX)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(60))

    @property
    def kind_name(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def ready(self) -> bool:
        """Whether its bytes exist (a deferred document is numbered at its step, rendered after it)."""
        return self.sha256 is not None


def archive(session, files, data: bytes, *, kind: str, number: str, subject: str, filename: str, actor: str,
            now: datetime, hazard_id: int | None = None, customer_id: int | None = None) -> Document:
    """Store the bytes by content hash and add the next version of (kind, subject)."""
    doc = reserve(session, kind=kind, number=number, subject=subject, filename=filename, actor=actor, now=now,
                  hazard_id=hazard_id, customer_id=customer_id)
    fill(session, files, doc, data)
    return doc


def reserve(session, *, kind: str, number: str, subject: str, filename: str, actor: str, now: datetime,
            hazard_id: int | None = None, customer_id: int | None = None) -> Document:
    """Add the next version of (kind, subject) without its bytes yet (fill gives them)."""
    # the next version is counted by the INSERT itself: one round trip instead of a SELECT and an INSERT
    version = (select(func.coalesce(func.max(Document.version), 0) + 1)
               .where(Document.kind == kind, Document.subject == subject).scalar_subquery())
    return session.scalars(insert(Document).values(
        kind=kind, number=number, subject=subject, version=version, hazard_id=hazard_id, customer_id=customer_id,
        filename=filename, created_at=now, created_by=actor).returning(Document)).one()


def fill(session, files, doc: Document, data: bytes) -> None:
    """Store a reserved document's bytes by content hash (once: a document is never overwritten)."""
    if doc.sha256 is not None:
        raise ValueError(f"document {doc.id} has its bytes already")
    digest = files.put(data, session)     # the database store writes in this transaction
    assert digest == hashlib.sha256(data).hexdigest()
    doc.sha256, doc.size = digest, len(data)
    session.flush()


def for_hazard(session, hazard_id: int) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.hazard_id == hazard_id)
                                .order_by(Document.created_at, Document.id)))


class ReportLog(Base):
    """A report to the leadership or the government: what, to whom, when, how, and the reply."""

    __tablename__ = "report_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    hazard_id: Mapped[int | None] = mapped_column(Integer, index=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(40))          # major | refused | third_overdue | grade_a | close_out
    recipient: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="pending")   # pending | submitted
    delivery: Mapped[str | None] = mapped_column(String(40))            # post, e-mail, in person, system
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(60))
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": lock_version}
