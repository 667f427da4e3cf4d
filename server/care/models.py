"""Care relations: the facts about missions and journals that the access policy needs.

These tables hold relations only, no clinical content. They are projections of journal entries
(``server.sync.projections``: mission assignment, crew sign-on, patient identity, destination / pre-alert,
handover and disposition entries), filled in the transaction that stores the entries and rebuildable from
them (``ppj sync rebuild-projections``). A row derived from an entry names it in ``source_entry_id``;
rows without one were written directly (tests' fixed worlds), and a rebuild leaves them alone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, new_id, str_enum, utcnow


class Mission(Base):
    __tablename__ = "missions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The dispatch centre's mission id as written in mission_assignment entries ("M-2026-1124-0031").
    reference: Mapped[str | None] = mapped_column(String(100), unique=True)

    units: Mapped[list[MissionUnit]] = relationship(cascade="all, delete-orphan")


class MissionUnit(Base):
    __tablename__ = "mission_units"
    __table_args__ = (UniqueConstraint("mission_id", "unit_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    mission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source_entry_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # Set when the dispatch centre's current assignment no longer names the unit (an update removed it);
    # cleared when an update names it again. A removed unit keeps only the journals it wrote in.
    removed_at: Mapped[dt.datetime | None]


class Journal(Base):
    """One patient in one episode. ``patient_cpr`` is empty for an unidentified patient."""

    __tablename__ = "journals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    mission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("missions.id"), index=True)
    patient_cpr: Mapped[str | None] = mapped_column(String(10), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # End of the episode (disposition/handover); the crew's documentation window runs from here.
    episode_ended_at: Mapped[dt.datetime | None]
    # Sandbox journals are test data for integrators; they never mix with real patients' access rules.
    sandbox: Mapped[bool] = mapped_column(default=False)

    mission: Mapped[Mission] = relationship()
    announcements: Mapped[list[JournalAnnouncement]] = relationship(cascade="all, delete-orphan")
    handovers: Mapped[list[JournalHandover]] = relationship(cascade="all, delete-orphan")


class AnnouncementKind(StrEnum):
    destination = "destination"
    pre_alert = "pre_alert"


class JournalAnnouncement(Base):
    """The journal's patient was announced to an emergency department (chosen destination or pre-alert)."""

    __tablename__ = "journal_announcements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    journal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journals.id", ondelete="CASCADE"), index=True)
    emergency_department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[AnnouncementKind] = mapped_column(str_enum(AnnouncementKind))
    announced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source_entry_id: Mapped[uuid.UUID | None] = mapped_column(index=True)


class JournalHandover(Base):
    """The patient was handed over to an emergency department."""

    __tablename__ = "journal_handovers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    journal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journals.id", ondelete="CASCADE"), index=True)
    emergency_department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    handed_over_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    source_entry_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
