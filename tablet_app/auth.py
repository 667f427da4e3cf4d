"""Log-in on the tablet: online when the server answers, offline against a cached verifier otherwise.

* ``OnlineLogin`` (wave 2: the server's identity API over HTTPS) checks a user name and password and
  returns the person; it raises ``CredentialsRefusedError`` or ``ServerUnreachableError``.
* ``VerifierCache`` keeps, per user who logged in online on this tablet, an Argon2 hash of the password:
  enough to verify an offline log-in, never enough to recover the password.
* ``CachingAuthenticator`` tries online first; a successful online log-in refreshes the cached verifier;
  an unreachable server falls back to the cache (the session is then flagged offline). A refusal by the
  server is final — the cache is not asked.
* ``SessionPin`` is the quick-unlock PIN chosen at log-in, hashed, held in memory for the session only.

Hashing takes tens of milliseconds: call these from a ``BackgroundRunner``, never on the UI thread.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from tablet_app.errors import CredentialsRefusedError, ServerUnreachableError

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str


class OnlineLogin(Protocol):
    def log_in(self, *, username: str, password: str) -> Person:
        """The person, if the server accepts the credentials; raises a ``LoginError`` otherwise."""


class LoginOutcomeKind(Enum):
    ONLINE = "online"
    OFFLINE = "offline"  # server unreachable, cached verifier matched
    REFUSED = "refused"  # wrong user name or password (server's or cache's answer)
    NO_OFFLINE_VERIFIER = "no_offline_verifier"  # server unreachable and this user never logged in here


@dataclass(frozen=True)
class LoginOutcome:
    kind: LoginOutcomeKind
    person: Person | None = None


def _verify(verifier: str, secret: str) -> bool:
    try:
        return _hasher.verify(verifier, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class VerifierCache:
    """Argon2 verifiers of users who logged in online here, in a private JSON file (or memory if None)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._entries: dict[str, dict[str, str]] = {}
        if path is not None and path.exists():
            self._entries = json.loads(path.read_text(encoding="utf-8"))

    def remember(self, person: Person, password: str, *, verifier: str | None = None) -> None:
        """Store a verifier for ``person`` (hashing ``password`` unless a ready ``verifier`` is given)."""
        self._entries[person.username] = {
            "display_name": person.display_name,
            "verifier": verifier if verifier is not None else _hasher.hash(password),
        }
        self._write()

    def knows(self, username: str) -> bool:
        return username in self._entries

    def verify(self, username: str, password: str) -> Person | None:
        entry = self._entries.get(username)
        if entry is None or not _verify(entry["verifier"], password):
            return None
        return Person(username, entry["display_name"])

    def _write(self) -> None:
        if self._path is None:
            return
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self._entries, f)
        os.replace(tmp, self._path)


class CachingAuthenticator:
    def __init__(self, *, online: OnlineLogin | None, cache: VerifierCache) -> None:
        self._online = online
        self._cache = cache

    def authenticate(self, *, username: str, password: str) -> LoginOutcome:
        if self._online is not None:
            try:
                person = self._online.log_in(username=username, password=password)
            except CredentialsRefusedError:
                return LoginOutcome(LoginOutcomeKind.REFUSED)
            except ServerUnreachableError:
                pass  # fall through to the offline log-in
            else:
                self._cache.remember(person, password)
                return LoginOutcome(LoginOutcomeKind.ONLINE, person)
        if not self._cache.knows(username):
            return LoginOutcome(LoginOutcomeKind.NO_OFFLINE_VERIFIER)
        cached = self._cache.verify(username, password)
        if cached is None:
            return LoginOutcome(LoginOutcomeKind.REFUSED)
        return LoginOutcome(LoginOutcomeKind.OFFLINE, cached)


class SessionPin:
    """The unlock PIN of one session, as an Argon2 hash in memory."""

    def __init__(self, pin: str) -> None:
        self._verifier = _hasher.hash(pin)

    def verify_pin(self, pin: str) -> bool:
        return _verify(self._verifier, pin)


# The demo crew member (``ppj tablet --demo``): user "demo", password "ppj-demo". Only the Argon2
# verifier is stored, as for any user who logged in online before.
DEMO_PERSON = Person("demo", "Demo Ambulancebehandler")
DEMO_VERIFIER = (
    "$argon2id$v=19$m=65536,t=3,p=4$HBM8dHrjDGBS2bpxLvY0JQ$81SvS+K3LFepINeCDPO+kDtKTQxCCWLbkLx+6aBg1NM"
)
