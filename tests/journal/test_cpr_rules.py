"""CPR numbers: format, real dates, the century rule at its boundaries, modulus 11 as information only, and
replacement CPRs only in their issuer's system."""

from __future__ import annotations

from datetime import date

import pytest

from journal.cpr import X_ECPR_SYSTEM, century, check_replacement_cpr, parse_cpr
from journal.errors import InvalidCprError


@pytest.mark.parametrize(
    ("seventh", "yy", "expected"),
    [
        (0, 0, 1900), (0, 99, 1900), (3, 0, 1900), (3, 99, 1900),
        (4, 0, 2000), (4, 36, 2000), (4, 37, 1900), (4, 99, 1900),
        (9, 0, 2000), (9, 36, 2000), (9, 37, 1900), (9, 99, 1900),
        (5, 0, 2000), (5, 57, 2000), (5, 58, 1800), (5, 99, 1800),
        (8, 57, 2000), (8, 58, 1800),
    ],
)  # fmt: skip
def test_the_century_follows_the_cpr_table_at_every_boundary(seventh: int, yy: int, expected: int) -> None:
    assert century(seventh_digit=seventh, yy=yy) == expected


def test_the_published_test_persons_parse_with_their_birth_dates() -> None:
    assert parse_cpr("2509479989").birth_date == date(1947, 9, 25)
    # DDMMYY: 2 January 1991 (the MedCom example's own birthDate field says 1991-02-02; the CPR rules win).
    assert parse_cpr("0201919990").birth_date == date(1991, 1, 2)
    assert parse_cpr("1004219992").birth_date == date(2021, 4, 10)


def test_a_cpr_is_accepted_with_and_without_the_dash() -> None:
    assert parse_cpr("250947-9989") == parse_cpr("2509479989")
    assert parse_cpr("250947-9989").formatted == "250947-9989"


@pytest.mark.parametrize("text", ["250947998", "25094799890", "250947+9989", "25O9479989", "2509-479989", ""])
def test_a_malformed_cpr_is_refused(text: str) -> None:
    with pytest.raises(InvalidCprError, match="10 digits"):
        parse_cpr(text)


@pytest.mark.parametrize("text", ["3102471234", "0013471234", "3204471234", "0000001234", "3111471234"])
def test_a_cpr_naming_no_real_date_is_refused(text: str) -> None:
    with pytest.raises(InvalidCprError, match="no real date"):
        parse_cpr(text)


def test_29_february_is_valid_only_in_a_leap_year_of_the_right_century() -> None:
    assert parse_cpr("2902004000").birth_date == date(2000, 2, 29)  # 7th digit 4, YY 00 → 2000, a leap year
    with pytest.raises(InvalidCprError):
        parse_cpr("2902001000")  # 7th digit 1 → 1900, not a leap year
    with pytest.raises(InvalidCprError):
        parse_cpr("2902585000")  # 7th digit 5, YY 58 → 1858, not a leap year
    assert parse_cpr("2902965000").birth_date == date(1896, 2, 29)


def test_modulus_11_is_information_and_never_a_reason_to_refuse() -> None:
    assert parse_cpr("2509479989").mod11_ok is False  # a valid test person without mod 11
    assert parse_cpr("1111111118").mod11_ok is True


def test_a_replacement_cpr_is_accepted_only_from_a_known_issuer_in_its_format() -> None:
    check_replacement_cpr(system=X_ECPR_SYSTEM, value="0703921VJ4")  # the MedCom example
    with pytest.raises(InvalidCprError, match="issuer"):
        check_replacement_cpr(system="urn:oid:1.2.3", value="0703921VJ4")
    with pytest.raises(InvalidCprError, match="format"):
        check_replacement_cpr(system=X_ECPR_SYSTEM, value="0703920VJ4")  # 7th char 0 is regional, not X-eCPR
    check_replacement_cpr(system="urn:oid:1.2.208.176.1.6.1.3.179", value="1206550VK9")  # DK Core d-ecpr
