"""GridSafe's business records: people, customers, hazards, inspections, documents, outbox.

Imports nothing of ours; the engine never imports this package.
"""
from .base import Base, UTCDateTime

__all__ = ["Base", "UTCDateTime"]
