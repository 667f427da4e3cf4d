"""Log-in on the tablet: online when the server answers, offline against the store's key wrap otherwise.

* ``OnlineLogin`` checks a user name and password against the server (``tablet_app.server_login``) or the
  demo's stand-in (``DemoLogin``) and returns the person; it raises ``CredentialsRefusedError`` or
  ``ServerUnreachableError``.
* ``StoreKeyring`` opens the tablet's encrypted local store (``sync.store.LocalStore``) with a log-in. The
  store's data key is wrapped per crew member under their password and the device secret; unwrapping it
  IS the offline verifier (docs/sync/encryption.md): no separate password hash is kept. The first log-in
  on a new tablet creates the store; a crew member who logs in online while the store is open (a
  colleague logged in first) gets a wrap of their own; a password changed on the server replaces the wrap
  at the next online log-in.
* ``PeopleDirectory`` remembers who logged in here (name, role, authorisation id — no secrets), so an
  offline log-in knows the person's display name and role for the entries they write.
* ``StoreAuthenticator`` tries online first; a refusal by the server is final. An unreachable server
  falls back to the store's key wrap (the session is then flagged offline).
* ``SessionPin`` is the quick-unlock PIN chosen at log-in, hashed, held in memory for the session only.

Unwrapping takes ~0.4 s (Argon2id): call these from a ``BackgroundRunner``, never on the UI thread.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from journal.entry import Author, AuthorisationLevel, Role
from sync.crypto import KdfParams
from sync.errors import StoreNotFoundError, WrongCredentialsError
from sync.store import LocalStore
from tablet_app.errors import CredentialsRefusedError, ServerUnreachableError

_hasher = PasswordHasher()

_LEVEL_OF_ROLE = {
    Role.AMBULANCEASSISTENT: AuthorisationLevel.AUTHORISED,
    Role.AMBULANCEBEHANDLER: AuthorisationLevel.AUTHORISED,
    Role.PARAMEDICINER: AuthorisationLevel.SPECIAL_COMPETENCE,
    Role.PHYSICIAN: AuthorisationLevel.PHYSICIAN,
}


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    role: Role = Role.AMBULANCEBEHANDLER
    person_id: str = ""
    autorisations_id: str | None = None

    def author(self) -> Author:
        """This person as the author of the entries they record."""
        return Author(
            person_id=self.person_id or self.username,
            name=self.display_name,
            role=self.role,
            authorisation_level=_LEVEL_OF_ROLE.get(self.role, AuthorisationLevel.NONE),
            autorisations_id=self.autorisations_id,
        )


class OnlineLogin(Protocol):
    def log_in(self, *, username: str, password: str) -> Person:
        """The person, if the server accepts the credentials; raises a ``LoginError`` otherwise."""


class LoginOutcomeKind(Enum):
    ONLINE = "online"
    OFFLINE = "offline"  # server unreachable, the store's key wrap opened with the password
    REFUSED = "refused"  # wrong user name or password (server's answer, or the wrap did not open)
    NO_OFFLINE_VERIFIER = "no_offline_verifier"  # server unreachable and no store on this tablet yet
    NOT_ENROLLED_HERE = "not_enrolled_here"  # online ok, but the store is locked to this person: a
    # colleague who has a wrap here must log in first (then this person's wrap is added)


@dataclass(frozen=True)
class LoginOutcome:
    kind: LoginOutcomeKind
    person: Person | None = None


def _verify(verifier: str, secret: str) -> bool:
    try:
        return _hasher.verify(verifier, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class PeopleDirectory:
    """Who has logged in online on this tablet: display name, role, ids. No secrets (a JSON file)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._people: dict[str, dict[str, str | None]] = {}
        if path is not None and path.exists():
            self._people = json.loads(path.read_text(encoding="utf-8"))

    def remember(self, person: Person) -> None:
        self._people[person.username] = {
            "display_name": person.display_name,
            "role": person.role.value,
            "person_id": person.person_id,
            "autorisations_id": person.autorisations_id,
        }
        if self._path is not None:
            tmp = self._path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self._people, f)
            os.replace(tmp, self._path)

    def get(self, username: str) -> Person | None:
        known = self._people.get(username)
        if known is None:
            return None
        return Person(
            username=username,
            display_name=str(known["display_name"]),
            role=Role(str(known["role"])),
            person_id=str(known.get("person_id") or ""),
            autorisations_id=known.get("autorisations_id"),
        )


