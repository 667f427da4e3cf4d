"""Errors raised by the server's framework-free core; the HTTP layer maps them to status codes.

::

    ServerError
    ├── NotFound                 a named record does not exist             → 404
    ├── InvalidInput             a field's value is unusable (names field)  → 422
    │   └── RequestTooLarge      the request body exceeds the route's limit → 413
    ├── Conflict                 the change clashes with stored state       → 409
    ├── AuthenticationFailed     no valid credential for this request       → 401
    │   └── LoginThrottled       too many failed log-ins for account + IP   → 429
    └── AccessDenied             authenticated, but the policy says no      → 403
        └── CsrfFailed           a cookie-authenticated POST without its CSRF token → 403
"""

from __future__ import annotations


class ServerError(Exception):
    """Base of every error the server core raises on purpose."""


class NotFound(ServerError):
    """Raised when a record named by id, username, SOR id or call sign does not exist."""


class InvalidInput(ServerError):
    """Raised when a value cannot be accepted; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RequestTooLarge(InvalidInput):
    """Raised when a request body is larger than its route accepts (``field`` is ``body``)."""

    def __init__(self, limit: int) -> None:
        super().__init__("body", f"larger than {limit} bytes")


class Conflict(ServerError):
    """Raised when a change would duplicate a unique value (username, SOR id, call sign …)."""


class AuthenticationFailed(ServerError):
    """Raised when the request carries no valid person token, session or device credential.

    The message is deliberately generic towards the client; ``reason`` is for logs and tests.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LoginThrottled(AuthenticationFailed):
    """Raised when an account + IP pair has failed to log in too often within the throttle window."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("too many failed log-ins")
        self.retry_after_seconds = retry_after_seconds


class AccessDenied(ServerError):
    """Raised when the access policy refuses an authenticated actor; ``reason`` says which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfFailed(AccessDenied):
    """Raised when a cookie-authenticated unsafe request lacks the session's CSRF token."""

    def __init__(self) -> None:
        super().__init__("missing or wrong CSRF token")
