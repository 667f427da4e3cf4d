"""Errors of the outbox (``server.outbox``)::

    OutboxError                 base of everything raised by the outbox
    ├── TransitionRefused       a delivery event that its current state does not allow (a bug or a race lost)
    └── RetryRefused            an administrator's retry of a delivery that cannot be sent (no payload, or
                                it is not in a state a retry leaves: dead letter, rejected, manual handling)

Delivery *failures* are never exceptions: they are states with machine-readable error codes
(``server.outbox.states.ErrorCode``), visible to administrators.
"""

from __future__ import annotations


class OutboxError(Exception):
    """Base of the outbox's errors."""


class TransitionRefused(OutboxError):
    """Raised by ``states.transition`` when ``event`` is not allowed in ``state``."""

    def __init__(self, state: str, event: str) -> None:
        super().__init__(f"delivery event {event!r} is not allowed in state {state!r}")
        self.state = state
        self.event = event


class RetryRefused(OutboxError):
    """Raised by ``service.retry`` when an administrator asks to retry a delivery that cannot be retried."""
