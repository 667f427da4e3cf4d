"""The page catalogues: every language has every key, and every key a template uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.i18n import LANGUAGES, catalogue, negotiate, translator

TEMPLATES = Path(__file__).resolve().parents[2] / "server" / "templates"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_has_exactly_the_danish_keys(language: str) -> None:
    assert set(catalogue(language)) == set(catalogue("da"))


def test_every_key_used_in_a_template_exists() -> None:
    used = {
        key
        for path in TEMPLATES.glob("*.html")
        for key in re.findall(r't\("([a-z_.]+)"', path.read_text("utf-8"))
    }
    assert used and used <= set(catalogue("da"))


def test_placeholders_match_across_languages() -> None:
    for key, text in catalogue("da").items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", catalogue("en")[key])), key


def test_danish_is_the_default_and_an_explicit_choice_wins() -> None:
    assert negotiate(None) == "da"
    assert negotiate("fr-FR, en;q=0.8") == "en"
    assert negotiate("en", override="da") == "da"
    assert negotiate("da", override="xx") == "da"
    assert (
        translator("en")("login.throttled", seconds=5) == "Too many failed attempts. Try again in 5 seconds."
    )


def test_a_missing_key_fails_loudly() -> None:
    with pytest.raises(KeyError):
        translator("da")("no.such.key")
