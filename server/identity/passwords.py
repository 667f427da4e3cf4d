"""Password hashing with argon2id (argon2-cffi defaults: RFC 9106 low-memory profile)."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verified against when the username does not exist, so a log-in for an unknown user costs the same time
# as one with a wrong password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash("ppj-no-such-user")

MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class HashedPassword:
    """A password already hashed (and length-checked), so one hash can serve several accounts — the demo
    users share one generated password, and hashing it once keeps ``ppj serve --demo`` quick."""

    value: str

    @classmethod
    def of(cls, password: str) -> HashedPassword:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"at least {MIN_PASSWORD_LENGTH} characters")
        return cls(hash_password(password))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
