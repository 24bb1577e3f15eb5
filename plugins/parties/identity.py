"""Identity numbers of parties: MyKad, old IC, police, army and passport.

Each kind is parsed into one canonical form, so the same person keyed with or
without dashes and spaces is found again (``identity_number`` is stored
canonical and the database keeps it unique). A number that breaks a rule
raises ``IdentityError`` naming the field and the rule that failed.

What is accepted, per ``identity_type``:

- ``mykad``: 12 digits ``YYMMDD-PB-###G`` with or without dashes and spaces,
  checked by python-stdnum's ``stdnum.my.nric`` (a real date of birth, a known
  place-of-birth code); stored as the 12 digits, shown with dashes. The date
  of birth and the gender (odd last digit: male) are derived from it.
- ``old_ic``: the identity card before MyKad: 7 digits, or a letter and 7
  digits (``A1234567``); stored upper-case without separators.
- ``police``: a PDRM service number, one to three letters followed by four to
  eight digits (``RF123456``, ``G12345``); stored upper-case, no separators.
- ``army``: an armed forces service number, an optional letter followed by
  six to eight digits (``T1234567``, ``3001234``); stored the same way.
- ``passport``: 5 to 15 letters and digits with the issuing nationality as
  an ISO 3166 alpha-3 code (ICAO's ``XXA``/``XXB``/``XXC``/``XXX`` for
  stateless persons, refugees and unspecified nationality included).

The four Malaysian kinds carry nationality ``MYS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum.exceptions import (
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.my import nric

from portal.i18n import N_

MYKAD = "mykad"
OLD_IC = "old_ic"
POLICE = "police"
ARMY = "army"
PASSPORT = "passport"

#: Identity types with their screen labels, in the order screens offer them.
IDENTITY_TYPES: dict[str, str] = {
    MYKAD: N_("MyKad"),
    OLD_IC: N_("Kad Pengenalan Lama"),
    POLICE: N_("No. Polis"),
    ARMY: N_("No. Tentera"),
    PASSPORT: N_("Pasport"),
}
MALAYSIAN = "MYS"
#: Identity types that only Malaysians hold.
MALAYSIAN_TYPES = frozenset({MYKAD, OLD_IC, POLICE, ARMY})
MALE = "L"
FEMALE = "P"
#: Gender codes with their screen labels (lelaki, perempuan).
GENDERS: dict[str, str] = {MALE: "Lelaki", FEMALE: "Perempuan"}

#: ISO 3166-1 alpha-3 country codes, and ICAO's codes for stateless persons
#: (XXA), refugees (XXB, XXC) and unspecified nationality (XXX).
_ISO_CODES = """
    ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL
    BEN BES BFA BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA
    CAF CAN CCK CHE CHL CHN CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM
    CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH FIN FJI FLK FRA
    FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM
    GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY
    JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU
    LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ
    MRT MSR MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL
    OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS
    RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK
    SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV
    TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM VUT WLF WSM YEM ZAF
    ZMB ZWE XXA XXB XXC XXX
    """
NATIONALITIES = frozenset(_ISO_CODES.split())

_SEPARATORS = re.compile(r"[\s\-/.]+")
# TODO(unconfirmed formats): the police and army number shapes below are
# assumptions (no public source was found); move them into the state profile
# once PDRM's and ATM's formats are confirmed.
_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    OLD_IC: (re.compile(r"[A-Z]?\d{7}"), "must be 7 digits, or a letter and 7 digits"),
    POLICE: (
        re.compile(r"[A-Z]{1,3}\d{4,8}"),
        "must be one to three letters followed by 4 to 8 digits",
    ),
    ARMY: (
        re.compile(r"[A-Z]?\d{6,8}"),
        "must be 6 to 8 digits, optionally after one letter",
    ),
    PASSPORT: (
        re.compile(r"[A-Z0-9]{5,15}"),
        "must be 5 to 15 letters and digits",
    ),
}


class IdentityError(ValueError):
    """An identity number or a fact about it breaks a rule.

    ``field`` names the input (``identity_number``, ``birth_date``, ...) and
    ``rule`` says what is wrong, so screens and the API can show both.
    """

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


@dataclass(frozen=True)
class Identity:
    """A checked identity: type, canonical number, nationality, derived facts.

    ``birth_date`` and ``gender`` are known only for a MyKad.
    """

    identity_type: str
    number: str
    nationality: str
    birth_date: date | None = None
    gender: str | None = None

    @property
    def display(self) -> str:
        """The number as people write it (a MyKad with its dashes)."""
        return display_number(self.identity_type, self.number)


def display_number(identity_type: str | None, number: str | None) -> str:
    """``number`` as shown on screen: ``YYMMDD-PB-###G`` for a MyKad."""
    if not number:
        return ""
    if identity_type == MYKAD and len(number) == 12 and number.isdigit():
        return nric.format(number)
    return number


