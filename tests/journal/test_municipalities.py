"""Finding the patient's municipality of residence from what a crew types: exactly one, or refused."""

from __future__ import annotations

import hashlib
import json
from importlib import resources

import pytest

from journal.municipalities import UnknownMunicipalityError, find_municipality, municipality_list


def test_the_list_is_dk_cores_municipality_code_system_with_its_source_and_version() -> None:
    listing = municipality_list()
    assert listing.source_url == "http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes"
    assert listing.version == "3.4.0"
    codes = [m.code for m in listing.municipalities]
    assert len(codes) == len(set(codes)) == 99
    assert all(len(code) == 4 and code.isdigit() for code in codes)


def test_the_shipped_list_is_pinned_so_an_edit_in_place_fails() -> None:
    # A new DK Core release is a new file with a new version, never an edit of this one.
    text = resources.files("journal.codes").joinpath("dk_municipality_codes.json").read_text("utf-8")
    canonical = json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == PINNED


@pytest.mark.parametrize(
    ("typed", "code", "name"),
    [
        ("0461", "0461", "Odense"),
        ("461", "0461", "Odense"),  # the leading zero is often dropped
        (" odense ", "0461", "Odense"),
        ("Aabenraa", "0580", "Aabenraa"),
        ("Svendb", "0479", "Svendborg"),  # the start of exactly one name
        ("KØBENHAVN", "0101", "København"),
    ],
)
def test_a_code_a_name_or_the_start_of_one_name_finds_that_municipality(
    typed: str, code: str, name: str
) -> None:
    found = find_municipality(typed)
    assert (found.code, found.name) == (code, name)


@pytest.mark.parametrize("typed", ["", "   ", "9999", "00461", "Atlantis", "0955"])
def test_a_text_that_names_no_municipality_is_refused(typed: str) -> None:
    with pytest.raises(UnknownMunicipalityError) as refused:
        find_municipality(typed)
    assert refused.value.candidates == ()


def test_the_start_of_several_names_is_refused_with_the_candidates_never_guessed() -> None:
    with pytest.raises(UnknownMunicipalityError) as refused:
        find_municipality("Fre")
    names = {m.name for m in refused.value.candidates}
    assert {"Frederiksberg", "Fredericia", "Frederikshavn"} <= names


PINNED = "2fc47baef189633d54d3d6f6d5e5554c18dfb651b15607b060df27aa9e639fb4"
