"""Delivering one message to an HTTP FHIR endpoint (httpx2, with an injectable transport).

The transport says what happened on the wire, not what the receiver thought of the message (that is the
Acknowledgement in the body, read by ``medcom.acknowledgement.read_acknowledgement``):

* ``delivered`` — a 2xx answer; ``body`` is the receiver's answer (the Acknowledgement);
* ``retry`` — worth trying again later: timeouts, connection errors, 408, 429 and 5xx;
* ``rejected`` — any other 4xx: the receiver refused the request itself; resending it unchanged will not
  help (``body`` holds its OperationOutcome).

The server's outbox turns these into its delivery state machine (retries, backoff, dead letter).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx2

Outcome = Literal["delivered", "retry", "rejected"]
RETRY_STATUSES = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    outcome: Outcome
    status: int | None
    body: bytes
    error: str | None = None


@dataclass
class HttpDelivery:
    """POSTs messages; give it an ``httpx2.Client`` built with the transport you want (MockTransport in
    unit tests, the real one against the receiver simulator)."""

    client: httpx2.Client

    def deliver(
        self, *, endpoint: str, body: bytes, content_type: str = "application/fhir+json"
    ) -> DeliveryResult:
        try:
            response = self.client.post(
                endpoint, content=body, headers={"Content-Type": content_type, "Accept": content_type}
            )
        except httpx2.TimeoutException as exc:
            return DeliveryResult("retry", None, b"", f"timed out: {exc}")
        except httpx2.TransportError as exc:
            return DeliveryResult("retry", None, b"", f"transport error: {exc}")
        status = response.status_code
        if 200 <= status < 300:
            return DeliveryResult("delivered", status, response.content)
        if status >= 500 or status in RETRY_STATUSES:
            return DeliveryResult("retry", status, response.content, f"HTTP {status}")
        return DeliveryResult("rejected", status, response.content, f"HTTP {status}")