def parse_mykad(
    raw: str, *, today: date | None = None, field: str = "identity_number"
) -> Identity:
    """Check a MyKad number and derive its date of birth and gender.

    Raises ``IdentityError`` naming which rule failed: the length and digits,
    the date of birth, or the place-of-birth code.
    """
    number = nric.compact(raw or "")
    try:
        nric.validate(number)
    except (InvalidLength, InvalidFormat):
        raise IdentityError(field, "must be 12 digits") from None
    except InvalidComponent:
        try:
            nric.get_birth_date(number)
        except ValidationError:
            raise IdentityError(
                field, f"{number[:6]} is not a real date of birth"
            ) from None
        raise IdentityError(
            field, f"{number[6:8]} is not a known place-of-birth code"
        ) from None
    born = _mykad_birth_date(number, today or date.today(), field)
    gender = MALE if int(number[-1]) % 2 else FEMALE
    return Identity(MYKAD, number, MALAYSIAN, born, gender)


def _mykad_birth_date(number: str, today: date, field: str) -> date:
    """The date of birth a MyKad encodes: the latest century not in the future.

    The number holds two digits of the year; a person born in 1925 and one
    born in 2025 share them. Nobody is born in the future, so 2000s are taken
    when that date has passed, else the 1900s.
    """
    # TODO(century): a party over 100 years old whose birthday falls before
    # today's date reads as a child; a birth date keyed with the profile
    # resolves it (check_birth_facts accepts the other century).
    year, month, day = int(number[:2]), int(number[2:4]), int(number[4:6])
    for century in (2000, 1900):
        try:
            born = date(century + year, month, day)
        except ValueError:
            continue
        if born <= today:
            return born
    raise IdentityError(field, f"{number[:6]} is not a real date of birth")


def _compact(raw: str) -> str:
    return _SEPARATORS.sub("", (raw or "").strip()).upper()


def parse_nationality(raw: str | None, *, field: str = "nationality") -> str | None:
    """An ISO 3166 alpha-3 code, upper-cased, or ``None`` when not given."""
    code = (raw or "").strip().upper()
    if not code:
        return None
    if code not in NATIONALITIES:
        raise IdentityError(field, f"{code} is not an ISO 3166 alpha-3 country code")
    return code


def parse_identity(
    identity_type: str | None,
    number: str | None,
    nationality: str | None = None,
    *,
    today: date | None = None,
) -> Identity:
    """Check ``number`` as an identity of ``identity_type``; return it canonical.

    Malaysian kinds take nationality ``MYS`` (given or not; another one is
    refused); a passport needs its issuing nationality.
    """
    kind = (identity_type or "").strip().lower()
    if kind not in IDENTITY_TYPES:
        raise IdentityError(
            "identity_type", f"must be one of {', '.join(IDENTITY_TYPES)}"
        )
    if not (number or "").strip():
        raise IdentityError("identity_number", "is required")
    country = parse_nationality(nationality)
    if kind in MALAYSIAN_TYPES:
        if country not in (None, MALAYSIAN):
            raise IdentityError(
                "nationality", f"a {IDENTITY_TYPES[kind]} number is Malaysian (MYS)"
            )
        if kind == MYKAD:
            return parse_mykad(number or "", today=today)
        country = MALAYSIAN
    elif country is None:
        raise IdentityError("nationality", "is required with a passport")
    canonical = _compact(number or "")
    pattern, rule = _PATTERNS[kind]
    if not pattern.fullmatch(canonical):
        raise IdentityError("identity_number", rule)
    return Identity(kind, canonical, country)


def check_birth_facts(
    identity: Identity,
    birth_date: date | None,
    gender: str | None,
    *,
    today: date,
) -> tuple[date | None, str | None]:
    """The birth date and gender to store, checked against the identity.

    A MyKad decides both; a given value that contradicts it is refused (the
    century of a given birth date may differ: the number cannot tell 1925 from
    2025). No birth date may lie in the future.
    """
    if gender is not None and gender not in GENDERS:
        raise IdentityError("gender", "must be L (lelaki) or P (perempuan)")
    if birth_date is not None and birth_date > today:
        raise IdentityError("birth_date", "must not be in the future")
    if identity.identity_type != MYKAD:
        return birth_date, gender
    derived = identity.birth_date
    assert derived is not None
    if birth_date is not None and (
        birth_date.year % 100,
        birth_date.month,
        birth_date.day,
    ) != (derived.year % 100, derived.month, derived.day):
        raise IdentityError(
            "birth_date",
            f"{birth_date.isoformat()} contradicts the MyKad number, which gives "
            f"{derived.isoformat()}",
        )
    if gender is not None and gender != identity.gender:
        raise IdentityError(
            "gender",
            f"{GENDERS[gender].lower()} contradicts the MyKad number, whose odd or "
            f"even last digit gives {GENDERS[identity.gender or MALE].lower()}",
        )
    return birth_date or derived, identity.gender
