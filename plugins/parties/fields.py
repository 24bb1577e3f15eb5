"""Checks of single input fields, and the error every refusal raises.

Shared by the party and lawyer rules in ``services``: text free of markup
and control characters, e-mail addresses, phone numbers, postcodes, dates
and gender codes, each turned into its stored form or refused with a
``PartyError`` naming the field and the rule.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from plugins.parties.identity import GENDERS

_SPACES = re.compile(r" {2,}")
_EMAIL = re.compile(r"[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"\+?\d{9,15}")
_POSTCODE = re.compile(r"\d{5}")


class PartyError(ValueError):
    """Input for a party, lawyer or merge breaks a rule.

    ``field`` names the input and ``rule`` says what is wrong; the message is
    ``"field: rule"``, which screens flash and the API returns as
    ``{field: [rule]}``.
    """

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


def today() -> date:
    """Today in the state's time zone: what "in the future" is measured from."""
    zone = "Asia/Kuala_Lumpur"
    if has_app_context() and "spkms" in current_app.extensions:
        zone = current_app.extensions["spkms"].profile.timezone
    return datetime.now(ZoneInfo(zone)).date()


def clean_text(
    field: str, value: Any, *, max_length: int, required: bool = False
) -> str | None:
    """A line of text, trimmed, free of markup and control characters.

    Names and addresses are printed on court documents and shown in screens;
    angle brackets have no place in either, so they are refused rather than
    escaped and kept.
    """
    text = _SPACES.sub(" ", str(value).strip()) if value is not None else ""
    if not text:
        if required:
            raise PartyError(field, "is required")
        return None
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in text):
        raise PartyError(field, "must not contain control characters")
    if "<" in text or ">" in text:
        raise PartyError(field, "must not contain markup")
    if len(text) > max_length:
        raise PartyError(field, f"must be at most {max_length} characters")
    return text


def clean_name(field: str, value: Any) -> str:
    """A person's name: required clean text with at least one letter."""
    name = clean_text(field, value, max_length=200, required=True)
    assert name is not None
    if not any(char.isalpha() for char in name):
        raise PartyError(field, "must contain letters")
    return name


def clean_email(value: Any) -> str | None:
    """An e-mail address, or ``None``; the domain is lower-cased."""
    text = clean_text("email", value, max_length=200)
    if text is None:
        return None
    if not _EMAIL.fullmatch(text):
        raise PartyError("email", "must be an e-mail address like nama@contoh.my")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_phone(value: Any) -> str | None:
    """A phone number as digits (a leading + kept), or ``None``."""
    text = clean_text("phone", value, max_length=30)
    if text is None:
        return None
    digits = _PHONE_SEPARATORS.sub("", text)
    if not _PHONE.fullmatch(digits):
        raise PartyError("phone", "must be 9 to 15 digits, optionally after a +")
    return digits


def clean_postcode(value: Any) -> str | None:
    """A Malaysian postcode (5 digits), or ``None``."""
    text = clean_text("postcode", value, max_length=10)
    if text is None:
        return None
    if not _POSTCODE.fullmatch(text):
        raise PartyError("postcode", "must be 5 digits")
    return text


def clean_date(field: str, value: Any) -> date | None:
    """A date from a ``date`` or an ISO ``YYYY-MM-DD`` string, or ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise PartyError(field, "must be a date (YYYY-MM-DD)") from None


def clean_gender(value: Any) -> str | None:
    """``L`` or ``P`` (upper-cased), or ``None``."""
    text = (str(value).strip().upper() if value is not None else "") or None
    if text is not None and text not in GENDERS:
        raise PartyError("gender", "must be L (lelaki) or P (perempuan)")
    return text