def device_secret(path: Path) -> bytes:
    """The tablet's device secret (32 random bytes), made on first use.

    Desktop stand-in for the OS keystore: a private file (0600) next to, never inside, the store file.
    The store's protection against a thief holding both files is then only the password's strength
    (docs/sync/encryption.md, threat "with the device secret too"); Android Keystore / Windows DPAPI
    replace this file on those platforms.
    """
    if path.exists():
        secret = path.read_bytes()
        if len(secret) >= 16:
            return secret
    secret = secrets.token_bytes(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return secret


class StoreKeyring:
    """Opens the local store with crew members' log-ins; keeps the first opened store for the session."""

    def __init__(
        self, *, path: Path, device_secret: bytes, device_id: UUID, kdf: KdfParams | None = None
    ) -> None:
        self._path = path
        self._device_secret = device_secret
        self._device_id = device_id
        self._kdf = kdf
        self._lock = threading.Lock()
        self.store: LocalStore | None = None

    def open_online(self, *, username: str, password: str) -> bool:
        """After the server accepted ``password``: open (or create) the store and make sure this person
        has a wrap under it. False when the store is locked to them and nobody has opened it yet."""
        with self._lock:
            if self.store is None and not self._path.exists():
                self.store = LocalStore.create(
                    path=self._path,
                    device_id=self._device_id,
                    user_id=username,
                    secret=password,
                    device_secret=self._device_secret,
                    kdf=self._kdf,
                )
                return True
            try:
                self._open(username, password)
            except WrongCredentialsError:
                if self.store is None:
                    return False
                # The server vouched for the password: (re)wrap the data key for it.
                self.store.add_user(
                    user_id=username, secret=password, device_secret=self._device_secret, kdf=self._kdf
                )
            return True

    def open_offline(self, *, username: str, password: str) -> None:
        """Open the store with this person's wrap; ``WrongCredentialsError`` (wrong or unknown user,
        one answer for both so it does not help guessing) or ``StoreNotFoundError``."""
        with self._lock:
            self._open(username, password)

    def _open(self, username: str, password: str) -> None:
        opened = LocalStore.unlock(
            path=self._path, user_id=username, secret=password, device_secret=self._device_secret
        )
        if self.store is None:
            self.store = opened
        else:
            opened.close()  # the password checked out; the session keeps its one open store

    def close(self) -> None:
        with self._lock:
            if self.store is not None:
                self.store.close()
                self.store = None


class StoreAuthenticator:
    def __init__(self, *, online: OnlineLogin | None, keyring: StoreKeyring, people: PeopleDirectory) -> None:
        self._online = online
        self.keyring = keyring
        self._people = people

    def authenticate(self, *, username: str, password: str) -> LoginOutcome:
        if self._online is not None:
            try:
                person = self._online.log_in(username=username, password=password)
            except CredentialsRefusedError:
                return LoginOutcome(LoginOutcomeKind.REFUSED)
            except ServerUnreachableError:
                pass  # fall through to the offline log-in
            else:
                if not self.keyring.open_online(username=username, password=password):
                    return LoginOutcome(LoginOutcomeKind.NOT_ENROLLED_HERE)
                self._people.remember(person)
                return LoginOutcome(LoginOutcomeKind.ONLINE, person)
        try:
            self.keyring.open_offline(username=username, password=password)
        except StoreNotFoundError:
            return LoginOutcome(LoginOutcomeKind.NO_OFFLINE_VERIFIER)
        except WrongCredentialsError:
            return LoginOutcome(LoginOutcomeKind.REFUSED)
        person = self._people.get(username) or Person(username, username)
        return LoginOutcome(LoginOutcomeKind.OFFLINE, person)


class SessionPin:
    """The unlock PIN of one session, as an Argon2 hash in memory."""

    def __init__(self, pin: str) -> None:
        self._verifier = _hasher.hash(pin)

    def verify_pin(self, pin: str) -> bool:
        return _verify(self._verifier, pin)


class DemoLogin:
    """``ppj tablet --demo`` without a server: a stand-in for the server's log-in with two demo crew
    members whose passwords are generated per run (``secrets``) and printed at start. No fixed default
    credentials exist anywhere (project rule)."""

    PEOPLE = (
        Person("demo", "Demo Ambulancebehandler", Role.AMBULANCEBEHANDLER, "demo"),
        Person("demo2", "Demo Paramediciner", Role.PARAMEDICINER, "demo2"),
    )

    def __init__(self) -> None:
        self.passwords = {p.username: secrets.token_urlsafe(9) for p in self.PEOPLE}

    def log_in(self, *, username: str, password: str) -> Person:
        expected = self.passwords.get(username)
        if expected is None or not secrets.compare_digest(expected, password):
            raise CredentialsRefusedError("unknown demo user or wrong password")
        return next(p for p in self.PEOPLE if p.username == username)
