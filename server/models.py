"""Every ORM model, imported once so ``Base.metadata`` is complete (Alembic and tests rely on it)."""

from __future__ import annotations

from server.audit.models import AuditAnchor, AuditEvent, BoardViewMark
from server.care.models import Journal, JournalAnnouncement, JournalHandover, Mission, MissionUnit
from server.db import Base
from server.identity.models import AccessToken, CrewShift, Device, LoginFailure, Person, WebSession
from server.orgs.models import GpAssignment, MessageEndpoint, Organisation
from server.sync.models import EntryRow, JournalLog, QuarantinedEntry, StoreIncarnation

__all__ = [
    "AccessToken",
    "AuditAnchor",
    "AuditEvent",
    "Base",
    "BoardViewMark",
    "CrewShift",
    "Device",
    "EntryRow",
    "GpAssignment",
    "Journal",
    "JournalAnnouncement",
    "JournalHandover",
    "JournalLog",
    "LoginFailure",
    "MessageEndpoint",
    "Mission",
    "MissionUnit",
    "Organisation",
    "Person",
    "QuarantinedEntry",
    "StoreIncarnation",
    "WebSession",
]
