"""The delivery state machine: states, events, machine-readable error codes and the transition table.

Framework-free and pure: the worker and the admin commands ask ``transition(state, event)`` and store the
answer; any pair the table does not list raises ``TransitionRefused``. ::

    queued ──claim──▶ sending ──ack_ok──────────────▶ acknowledged
      ▲                │  ▲ ├──ack_fatal / rejected──▶ rejected ──────────┐
      │                │  │ ├──accepted_no_ack──▶ awaiting_ack ─ack_*──▶ …│
      │                │  │ │                        └─ack_timeout─▶ sending (resend: new Bundle.id)
      │                │  │ ├──retry_later──▶ failed_retrying ─claim─▶ sending (─give_up─▶ dead_letter)
      │                │  │ └──give_up──▶ dead_letter ─────────────────────┤
      │                │  └──reclaim (the sending worker's lease ran out)   │
      └──────retry (administrator)◀── dead_letter | rejected | manual_handling
    queued ──hold──▶ manual_handling   (wrong patient, unknown receiver: a person decides)

A late ``ack_ok`` still closes a delivery that was retrying or dead-lettered: the receiver did process the
message, and MedCom's acknowledgement is what closes a delivery (ARCHITECTURE §5).
"""

from __future__ import annotations

from enum import StrEnum

from server.outbox.errors import TransitionRefused


class DeliveryState(StrEnum):
    queued = "queued"
    sending = "sending"
    awaiting_ack = "awaiting_ack"
    acknowledged = "acknowledged"
    failed_retrying = "failed_retrying"
    dead_letter = "dead_letter"
    rejected = "rejected"
    manual_handling = "manual_handling"


class DeliveryEvent(StrEnum):
    claim = "claim"  # a worker takes a due delivery
    reclaim = "reclaim"  # a worker takes a delivery whose sender's lease ran out (it crashed mid-send)
    ack_ok = "ack_ok"  # Acknowledgement response.code ok
    ack_fatal = "ack_fatal"  # Acknowledgement fatal-error: never resend unchanged
    rejected = "rejected"  # the endpoint refused the request itself (4xx other than 408/429)
    accepted_no_ack = "accepted_no_ack"  # 2xx without an Acknowledgement for this message: wait for one
    ack_timeout = "ack_timeout"  # no Acknowledgement within the timeout: resend (new Bundle.id)
    retry_later = "retry_later"  # timeout, connection error, 5xx, transient-error ack, attempts left
    give_up = "give_up"  # the same, with no attempts left
    hold = "hold"  # needs a person: wrong patient, unknown receiver, message cannot be built
    retry = "retry"  # an administrator sends it again from the start


class ErrorCode(StrEnum):
    """Why a delivery is not (yet) acknowledged; stored on the delivery and on each attempt."""

    http_timeout = "http_timeout"
    http_transport_error = "http_transport_error"
    http_retryable_status = "http_retryable_status"  # 5xx, 408, 429
    http_rejected = "http_rejected"  # other 4xx
    ack_transient_error = "ack_transient_error"
    ack_fatal_error = "ack_fatal_error"
    ack_missing = "ack_missing"  # 2xx whose body is no Acknowledgement of this message
    ack_timeout = "ack_timeout"
    attempts_exhausted = "attempts_exhausted"
    wrong_patient = "wrong_patient"
    receiver_unknown = "receiver_unknown"
    receiver_has_no_http_endpoint = "receiver_has_no_http_endpoint"
    sender_unknown = "sender_unknown"
    message_not_buildable = "message_not_buildable"
    message_too_large = "message_too_large"


S, E = DeliveryState, DeliveryEvent
TRANSITIONS: dict[tuple[DeliveryState, DeliveryEvent], DeliveryState] = {
    (S.queued, E.claim): S.sending,
    (S.queued, E.hold): S.manual_handling,
    (S.failed_retrying, E.claim): S.sending,
    (S.awaiting_ack, E.ack_timeout): S.sending,
    (S.sending, E.reclaim): S.sending,
    (S.sending, E.ack_ok): S.acknowledged,
    (S.sending, E.ack_fatal): S.rejected,
    (S.sending, E.rejected): S.rejected,
    (S.sending, E.accepted_no_ack): S.awaiting_ack,
    (S.sending, E.retry_later): S.failed_retrying,
    (S.sending, E.give_up): S.dead_letter,
    (S.awaiting_ack, E.ack_ok): S.acknowledged,
    (S.awaiting_ack, E.ack_fatal): S.rejected,
    (S.awaiting_ack, E.retry_later): S.failed_retrying,
    (S.awaiting_ack, E.give_up): S.dead_letter,
    (S.failed_retrying, E.ack_ok): S.acknowledged,
    (S.failed_retrying, E.give_up): S.dead_letter,
    (S.dead_letter, E.ack_ok): S.acknowledged,
    (S.dead_letter, E.retry): S.queued,
    (S.rejected, E.retry): S.queued,
    (S.manual_handling, E.retry): S.queued,
}
FINAL: frozenset[DeliveryState] = frozenset({S.acknowledged})
"""No event leaves these states."""
DUE_STATES: frozenset[DeliveryState] = frozenset({S.queued, S.failed_retrying, S.awaiting_ack, S.sending})
"""States a worker looks at when their ``next_attempt_at`` has passed (for sending: the lease)."""


def transition(state: DeliveryState, event: DeliveryEvent) -> DeliveryState:
    """The state after ``event``; TransitionRefused when the table does not allow it."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise TransitionRefused(state.value, event.value) from None


def claim_event(state: DeliveryState) -> DeliveryEvent:
    """Which event a worker's claim of a due delivery in ``state`` is."""
    return {S.awaiting_ack: E.ack_timeout, S.sending: E.reclaim}.get(state, E.claim)
