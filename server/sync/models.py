"""Sync tables: the append-only entry log, its per-journal heads, store incarnations and the quarantine.

Invariants:

* ``entries`` is append-only. A row's ``content`` is the text exactly as received (its SHA-256 is
  ``content_hash``); only ``hlc`` is ever set by the server (re-stamping an entry nobody has seen yet
  happens *before* the row is written, so even ``hlc`` never changes after insert).
* ``position`` counts 1, 2, 3 … per journal without gaps. Positions are allocated only while holding the
  journal's ``journal_logs`` row lock, which is released at commit, so the commits of one journal become
  visible in position order: ``journal_logs.head`` as a reader sees it is the watermark, and every position
  at or below it is visible to that reader (docs/sync/protocol.md §6, docs/sync/server.md).
* ``store_incarnations.highest_applied_seq`` is written in the same transaction as the entries and
  quarantine rows of that push.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, new_id, str_enum, utcnow

HLC_LENGTH = 160  # 15 + 1 + 10 + 1 + writer (≤ 128)


class EntryRow(Base):
    """One accepted journal entry (ARCHITECTURE §3), as received, with its place in the journal's log."""

    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("journal_id", "position"),
        Index("ix_entries_journal_id_kind", "journal_id", "kind"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    journal_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(64))
    kind_version: Mapped[int] = mapped_column(Integer)
    hlc: Mapped[str] = mapped_column(String(HLC_LENGTH), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    author_person_id: Mapped[str] = mapped_column(String(100))
    writer_id: Mapped[str] = mapped_column(String(128))  # the entry's device_id (the HLC writer)
    uploaded_by: Mapped[str] = mapped_column(String(128))  # the authenticated device or server writer
    unit: Mapped[str | None] = mapped_column(String(50))  # the writing unit's call sign
    clinical_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class JournalLog(Base):
    """A journal's commit-order head: the last position allocated (and, once committed, visible)."""

    __tablename__ = "journal_logs"

    journal_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    head: Mapped[int] = mapped_column(BigInteger, default=0)


class StoreIncarnation(Base):
    """One writer's store incarnation (a tablet's store file, or a server-side writer) and how far its
    ``device_seq`` has been applied. ``last_hlc`` is the largest stamp stored for it, so re-stamps by any
    server process continue after it."""

    __tablename__ = "store_incarnations"

    incarnation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"), index=True)
    # A tablet's writer id is its device id, shared by all its incarnations (a reinstall keeps it).
    writer_id: Mapped[str] = mapped_column(String(128), index=True)
    highest_applied_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hlc: Mapped[str | None] = mapped_column(String(HLC_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QuarantineStatus(StrEnum):
    open = "open"
    accepted = "accepted"
    rejected = "rejected"


class QuarantinedEntry(Base):
    """An entry the server could not accept when it arrived; kept until an administrator resolves it."""

    __tablename__ = "quarantine"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    entry_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    journal_id: Mapped[uuid.UUID] = mapped_column(index=True)
    hlc: Mapped[str] = mapped_column(String(HLC_LENGTH))
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(500))
    uploaded_by: Mapped[str] = mapped_column(String(128))
    incarnation_id: Mapped[uuid.UUID]
    device_seq: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[QuarantineStatus] = mapped_column(
        str_enum(QuarantineStatus), default=QuarantineStatus.open
    )
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(String(500))
