"""Fixtures for the sync tests: a fresh unlocked store with cheap key derivation (tests only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from sync.store import LocalStore
from tests.sync.factories import new_store


@pytest.fixture
def device_id() -> UUID:
    return uuid4()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "tablet.ppjstore"


@pytest.fixture
def store(store_path: Path, device_id: UUID) -> Iterator[LocalStore]:
    opened = new_store(store_path, device_id)
    yield opened
    opened.close()
