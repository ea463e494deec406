"""GridSafe's business records: people, customers, hazards, inspections, documents, outbox.

Imports nothing of ours; the engine never imports this package.
"""
from . import (attachments, customers, dictionary, documents, drafts, files, hazards, inspections, jobs, notifications, people,
               risk, tokens)
from . import findings, form_versions, model_drafts, model_scenarios, request_keys, signins
from . import outbox, render_jobs
from . import assessments, indicators, kpi, snapshot_counts, snapshots, trips
from .attachments import Attachment, AttachmentRefused
from .base import Base, UTCDateTime
from .files import DatabaseStore, FileChunk, FileStore, FolderStore, store_for
from .customers import Customer
from .dictionary import HazardItem
from .documents import Document, ReportLog
from .hazards import Cancellation, FileCounter, Hazard, HazardEvent
from .trips import CustomerTrip
from .inspections import Campaign, Inspection, InspectionCycle
from .findings import PendingFinding
from .jobs import Job, JobRow
from .notifications import Notification
from .people import ROLES, Branch, Team, User, UserRole, team_member
from .risk import CustomerGrade
from .request_keys import RequestKey
from .signins import LoginAttempt, WebSession
from .tokens import ApiToken

__all__ = ["Base", "UTCDateTime", "ROLES", "Branch", "Team", "User", "UserRole", "team_member", "ApiToken",
           "Attachment", "AttachmentRefused", "FileStore", "FolderStore", "DatabaseStore", "FileChunk", "store_for",
           "Customer", "HazardItem", "Hazard", "HazardEvent",
           "FileCounter", "Cancellation", "CustomerTrip", "Document", "ReportLog", "Notification", "CustomerGrade",
           "Campaign", "Inspection", "InspectionCycle", "Job", "JobRow", "LoginAttempt", "WebSession", "RequestKey",
           "PendingFinding", "findings",
           "signins", "attachments", "customers", "dictionary", "documents", "drafts", "files", "hazards",
           "inspections", "jobs", "notifications", "people", "risk", "tokens", "trips"]
