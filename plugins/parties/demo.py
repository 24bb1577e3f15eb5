"""Sample parties and lawyers for ``spkms demo``.

About fifty believable profiles of a Terengganu court's users: Malay names
written the many ways clerks write them (Mohd, Muhammad, Abd, bin, b.),
valid MyKad numbers whose date, place of birth and last digit agree with the
person, a few old identity cards, a police number and foreign passports, and
one deliberate duplicate (the same man keyed under his old IC) for the
registrar to merge. Adding them again changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from plugins.parties import services
from plugins.parties.models import Lawyer
from portal.settings import StateProfile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Address:
    line1: str
    postcode: str
    town: str


ADDRESSES = (
    Address("Kampung Losong Haji Su", "21000", "Kuala Terengganu"),
    Address("Jalan Sultan Zainal Abidin", "20000", "Kuala Terengganu"),
    Address("Kampung Gong Badak", "21300", "Kuala Nerus"),
    Address("Taman Desa Jerteh", "22000", "Jerteh"),
    Address("Kampung Raja", "22200", "Besut"),
    Address("Kampung Nyatoh", "22100", "Permaisuri"),
    Address("Kampung Tanjung Putat", "21700", "Kuala Berang"),
    Address("Jalan Pantai Marang", "21600", "Marang"),
    Address("Taman Sura Jaya", "23000", "Dungun"),
    Address("Kampung Geliga", "24000", "Chukai"),
    Address("Taman Kerteh Indah", "24300", "Kerteh"),
)

#: (full name, birth date YYMMDD, place-of-birth code, L or P).
MYKAD_HOLDERS = (
    ("Muhammad Ali bin Abu Bakar", "780312", "11", "L"),
    ("Ahmad Zaki bin Ismail", "850704", "11", "L"),
    ("Mohd Faizal bin Abd Rahman", "900115", "45", "L"),
    ("Wan Ahmad Fauzi bin Wan Ismail", "720922", "11", "L"),
    ("Nik Mohd Azmi bin Nik Hassan", "810530", "03", "L"),
    ("Che Mat bin Che Omar", "650101", "11", "L"),
    ("Abdullah bin Awang", "590817", "46", "L"),
    ("Mohd Shukri bin Mamat", "880228", "11", "L"),
    ("Azhar bin Ibrahim", "760406", "06", "L"),
    ("Ismail bin Sulong", "680919", "11", "L"),
    ("Hafizuddin bin Zakaria", "950612", "45", "L"),
    ("Mohd Redzuan bin Yusof", "870305", "14", "L"),
    ("Kamarulzaman bin Embong", "700710", "11", "L"),
    ("Syed Hamid bin Syed Abdullah", "830224", "10", "L"),
    ("Zulkifli bin Daud", "790808", "11", "L"),
    ("Rosli bin Jusoh", "660413", "46", "L"),
    ("Mohamad Nazri bin Harun", "910127", "11", "L"),
    ("Amirul Hakim bin Razali", "000229", "45", "L"),
    ("Muhammad Danial bin Abdul Halim", "020914", "11", "L"),
    ("Tengku Ariff bin Tengku Ismail", "840503", "11", "L"),
    ("Ali bin Ahmad", "740618", "03", "L"),
    ("Abu Bakar bin Salleh", "620927", "11", "L"),
    ("Haji Yusoff bin Hj Mohamad", "550314", "11", "L"),
    ("Muhammad Daniel Lee bin Abdullah", "890121", "07", "L"),
    ("Razak bin Endut", "730830", "46", "L"),
    ("Siti Aminah binti Abdullah", "820419", "11", "P"),
    ("Nor Azizah binti Mohd Noor", "860902", "45", "P"),
    ("Nurul Huda binti Ismail", "930517", "11", "P"),
    ("Wan Noraini binti Wan Abdullah", "770111", "11", "P"),
    ("Nik Rohani binti Nik Mat", "690623", "03", "P"),
    ("Che Puteh binti Che Awang", "610205", "46", "P"),
    ("Faridah binti Hussin", "800716", "11", "P"),
    ("Rohana binti Mamat", "750328", "11", "P"),
    ("Zaleha binti Ali", "920804", "45", "P"),
    ("Aishah binti Abdul Rahman", "971210", "11", "P"),
    ("Noorhayati binti Yaacob", "710915", "06", "P"),
    ("Rosnani binti Sulaiman", "670522", "11", "P"),
    ("Hasnah binti Ibrahim", "580130", "46", "P"),
    ("Nur Syafiqah binti Mohd Zaki", "010309", "11", "P"),
    ("Fatimah binti Awang", "630418", "11", "P"),
    ("Khadijah binti Ismail", "850826", "10", "P"),
    ("Siti Nurhaliza binti Harun", "940611", "11", "P"),
    ("Sharifah Zahrah binti Syed Hussein", "880102", "14", "P"),
    ("Tengku Nur Aini binti Tengku Abdullah", "791120", "11", "P"),
    ("Maimunah binti Embong", "600724", "46", "P"),
    ("Salmah binti Deraman", "731005", "11", "P"),
    ("Norhayati binti Abu Bakar", "960213", "45", "P"),
)

#: Profiles under other identity types: (name, type, number, nationality, born).
OTHER_HOLDERS = (
    ("Hj Omar bin Hj Salleh", "old_ic", "A0412345", "MYS", "1941-06-02"),
    ("Mohd Ali b. Abu Bakar", "old_ic", "6543210", "MYS", None),
    ("Kpl. Azman bin Said", "police", "RF112233", "MYS", "1984-02-17"),
    ("Siti Rahmah binti Sulaiman", "passport", "B2468013", "IDN", "1990-09-09"),
    ("Somchai Abdullah", "passport", "AA1234567", "THA", "1986-12-01"),
)

#: (name, practising certificate, firm, phone).
LAWYERS = (
    (
        "Zainal Abidin bin Mohd Said",
        "TRG/PS/2009/014",
        "Tetuan Zainal & Rakan",
        "096221041",
    ),
    (
        "Nik Suhaila binti Nik Ahmad",
        "TRG/PS/2014/052",
        "Tetuan Suhaila Ahmad",
        "096247788",
    ),
    (
        "Mohd Hafiz bin Abd Ghani",
        "TRG/PS/2017/083",
        "Tetuan Hafiz Ghani & Co",
        "0139876543",
    ),
    (
        "Rahimah binti Yusof",
        "TRG/PS/2011/031",
        "Tetuan Rahimah & Partners",
        "098592210",
    ),
    ("Wan Faisal bin Wan Ahmad", "TRG/PS/2020/117", "Tetuan Wan Faisal", "0197654321"),
    ("Aminuddin bin Hassan", "TRG/PS/2006/007", "Tetuan Aminuddin Hassan", "098441230"),
)


def mykad_number(born: str, place: str, index: int, gender: str) -> str:
    """A MyKad number for a sample person: serial from ``index``, last digit
    odd for a man and even for a woman, as the real numbers are."""
    serial = f"{(index * 37 + 101) % 1000:03d}"
    last = (index * 2 + (1 if gender == "L" else 0)) % 10
    return f"{born}-{place}-{serial}{last}"


def demo_party_fields() -> list[dict[str, Any]]:
    """The sample profiles as ``services.create_party`` fields."""
    rows: list[dict[str, Any]] = []
    for index, (name, born, place, gender) in enumerate(MYKAD_HOLDERS):
        address = ADDRESSES[index % len(ADDRESSES)]
        rows.append(
            {
                "full_name": name,
                "identity_type": "mykad",
                "identity_number": mykad_number(born, place, index, gender),
                "address_line1": f"No. {index * 7 % 90 + 1}, {address.line1}",
                "postcode": address.postcode,
                "town": address.town,
                "state": "Terengganu",
                "phone": f"01{index % 10}-{4000000 + index * 7919:07d}",
            }
        )
    for index, (name, kind, number, country, born) in enumerate(OTHER_HOLDERS):
        address = ADDRESSES[(index + 3) % len(ADDRESSES)]
        rows.append(
            {
                "full_name": name,
                "identity_type": kind,
                "identity_number": number,
                "nationality": country,
                "birth_date": born,
                "address_line1": address.line1,
                "postcode": address.postcode,
                "town": address.town,
                "state": "Terengganu",
            }
        )
    return rows


def add_demo_parties(profile: StateProfile, session: Session) -> int:
    """Add the sample parties and lawyers that are missing; return how many."""
    added = 0
    for fields in demo_party_fields():
        known = services.find_by_identity(
            fields["identity_type"],
            fields["identity_number"],
            fields.get("nationality"),
        )
        if known is None:
            services.create_party(**fields)
            added += 1
    for name, certificate, firm, phone in LAWYERS:
        if session.scalar(
            sa.select(Lawyer.id).where(Lawyer.certificate_number == certificate)
        ):
            continue
        services.create_lawyer(
            name=name,
            certificate_number=certificate,
            firm=firm,
            phone=phone,
            address=f"Kuala Terengganu, {profile.name}",
        )
        added += 1
    logger.info("demo parties for %s: %d added", profile.key, added)
    return added
