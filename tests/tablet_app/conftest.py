"""Tablet-app tests. View-model tests need no window and never import Kivy; if anything under test does
import Kivy, it must find its home in a scratch directory, never the user's ``~/.kivy``, and stay quiet."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

# Set before any test module is imported, so an accidental ``import kivy`` is still contained.
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="ppj-test-kivy-"))
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_NO_WINDOW", "1")


@pytest.fixture(autouse=True)
def danish_by_default() -> Iterator[None]:
    """Every test starts in Danish (the default) and leaves the language as it found it."""
    from tablet_app import i18n

    i18n.set_language(i18n.DEFAULT_LANGUAGE)
    yield
    i18n.set_language(i18n.DEFAULT_LANGUAGE)
