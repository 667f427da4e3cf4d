"""Device-credential facade: where the tablet keeps the credential it got at enrolment.

The credential (``<device id>.<secret>``, from ``POST /api/devices/enrol``) lets the tablet log crew in and
sync; whoever holds it can act as this tablet. It is never kept in plain text beside the database.

* Desktop (``SealedFileCredential``): sealed with AES-256-GCM (``sync.crypto.DataKey``) under a key derived
  from the device secret — the desktop stand-in for the OS keystore (``tablet_app.auth.device_secret``) —
  and written to a private file (0600), atomically. A copy of the sealed file without the device secret
  is useless; on Android the Keystore, on Windows DPAPI replace both.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from abc import ABC, abstractmethod
from pathlib import Path

from sync.crypto import DataKey, row_aad
from sync.errors import TamperedDataError

_KEY_LABEL = b"ppj device credential v1"
_AAD = row_aad("device_credential", "1")


class DeviceCredentialFacade(ABC):
    @abstractmethod
    def load(self) -> str | None:
        """The stored credential, or None when the tablet is not enrolled (or the copy is unreadable)."""

    @abstractmethod
    def save(self, credential: str) -> None:
        """Keep ``credential`` (replacing any earlier one); durable when this returns."""

    @abstractmethod
    def clear(self) -> None:
        """Forget the credential (the device was revoked or is to be enrolled again)."""


class SealedFileCredential(DeviceCredentialFacade):
    def __init__(self, *, path: Path, device_secret: bytes) -> None:
        if len(device_secret) < 16:
            raise ValueError("device_secret: at least 16 bytes")
        self._path = path
        # A key of its own, derived from the device secret, so it never doubles as another key.
        self._key = DataKey(hmac.new(device_secret, _KEY_LABEL, hashlib.sha256).digest())

    def load(self) -> str | None:
        if not self._path.exists():
            return None
        try:
            return self._key.open(aad=_AAD, sealed=self._path.read_bytes()).decode("utf-8")
        except (TamperedDataError, UnicodeDecodeError):
            # Another device secret or a damaged file: not enrolled as far as this tablet can tell.
            return None

    def save(self, credential: str) -> None:
        if not credential:
            raise ValueError("credential: must not be empty")
        sealed = self._key.seal(aad=_AAD, plaintext=credential.encode("utf-8"))
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(sealed)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._path)

    def clear(self) -> None:
        self._path.unlink(missing_ok=True)
