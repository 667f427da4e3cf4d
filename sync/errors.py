"""The exceptions the sync package raises.

::

    SyncError                       anything sync refuses or cannot do
    ├── StoreError                  the local store refuses an operation
    │   ├── WrongCredentialsError   unlock failed: wrong PIN/password or wrong device secret, or unknown user
    │   ├── TamperedDataError       a stored row fails authentication (changed, swapped or corrupt)
    │   ├── StoreVersionError       the store file was written by a newer app (schema version unknown)
    │   ├── StoreNotFoundError      opening a store file that does not exist
    │   ├── StoreExistsError        creating a store where a file already exists
    │   └── EntryIdReusedError      capture of an entry_id the store holds (other content, or pulled)
    ├── ProtocolError               a message does not follow the sync protocol (malformed, wrong version)
    ├── TransientSyncError          the exchange failed in a way worth retrying (network, 5xx, 429, garbage)
    └── SyncRefusedError            the server answered with a 4xx error body; retrying will not help

Every operation that raises leaves the store as it was before it (each runs in one SQLite transaction).
"""

from __future__ import annotations

from uuid import UUID


class SyncError(Exception):
    """Base of every error the sync package raises."""


class StoreError(SyncError):
    """Base of errors from the local store."""


class WrongCredentialsError(StoreError):
    """Raised when a store cannot be unlocked: the PIN/password or device secret is wrong, or the user has
    no key on this store. The message never says which, so it does not help guessing."""


class TamperedDataError(StoreError):
    """Raised when a stored row fails authenticated decryption: it was changed, moved to another row, or
    the file is corrupt. Nothing is returned from such a row."""


class StoreVersionError(StoreError):
    """Raised when the store's schema version is newer than this build knows (an app downgrade)."""


class StoreNotFoundError(StoreError):
    """Raised when unlocking a store file that does not exist."""


class StoreExistsError(StoreError):
    """Raised when creating a store over an existing file (it would lose a queue of unsent entries)."""


class EntryIdReusedError(StoreError):
    """Raised when capturing an entry whose id the store already holds with different content, or holds
    as an entry pulled from the server (never captured here)."""

    def __init__(self, entry_id: UUID) -> None:
        self.entry_id = entry_id
        super().__init__(f"entry_id {entry_id} is already stored with other content or as a pulled entry")


class ProtocolError(SyncError):
    """Raised when a request or response does not follow the sync protocol; ``field`` names the part."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class TransientSyncError(SyncError):
    """Raised when an exchange failed in a way a later retry may fix: no connection, timeout, 5xx, 429, a
    response that does not parse. ``retry_after`` is the server's hint in seconds, if it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class SyncRefusedError(SyncError):
    """Raised when the server refuses a request with an error body (4xx other than 408/425/429): the
    request itself is wrong or not allowed, so it is not retried. ``code`` is the machine-readable code."""

    def __init__(self, *, status: int, code: str, message: str, field: str | None) -> None:
        self.status = status
        self.code = code
        self.field = field
        where = f" [field {field}]" if field else ""
        super().__init__(f"server refused ({status} {code}): {message}{where}")
