"""Encryption at rest for the tablet store (threat model and choices: docs/sync/encryption.md).

* One random 256-bit **data key** per store encrypts every clinical row (or block of entries stored together,
  ``sync.entry_blocks``) with AES-256-GCM. Each sealed value gets a fresh 96-bit random nonce; the associated
  data binds the ciphertext to its table and row (or block) id, so a value copied onto another row fails
  authentication instead of showing the wrong patient's data.
* The data key is never stored in clear. For each user it is **wrapped** (AES-256-GCM) under a key-encryption
  key derived from the user's PIN/password with Argon2id (memory-hard, parameters stored with the wrap) and
  the device's credential secret, combined with HKDF-SHA256. A stolen store file alone therefore does not
  allow guessing PINs offline: the device secret lives outside the file (the OS keystore).
* Unwrapping doubles as the cached verifier for offline log-in: a wrong PIN fails the GCM tag check.

Invariant: a ``DataKey`` exists in memory only after a successful unwrap (or when a store is created).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.errors import TamperedDataError, WrongCredentialsError

_NONCE_BYTES = 12
_KEY_BYTES = 32
_SALT_BYTES = 16
MIN_DEVICE_SECRET_BYTES = 16
_ROW_AAD_PREFIX = b"ppj/sync/store-row/v1|"
_WRAP_AAD_PREFIX = b"ppj/sync/key-wrap/v1|"
_KEK_INFO_PREFIX = b"ppj/sync/store-kek/v1|"


class RowCodec(Protocol):
    """How the store turns a row's clinical bytes into what it writes to disk, and back."""

    def seal(self, *, aad: bytes, plaintext: bytes) -> bytes: ...

    def open(self, *, aad: bytes, sealed: bytes) -> bytes: ...

    def open_rows(self, *, table: str, rows: Iterable[tuple[str, bytes]]) -> list[bytes]:
        """``open`` of many ``(row id, sealed)`` rows of ``table`` (AAD ``row_aad(table, row id)``)."""
        ...


def row_aad(table: str, row_id: str) -> bytes:
    """Associated data binding a sealed value to its table and row."""
    return _ROW_AAD_PREFIX + table.encode() + b"|" + row_id.encode()


def _tampered() -> TamperedDataError:
    return TamperedDataError("a stored row failed authentication (changed, moved or corrupt)")


class DataKey:
    """The store's data key; seals and opens rows with AES-256-GCM. Implements ``RowCodec``."""

    __slots__ = ("_aead",)

    def __init__(self, raw: bytes) -> None:
        if len(raw) != _KEY_BYTES:
            raise ValueError("a data key is 32 bytes")
        self._aead = AESGCM(raw)

    @classmethod
    def generate(cls) -> tuple[DataKey, bytes]:
        """A new random key, and its raw bytes (only for wrapping, then dropped by the caller)."""
        raw = AESGCM.generate_key(bit_length=256)
        return cls(raw), raw

    def seal(self, *, aad: bytes, plaintext: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, *, aad: bytes, sealed: bytes) -> bytes:
        view = memoryview(sealed)  # slices without copying the ciphertext
        try:
            return self._aead.decrypt(view[:_NONCE_BYTES], view[_NONCE_BYTES:], aad)
        except InvalidTag:
            raise _tampered() from None

    def open_rows(self, *, table: str, rows: Iterable[tuple[str, bytes]]) -> list[bytes]:
        """Every row opened as ``open`` would, with the per-row work outside AES-GCM itself (the AAD
        prefix, method look-ups) done once: reading a journal opens thousands of rows, and that overhead
        was as large as the decryption."""
        prefix = row_aad(table, "")
        decrypt = self._aead.decrypt
        opened: list[bytes] = []
        append = opened.append
        try:
            for row_id, sealed in rows:
                view = memoryview(sealed)
                append(decrypt(view[:_NONCE_BYTES], view[_NONCE_BYTES:], prefix + row_id.encode()))
        except InvalidTag:
            raise _tampered() from None
        return opened


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost parameters, stored with each wrap so they can be raised later without breaking old
    wraps. The default follows RFC 9106 §4's second recommendation (t=3, 64 MiB), with one lane because
    tablets have few cores."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 1

    def to_json(self) -> str:
        return json.dumps(
            {"alg": "argon2id", "t": self.time_cost, "m": self.memory_kib, "p": self.parallelism},
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> KdfParams:
        data = json.loads(text)
        if data.get("alg") != "argon2id":
            raise ValueError(f"unknown key-derivation algorithm {data.get('alg')!r}")
        return cls(time_cost=int(data["t"]), memory_kib=int(data["m"]), parallelism=int(data["p"]))


@dataclass(frozen=True, slots=True)
class KeyWrap:
    """The data key wrapped for one user: what the store keeps in its ``key_wraps`` table."""

    user_id: str
    params: KdfParams
    salt: bytes
    wrapped: bytes  # nonce + AES-GCM(kek, data key)


def _key_encryption_key(
    *, user_id: str, secret: str, device_secret: bytes, salt: bytes, params: KdfParams
) -> bytes:
    if not secret:
        raise WrongCredentialsError("an empty PIN/password cannot unlock a store")
    if len(device_secret) < MIN_DEVICE_SECRET_BYTES:
        raise ValueError(f"device_secret must be at least {MIN_DEVICE_SECRET_BYTES} bytes")
    stretched = hash_secret_raw(
        secret=secret.encode("utf-8"),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=_KEY_BYTES,
        type=Type.ID,
    )
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=salt, info=_KEK_INFO_PREFIX + user_id.encode()
    )
    return hkdf.derive(stretched + device_secret)


def wrap_data_key(
    *, raw_key: bytes, user_id: str, secret: str, device_secret: bytes, params: KdfParams
) -> KeyWrap:
    """Wrap the data key for ``user_id`` under their PIN/password and the device secret."""
    salt = os.urandom(_SALT_BYTES)
    kek = _key_encryption_key(
        user_id=user_id, secret=secret, device_secret=device_secret, salt=salt, params=params
    )
    nonce = os.urandom(_NONCE_BYTES)
    wrapped = nonce + AESGCM(kek).encrypt(nonce, raw_key, _WRAP_AAD_PREFIX + user_id.encode())
    return KeyWrap(user_id=user_id, params=params, salt=salt, wrapped=wrapped)


def unwrap_data_key(*, wrap: KeyWrap, secret: str, device_secret: bytes) -> tuple[DataKey, bytes]:
    """The data key, or ``WrongCredentialsError`` when the PIN/password or device secret is wrong."""
    kek = _key_encryption_key(
        user_id=wrap.user_id, secret=secret, device_secret=device_secret, salt=wrap.salt, params=wrap.params
    )
    try:
        raw = AESGCM(kek).decrypt(
            wrap.wrapped[:_NONCE_BYTES], wrap.wrapped[_NONCE_BYTES:], _WRAP_AAD_PREFIX + wrap.user_id.encode()
        )
    except InvalidTag:
        raise WrongCredentialsError("wrong PIN/password or device secret for this store") from None
    return DataKey(raw), raw
