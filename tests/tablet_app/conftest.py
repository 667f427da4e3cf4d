"""Tablet-app tests. View-model tests need no window and never import Kivy (a test checks the imports);
if anything under test does import Kivy, it finds its home in a scratch directory, never the user's
``~/.kivy``, reads no config file, parses no arguments and logs nothing to the console or to files. UI
tests run the app in a subprocess with the same settings (``tablet_app/testing/harness.py``)."""

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
os.environ.setdefault("KIVY_NO_CONFIG", "1")  # never read or write a config.ini


@pytest.fixture(autouse=True)
def danish_by_default() -> Iterator[None]:
    """Every test starts in Danish (the default) and leaves the language as it found it."""
    from tablet_app import i18n

    i18n.set_language(i18n.DEFAULT_LANGUAGE)
    yield
    i18n.set_language(i18n.DEFAULT_LANGUAGE)
