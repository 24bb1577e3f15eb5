"""Identity numbers: MyKad parsing and its three rules, other identity types."""

from __future__ import annotations

from datetime import date

import pytest

from plugins.parties.identity import (
    IdentityError,
    check_birth_facts,
    display_number,
    parse_identity,
    parse_mykad,
)

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    "raw",
    ["900115-11-5123", "900115115123", " 900115 11 5123 ", "900115 - 11 - 5123"],
)
def test_mykad_with_or_without_dashes_and_spaces_is_one_number(raw: str) -> None:
    identity = parse_mykad(raw, today=TODAY)
    assert identity.number == "900115115123"
    assert identity.display == "900115-11-5123"
    assert identity.nationality == "MYS"
    assert identity.birth_date == date(1990, 1, 15)
    assert identity.gender == "L"  # odd last digit


def test_even_last_digit_is_a_woman_and_recent_years_are_2000s() -> None:
    identity = parse_mykad("050301-45-0124", today=TODAY)
    assert identity.gender == "P"
    assert identity.birth_date == date(2005, 3, 1)
    # A date still ahead this century belongs to the last one.
    assert parse_mykad("301231-11-0011", today=TODAY).birth_date == date(1930, 12, 31)
    # 29 February exists only in 2000, not 1900.
    assert parse_mykad("000229-11-0011", today=TODAY).birth_date == date(2000, 2, 29)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("90011511512", "identity_number: must be 12 digits"),
        ("9001151151234", "identity_number: must be 12 digits"),
        ("90011511512X", "identity_number: must be 12 digits"),
        ("", "identity_number: must be 12 digits"),
        ("990231-11-5123", "identity_number: 990231 is not a real date of birth"),
        ("901315-11-5123", "identity_number: 901315 is not a real date of birth"),
        ("900115-17-5123", "identity_number: 17 is not a known place-of-birth code"),
        ("900115-00-5123", "identity_number: 00 is not a known place-of-birth code"),
    ],
)
def test_each_broken_rule_is_named(raw: str, message: str) -> None:
    with pytest.raises(IdentityError) as caught:
        parse_mykad(raw, today=TODAY)
    assert str(caught.value) == message
    assert caught.value.field == "identity_number"
    assert isinstance(caught.value, ValueError)


def test_birth_date_in_the_future_is_refused() -> None:
    identity = parse_identity("passport", "A1234567", "IDN", today=TODAY)
    with pytest.raises(IdentityError, match="birth_date: must not be in the future"):
        check_birth_facts(identity, date(2027, 1, 1), None, today=TODAY)


def test_birth_facts_that_contradict_the_mykad_are_refused() -> None:
    identity = parse_mykad("900115-11-5123", today=TODAY)
    assert check_birth_facts(identity, None, None, today=TODAY) == (
        date(1990, 1, 15),
        "L",
    )
    with pytest.raises(IdentityError, match=r"^gender: perempuan contradicts"):
        check_birth_facts(identity, None, "P", today=TODAY)
    with pytest.raises(IdentityError, match=r"^birth_date: 1990-01-16 contradicts"):
        check_birth_facts(identity, date(1990, 1, 16), None, today=TODAY)
    # The number cannot tell 1925 from 2025: a given birth date settles it.
    old = parse_mykad("250301-11-0011", today=TODAY)
    assert check_birth_facts(old, date(1925, 3, 1), "L", today=TODAY) == (
        date(1925, 3, 1),
        "L",
    )


@pytest.mark.parametrize(
    ("kind", "raw", "canonical"),
    [
        ("old_ic", "1234567", "1234567"),
        ("old_ic", "a 123-4567", "A1234567"),
        ("police", "RF/123456", "RF123456"),
        ("police", "g 12345", "G12345"),
        ("army", "T1234567", "T1234567"),
        ("army", "3001234", "3001234"),
    ],
)
def test_malaysian_identity_types(kind: str, raw: str, canonical: str) -> None:
    identity = parse_identity(kind, raw, today=TODAY)
    assert (identity.number, identity.nationality) == (canonical, "MYS")
    assert identity.birth_date is None


@pytest.mark.parametrize(
    ("kind", "raw", "rule"),
    [
        ("old_ic", "123456", "must be 7 digits, or a letter and 7 digits"),
        ("old_ic", "AB1234567", "must be 7 digits, or a letter and 7 digits"),
        ("police", "123456", "must be one to three letters followed by 4 to 8 digits"),
        ("army", "T12345", "must be 6 to 8 digits, optionally after one letter"),
        ("passport", "A12", "must be 5 to 15 letters and digits"),
    ],
)
def test_malformed_other_numbers_name_the_rule(kind: str, raw: str, rule: str) -> None:
    with pytest.raises(IdentityError) as caught:
        parse_identity(kind, raw, "IDN" if kind == "passport" else None, today=TODAY)
    assert str(caught.value) == f"identity_number: {rule}"


def test_passport_needs_a_real_nationality() -> None:
    identity = parse_identity("passport", "b 2468013", "idn", today=TODAY)
    assert (identity.number, identity.nationality) == ("B2468013", "IDN")
    # A refugee's document under ICAO's code.
    assert parse_identity("passport", "R1234567", "XXB", today=TODAY).nationality
    with pytest.raises(IdentityError, match=r"^nationality: is required"):
        parse_identity("passport", "B2468013", None, today=TODAY)
    with pytest.raises(IdentityError, match=r"^nationality: ZZZ is not an ISO 3166"):
        parse_identity("passport", "B2468013", "ZZZ", today=TODAY)
    with pytest.raises(IdentityError, match=r"^nationality: a MyKad number is Malay"):
        parse_identity("mykad", "900115-11-5123", "IDN", today=TODAY)
    with pytest.raises(IdentityError, match=r"^identity_type: must be one of"):
        parse_identity("licence", "123", None, today=TODAY)


def test_display_adds_the_dashes_only_to_a_mykad() -> None:
    assert display_number("mykad", "900115115123") == "900115-11-5123"
    assert display_number("passport", "B2468013") == "B2468013"
