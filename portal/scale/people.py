"""Believable people for the scale data set: Malay names and MyKad numbers.

Names are put together from lists of given names and fathers' names and then
written the many ways court counters write them (``Mohd``, ``Muhd``, ``Md``
for Muhammad; ``Abd`` for Abdul; ``bin``/``b.``, ``binti``/``bt``), because
the fuzzy name search must cope with exactly that. MyKad numbers are built
from a real date of birth, a place-of-birth code that python-stdnum knows and
a serial counted per date, place and gender, so every number is valid and no
two people share one; the last digit is odd for a man and even for a woman,
as on real cards.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

MALE = "L"
FEMALE = "P"


def _names(text: str) -> tuple[str, ...]:
    """A comma-separated list of names (some of two words) as a tuple."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


MALE_GIVEN = _names(
    """
    Ahmad, Ali, Amir, Amirul, Anuar, Arif, Asyraf, Azhar, Azlan, Azman, Aziz,
    Badrul, Danial, Darus, Fadzil, Faiz, Faizal, Farhan, Fauzi, Firdaus, Hafiz,
    Hakim, Halim, Hamdan, Hanafi, Harith, Hasan, Hisham, Husin, Ikhwan, Ilyas,
    Irfan, Iskandar, Ismail, Izzat, Jamal, Kamal, Kamarul, Khairul, Lokman, Luqman,
    Mahmud, Mazlan, Mokhtar, Nabil, Nazri, Nizam, Noordin, Rahim, Razak, Redzuan,
    Ridhwan, Rizal, Rosli, Safwan, Saiful, Salleh, Shafiq, Shahrul, Shukri,
    Sulaiman, Syafiq, Syahmi, Taufik, Wafi, Yazid, Yusri, Zaki, Zamri, Zikri,
    Zulkifli, Zulhilmi
    """
)
FEMALE_GIVEN = _names(
    """
    Adibah, Afiqah, Aina, Aishah, Alia, Amalina, Aminah, Anis, Asma, Atiqah,
    Azizah, Balqis, Dayang, Dalila, Farah, Faridah, Fatimah, Hafizah, Halimah,
    Hanis, Hasnah, Hidayah, Huda, Intan, Izzati, Jamilah, Khadijah, Latifah,
    Liyana, Maimunah, Mariam, Maisarah, Nabilah, Nadia, Najwa, Natasha, Noraini,
    Norhayati, Normah, Nurin, Rabiatul, Rahmah, Rohana, Rosnah, Rozita, Safiah,
    Salmah, Sarah, Shahida, Sofea, Suhaila, Syafiqah, Syahirah, Wardah, Yasmin,
    Zainab, Zaleha, Zulaikha, Zurina
    """
)
#: Fathers' names: the second half of "X bin/binti Y".
FATHERS = _names(
    """
    Abdullah, Abu Bakar, Ahmad, Ali, Awang, Daud, Deraman, Embong, Endut, Hamzah,
    Harun, Hassan, Hussin, Ibrahim, Ismail, Jusoh, Mamat, Mat, Muda, Musa, Ngah,
    Omar, Othman, Said, Salleh, Sulong, Sulaiman, Taib, Yaacob, Yusof, Zakaria,
    Abdul Rahman, Abdul Hamid, Abdul Ghani, Abdul Aziz, Abdul Karim, Abdul Latif,
    Abdul Wahab, Muhammad, Muhammad Nor, Muhammad Zain, Wan Ismail, Che Omar,
    Nik Hassan, Idris, Kassim, Rashid, Ramli, Yahya
    """
)
#: Hereditary titles that stand before both the person's and the father's name.
TITLED = (("Wan", 0.05), ("Nik", 0.03), ("Che", 0.02), ("Tengku", 0.005))

#: Place-of-birth codes (digits 7-8 of a MyKad) with how often they occur in a
#: Terengganu court: Terengganu's own codes first, then the neighbouring states.
BIRTH_PLACES = (
    ("11", 0.55),
    ("45", 0.12),
    ("46", 0.08),
    ("03", 0.08),
    ("28", 0.02),
    ("06", 0.05),
    ("14", 0.04),
    ("10", 0.03),
    ("01", 0.02),
    ("02", 0.01),
)


def _weighted(pairs: tuple[tuple[str, float], ...]) -> tuple[list[str], list[float]]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


_PLACES, _PLACE_WEIGHTS = _weighted(BIRTH_PLACES)


def _spell_muhammad(rng: random.Random) -> str:
    return rng.choices(("Muhammad", "Mohd", "Muhd", "Md", "Mohamad"), (4, 4, 1, 1, 1))[
        0
    ]


def _spell_abdul(name: str, rng: random.Random) -> str:
    if name.startswith("Abdul ") and rng.random() < 0.4:
        return "Abd " + name[len("Abdul ") :]
    if name.startswith("Muhammad") and rng.random() < 0.6:
        return _spell_muhammad(rng) + name[len("Muhammad") :]
    return name


def person_name(rng: random.Random, gender: str) -> str:
    """A full name as a clerk might key it, e.g. ``Mohd Faiz bin Abd Rahman``."""
    if gender == MALE:
        given = rng.choice(MALE_GIVEN)
        roll = rng.random()
        if roll < 0.35:
            given = f"{_spell_muhammad(rng)} {given}"
        elif roll < 0.45:
            given = f"{given} {rng.choice(MALE_GIVEN)}"
        link = "bin" if rng.random() < 0.93 else "b."
    else:
        given = rng.choice(FEMALE_GIVEN)
        roll = rng.random()
        if roll < 0.25:
            given = f"{rng.choice(('Nur', 'Nurul', 'Siti', 'Nor'))} {given}"
        elif roll < 0.35:
            given = f"{given} {rng.choice(FEMALE_GIVEN)}"
        link = "binti" if rng.random() < 0.9 else "bt"
    father = _spell_abdul(rng.choice(FATHERS), rng)
    title = next((t for t, share in TITLED if rng.random() < share), None)
    if title and not father.startswith(("Wan ", "Nik ", "Che ")):
        return f"{title} {given} {link} {title} {father}"
    return f"{given} {link} {father}"


class MyKadMaker:
    """Hands out unique, valid MyKad numbers.

    ``taken`` holds numbers already in the database, which are skipped.
    """

    def __init__(self, rng: random.Random, today: date, taken: set[str]) -> None:
        self.rng = rng
        self.today = today
        self.taken = taken
        self._serials: Counter[tuple[str, str, str]] = Counter()

    def birth_date(self) -> date:
        """An adult's date of birth: 18 to 85 years before ``today``."""
        days = self.rng.randint(18 * 365 + 5, 85 * 365)
        return self.today - timedelta(days=days)

    def make(self, born: date, gender: str) -> str:
        """The next free number for ``born`` and ``gender``, at a random place."""
        while True:
            place = self.rng.choices(_PLACES, _PLACE_WEIGHTS)[0]
            key = (born.strftime("%y%m%d"), place, gender)
            count = self._serials[key]
            self._serials[key] = count + 1
            if count >= 5000:  # serials 000-999 times five last digits
                born = born - timedelta(days=1)
                continue
            serial, last = divmod(count, 5)
            digit = last * 2 + (1 if gender == MALE else 0)
            number = f"{key[0]}{place}{serial:03d}{digit}"
            if number not in self.taken:
                self.taken.add(number)
                return number
