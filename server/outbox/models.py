"""Outbox tables: outgoing messages, their deliveries and attempts, and messages received (sandbox).

* ``outbox_messages`` — one row per logical message; ``id`` is its MessageHeader.id; written in the same
  transaction as the entry that calls for it (``server.outbox.enqueue``). ``payload`` is the message as
  built (NULL only when it could not be built, and then its delivery is in manual handling).
* ``deliveries`` — the state machine of sending one message to its receiver (``server.outbox.states``).
* ``delivery_attempts`` — one row per transmission, each with its own Bundle.id (MedCom: a resend gets a new
  Bundle.id and keeps the MessageHeader.id).
* ``received_messages`` — what integrators posted to the sandbox: the original bytes as they came, the
  validation OperationOutcome and the Acknowledgement answered; unique per (integrator, MessageHeader.id)
  so a duplicate gets the same acknowledgement again and is never listed twice.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, new_id, str_enum
from server.outbox.states import DeliveryState, ErrorCode


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the MessageHeader.id
    journal_id: Mapped[uuid.UUID] = mapped_column(index=True)
    message_type: Mapped[str] = mapped_column(String(20))  # handover | epikrise | homecare
    receiver_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    endpoint: Mapped[str | None] = mapped_column(String(500))
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbox_messages.id"))
    trigger_entry_id: Mapped[uuid.UUID | None]  # the entry whose arrival called for it
    created_at: Mapped[dt.datetime]

    delivery: Mapped[Delivery] = relationship(back_populates="message", uselist=False)


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[DeliveryState] = mapped_column(str_enum(DeliveryState), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Due time: of the next attempt (queued, failed_retrying), of the ack timeout (awaiting_ack) or of the
    # sending worker's lease (sending). NULL in states no worker picks up.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    error_code: Mapped[ErrorCode | None] = mapped_column(str_enum(ErrorCode))
    error_detail: Mapped[str | None] = mapped_column(String(1000))
    ack_code: Mapped[str | None] = mapped_column(String(20))
    ack: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Optimistic claim: a worker's UPDATE … WHERE version = seen; the loser of a race changes nothing.
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime]

    message: Mapped[OutboxMessage] = relationship(back_populates="delivery")
    attempt_rows: Mapped[list[DeliveryAttempt]] = relationship(
        order_by="DeliveryAttempt.number", cascade="all, delete-orphan"
    )


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    bundle_id: Mapped[str] = mapped_column(String(64), unique=True)
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[ErrorCode | None] = mapped_column(str_enum(ErrorCode))
    error_detail: Mapped[str | None] = mapped_column(String(1000))


class ReceivedMessage(Base):
    __tablename__ = "received_messages"
    __table_args__ = (UniqueConstraint("integrator_id", "header_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    integrator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    header_id: Mapped[str | None] = mapped_column(String(64))  # NULL: the bytes named no MessageHeader.id
    content_type: Mapped[str] = mapped_column(String(100))
    original: Mapped[bytes] = mapped_column(LargeBinary)
    outcome: Mapped[str] = mapped_column(String(20))  # ok | fatal-error | refused
    http_status: Mapped[int] = mapped_column(Integer)
    validation: Mapped[str] = mapped_column(Text)  # the OperationOutcome, JSON
    ack: Mapped[bytes] = mapped_column(LargeBinary)  # the answer sent (Acknowledgement or OperationOutcome)
    ack_content_type: Mapped[str] = mapped_column(String(100))
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime]
