"""What administrators see and do with deliveries: list, show, retry. No clinical content: message ids,
journal ids, receiver, state, attempts and error codes only (an administrator reads no journals).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import NotFound
from server.orgs.models import Organisation
from server.outbox.errors import RetryRefused, TransitionRefused
from server.outbox.models import Delivery, DeliveryAttempt, OutboxMessage
from server.outbox.states import DeliveryEvent, DeliveryState, transition

# Error details that may quote patient data (a changed CPR) are shown by code only.
_DETAIL_HIDDEN = frozenset({"wrong_patient"})


@dataclass(frozen=True)
class AttemptView:
    number: int
    bundle_id: str
    worker: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    http_status: int | None
    error_code: str | None


@dataclass(frozen=True)
class DeliveryView:
    delivery_id: uuid.UUID
    message_id: uuid.UUID
    journal_id: uuid.UUID
    message_type: str
    corrects_id: uuid.UUID | None
    receiver: str | None
    receiver_sor: str | None
    endpoint: str | None
    state: DeliveryState
    attempts: int
    next_attempt_at: dt.datetime | None
    error_code: str | None
    error_detail: str | None
    ack_code: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    attempt_log: tuple[AttemptView, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "delivery_id": str(self.delivery_id),
            "message_id": str(self.message_id),
            "journal_id": str(self.journal_id),
            "message_type": self.message_type,
            "corrects_id": str(self.corrects_id) if self.corrects_id else None,
            "receiver": self.receiver,
            "receiver_sor": self.receiver_sor,
            "endpoint": self.endpoint,
            "state": self.state.value,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
            "error_code": self.error_code,
            "error_detail": self.error_detail,
            "ack_code": self.ack_code,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "attempt_log": [
                {
                    "number": a.number,
                    "bundle_id": a.bundle_id,
                    "worker": a.worker,
                    "started_at": a.started_at.isoformat(),
                    "finished_at": a.finished_at.isoformat() if a.finished_at else None,
                    "http_status": a.http_status,
                    "error_code": a.error_code,
                }
                for a in self.attempt_log
            ],
        }


def _view(
    delivery: Delivery, message: OutboxMessage, receiver: Organisation | None, attempts: list[DeliveryAttempt]
) -> DeliveryView:
    code = delivery.error_code.value if delivery.error_code else None
    return DeliveryView(
        delivery_id=delivery.id,
        message_id=message.id,
        journal_id=message.journal_id,
        message_type=message.message_type,
        corrects_id=message.corrects_id,
        receiver=receiver.name if receiver else None,
        receiver_sor=receiver.sor_id if receiver else None,
        endpoint=message.endpoint,
        state=delivery.state,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        error_code=code,
        error_detail=None if code in _DETAIL_HIDDEN else delivery.error_detail,
        ack_code=delivery.ack_code,
        created_at=message.created_at,
        updated_at=delivery.updated_at,
        attempt_log=tuple(
            AttemptView(
                a.number,
                a.bundle_id,
                a.worker,
                a.started_at,
                a.finished_at,
                a.http_status,
                a.error_code.value if a.error_code else None,
            )
            for a in attempts
        ),
    )


def list_deliveries(
    *, session: Session, state: DeliveryState | None = None, limit: int = 200
) -> list[DeliveryView]:
    """Newest first; ``state`` filters."""
    query = (
        select(Delivery, OutboxMessage, Organisation)
        .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .outerjoin(Organisation, Organisation.id == OutboxMessage.receiver_id)
        .order_by(OutboxMessage.created_at.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(Delivery.state == state)
    return [_view(d, m, o, []) for d, m, o in session.execute(query)]


def _find(session: Session, key: str) -> Delivery:
    """By delivery id or message id (MessageHeader.id)."""
    try:
        wanted = uuid.UUID(key)
    except ValueError:
        raise NotFound(f"{key!r} is not a delivery or message id") from None
    delivery = session.get(Delivery, wanted) or session.scalar(
        select(Delivery).where(Delivery.message_id == wanted)
    )
    if delivery is None:
        raise NotFound(f"no delivery with delivery or message id {key}")
    return delivery


def show_delivery(*, session: Session, key: str) -> DeliveryView:
    delivery = _find(session, key)
    message = session.get_one(OutboxMessage, delivery.message_id)
    receiver = session.get(Organisation, message.receiver_id) if message.receiver_id else None
    return _view(delivery, message, receiver, list(delivery.attempt_rows))


def retry_delivery(*, session: Session, key: str, now: dt.datetime) -> DeliveryView:
    """Send a dead-lettered, rejected or held delivery again from the start (attempt count reset; each
    transmission still gets a new Bundle.id). RetryRefused when it cannot be sent; the caller commits."""
    delivery = _find(session, key)
    message = session.get_one(OutboxMessage, delivery.message_id)
    if message.payload is None or not message.endpoint:
        raise RetryRefused(
            f"delivery {delivery.id} has no message or no HTTP endpoint to send to "
            f"({delivery.error_code.value if delivery.error_code else 'unknown'}): a person must handle it"
        )
    try:
        delivery.state = transition(delivery.state, DeliveryEvent.retry)
    except TransitionRefused as exc:
        raise RetryRefused(f"delivery {delivery.id} is {delivery.state.value}: {exc}") from None
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.error_code = None
    delivery.error_detail = None
    delivery.version += 1
    delivery.updated_at = now
    session.flush()
    return show_delivery(session=session, key=str(delivery.id))
