"""GridSafe's business records: people, customers, hazards, inspections, documents, outbox.

Imports nothing of ours; the engine never imports this package.
"""
from . import attachments, drafts, people, tokens
from .attachments import Attachment, AttachmentRefused, FileStore
from .base import Base, UTCDateTime
from .people import ROLES, Branch, Team, User, UserRole, team_member
from .tokens import ApiToken

__all__ = ["Base", "UTCDateTime", "ROLES", "Branch", "Team", "User", "UserRole", "team_member", "ApiToken",
           "Attachment", "AttachmentRefused", "FileStore", "attachments", "drafts", "people", "tokens"]
