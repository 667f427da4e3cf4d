"""Audit trail tables: hash-chained events per partition, anchors of partition heads, board view marks."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, new_id, utcnow


class AuditEvent(Base):
    """One access to patient data (or a refused attempt). Immutable; chained within its partition.

    Invariant: within a partition, seq runs 1, 2, 3 … without gaps, and each event's ``prev_hash`` is
    the previous event's ``hash`` (the first one's is the partition's genesis hash). A partition is
    written by one writer only (one process thread on one day), so appending never waits for a lock.
    """

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("partition", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    partition: Mapped[str] = mapped_column(String(120))
    seq: Mapped[int]
    occurred_at: Mapped[dt.datetime]
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(40))
    actor_authorisation_id: Mapped[str | None] = mapped_column(String(20))
    actor_organisation_id: Mapped[uuid.UUID | None]
    device_id: Mapped[uuid.UUID | None]
    client_ip: Mapped[str | None] = mapped_column(String(64))
    patient_cpr: Mapped[str | None] = mapped_column(String(10), index=True)
    journal_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(80))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """A recorded head of a partition (seq and hash). An anchor lets ``verify`` notice a truncated tail."""

    __tablename__ = "audit_anchors"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    partition: Mapped[str] = mapped_column(String(120), index=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    anchored_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BoardViewMark(Base):
    """A board session has already been audited for this patient: one event per board session per patient."""

    __tablename__ = "board_view_marks"
    __table_args__ = (UniqueConstraint("web_session_id", "patient_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    web_session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("web_sessions.id", ondelete="CASCADE"))
    patient_key: Mapped[str] = mapped_column(String(60))
