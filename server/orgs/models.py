"""The organisation registry: regions, hospitals, their emergency departments, municipalities, GP practices
and prehospital units, with their SOR ids, GLNs and (for receivers) message endpoints.

One table with a ``kind`` column keeps the tree (region → hospital → emergency department; region → unit)
in one place; kind-specific columns (call sign, unit type) are empty for the other kinds.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, new_id, str_enum, utcnow


class OrgKind(StrEnum):
    region = "region"
    hospital = "hospital"
    emergency_department = "emergency_department"
    municipality = "municipality"
    gp_practice = "gp_practice"
    unit = "unit"


class UnitType(StrEnum):
    ambulance = "ambulance"
    physician_car = "physician_car"
    helicopter = "helicopter"


class EndpointKind(StrEnum):
    """How a receiver takes MedCom/FHIR messages: a VANS mailbox (by GLN) or an HTTP FHIR endpoint."""

    vans = "vans"
    fhir_http = "fhir_http"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # SOR ids are ≥ 11 digits (DK Core invariant min-digits-sor); GLN is 13 digits with a GS1 check digit.
    sor_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    gln: Mapped[str | None] = mapped_column(String(13))
    # True when sor_id/gln come from the documented demo namespace (docs/demo-identifiers.md), not from SOR.
    demo_identifiers: Mapped[bool] = mapped_column(default=False)
    # The contact phone a sender puts on every CareCommunication payload (MedCom core contact extension);
    # a unit without one uses its nearest parent's (the region's prehospital contact).
    phone: Mapped[str | None] = mapped_column(String(20))
    # Municipalities: the DK Core municipality code (4 digits, e.g. 0461 Odense). The home-care notice for
    # a patient goes to the municipality whose code the journal records for the patient.
    municipality_code: Mapped[str | None] = mapped_column(String(4), unique=True)
    call_sign: Mapped[str | None] = mapped_column(String(40), unique=True)
    unit_type: Mapped[UnitType | None] = mapped_column(str_enum(UnitType))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])
    endpoints: Mapped[list[MessageEndpoint]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="MessageEndpoint.kind"
    )


class MessageEndpoint(Base):
    __tablename__ = "message_endpoints"
    __table_args__ = (UniqueConstraint("organisation_id", "kind", "address"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    kind: Mapped[EndpointKind] = mapped_column(str_enum(EndpointKind))
    # VANS: the receiver's GLN; fhir_http: the base URL that takes $process-message.
    address: Mapped[str] = mapped_column(String(500))

    organisation: Mapped[Organisation] = relationship(back_populates="endpoints")


class GpAssignment(Base):
    """Which GP practice a patient is listed with, as last learned (demo seed now; NSP/CPR later)."""

    __tablename__ = "gp_assignments"

    patient_cpr: Mapped[str] = mapped_column(String(10), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    source: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
