"""Helpers of the parties tests: fresh MyKad numbers and party fields.

The session's app is shared by every test file, so each test keys people
with numbers nobody else uses: the date of birth walks forward from 1971
with a counter, and the serial makes the last digit match the gender.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

_counter = itertools.count(1)
#: Place-of-birth code of every test number (Terengganu).
PLACE = "45"


def new_mykad(gender: str = "L", *, dashes: bool = True) -> str:
    """A valid MyKad number no other test has used, for a man (L) or woman (P)."""
    n = next(_counter)
    born = date(1971, 1, 1) + timedelta(days=n * 3)
    serial = f"{n % 1000:03d}"
    last = 1 if gender == "L" else 2
    parts = (born.strftime("%y%m%d"), PLACE, f"{serial}{last}")
    return "-".join(parts) if dashes else "".join(parts)


def party_fields(name: str, gender: str = "L", **extra: Any) -> dict[str, Any]:
    """Fields of a MyKad holder for ``services.create_party``."""
    return {
        "full_name": name,
        "identity_type": "mykad",
        "identity_number": new_mykad(gender),
        **extra,
    }
