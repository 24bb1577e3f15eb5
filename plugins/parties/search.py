"""Finding parties: exact by identity number, fuzzy and ranked by name.

Names are compared through ``name_key``, a normal form written with every
profile: lower-case ASCII words with the Malay patronymic (bin, binti, bt,
a/l, ...) removed, the usual abbreviations spelled out (Mohd -> muhammad,
Abd -> abdul, Hj -> haji) and the name particles that people write both
joined and apart glued to the next word ("Abdul Rahman" and "Abdulrahman"
are both ``abdulrahman``, "Abu Bakar" is ``abubakar``).

Keys are ranked by trigram similarity. PostgreSQL computes it with pg_trgm
(``similarity()`` and the ``%`` operator, backed by a GIN index on
``name_key``); SQLite gets a function of the same name with the same
semantics on every connection (``install_similarity``), so one query ranks
alike on both.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import struct
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from plugins.parties.identity import Identity
from plugins.parties.models import Party

logger = logging.getLogger(__name__)

#: pg_trgm's own default threshold for ``%``.
DEFAULT_MIN_SCORE = 0.3
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
#: Merged profiles point on; a chain longer than this is a data error.
MAX_MERGE_HOPS = 10

#: Words dropped from a name: "son/daughter of" in Malay, Iban and Indian names.
PATRONYMIC = frozenset({"bin", "binti", "bt", "bte", "binte", "bnt", "b", "anak"})
#: Abbreviations written out, so every spelling compares equal.
SPELLED_OUT = {
    "mohd": "muhammad",
    "muhd": "muhammad",
    "md": "muhammad",
    "mhd": "muhammad",
    "mohamad": "muhammad",
    "mohammad": "muhammad",
    "mohamed": "muhammad",
    "mohammed": "muhammad",
    "muhamad": "muhammad",
    "muhammed": "muhammad",
    "abd": "abdul",
    "ab": "abdul",
    "hj": "haji",
    "hjh": "hajah",
    "hajjah": "hajah",
}
#: Particles people write both apart from and joined to the next word.
GLUED = frozenset({"abdul", "abu", "nur", "nurul", "noor", "nor", "al", "el"})
# "a/l", "a/p" (anak lelaki / perempuan), "s/o", "d/o" before splitting on "/".
_RELATION = re.compile(r"\b(?:a\s*/\s*[lp]|[sd]\s*/\s*o)\b", re.IGNORECASE)
_APOSTROPHES = re.compile(r"['\u2018\u2019`\u02bc]")
_WORD = re.compile(r"[a-z0-9]+")


def name_key(text: str | None) -> str:
    """The normal form of a person's name used for searching.

    Only the letters a-z and digits survive (accents are folded); a name in
    another script has an empty key.
    """
    # TODO(other scripts): names keyed in Jawi or Chinese characters get an
    # empty key and are found by identity number only.
    folded = unicodedata.normalize("NFKD", text or "")
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = _APOSTROPHES.sub("", _RELATION.sub(" ", folded)).lower()
    words: list[str] = []
    for word in _WORD.findall(folded):
        if word in PATRONYMIC:
            continue
        words.append(SPELLED_OUT.get(word, word))
    glued: list[str] = []
    pending = ""
    for word in words:
        if word in GLUED:
            pending += word
            continue
        glued.append(pending + word)
        pending = ""
    if pending:
        glued.append(pending)
    return " ".join(glued)


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of ``text``: each word padded with two spaces
    in front and one behind, cut into every run of three characters."""
    grams: set[str] = set()
    for word in re.findall(r"[^\W_]+", text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(left: str | None, right: str | None) -> float | None:
    """pg_trgm's ``similarity()``: shared trigrams over all trigrams.

    Rounded to single precision as PostgreSQL's ``real`` result is, so the
    same pair scores the same on both backends.
    """
    if left is None or right is None:
        return None
    a, b = trigrams(left), trigrams(right)
    if not a or not b:
        return 0.0
    common = len(a & b)
    score = common / (len(a) + len(b) - common)
    return struct.unpack("f", struct.pack("f", score))[0]


def _register_on(dbapi_connection: Any, _record: Any = None) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            "similarity", 2, similarity, deterministic=True
        )


def install_similarity(engine: sa.Engine) -> None:
    """Give every SQLite connection of ``engine`` a ``similarity()`` function.

    Called for each app while its plugins register (``spkms_register_views``);
    pooled connections opened before that are closed so that every connection
    has it. PostgreSQL has pg_trgm and needs nothing.
    """
    if engine.dialect.name != "sqlite" or event.contains(
        engine, "connect", _register_on
    ):
        return
    event.listen(engine, "connect", _register_on)
    engine.dispose()
    logger.info("similarity() registered for SQLite engine %s", engine.url)


@dataclass(frozen=True)
class Match:
    """One profile found by name, with its similarity score (0 to 1)."""

    party: Party
    score: float


def resolve_merged(session: Session, party: Party | None) -> Party | None:
    """The surviving profile ``party`` was merged into (itself if not merged)."""
    hops = 0
    while party is not None and party.merged_into_id is not None:
        hops += 1
        if hops > MAX_MERGE_HOPS:
            logger.error("merge chain too long at party=%s", party.id)
            break
        party = session.get(Party, party.merged_into_id)
    return party


def find_identity(session: Session, identity: Identity) -> Party | None:
    """The profile holding ``identity`` (an indexed equality query), followed
    to its survivor when it was merged."""
    found = session.scalar(
        sa.select(Party).where(
            Party.identity_type == identity.identity_type,
            Party.identity_number == identity.number,
            Party.nationality == identity.nationality,
        )
    )
    return resolve_merged(session, found)


def rank_by_name(
    session: Session,
    text: str,
    *,
    limit: int = DEFAULT_LIMIT,
    min_score: float = DEFAULT_MIN_SCORE,
) -> list[Match]:
    """Profiles whose name resembles ``text``, best first, at most ``limit``.

    Merged profiles are left out (their survivor is listed). Equal scores are
    ordered oldest profile first: by id, not by name, because the two
    backends collate names differently and the order must be the same.
    """
    key = name_key(text)
    if not key:
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    score = sa.func.similarity(Party.name_key, key)
    statement = (
        sa.select(Party, score.label("score"))
        .where(Party.merged_into_id.is_(None), score >= min_score)
        .order_by(score.desc(), Party.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # TODO(common names): over a million profiles a common name ("siti
        # aminah abdullah") shares trigrams with tens of thousands of keys, so
        # the GIN candidates take 0.5-1.5 s to recheck (benchmarks/README.md).
        # A KNN GiST scan (`<->`) measured 10-300 ms; a word-level pre-filter
        # on the rarer words of the name is the next step.
        # `%` lets the GIN index narrow the rows; its threshold is the minimum
        # score, for this transaction only.
        session.execute(
            sa.select(
                sa.func.set_config(
                    "pg_trgm.similarity_threshold", str(min_score), sa.true()
                )
            )
        )
        statement = statement.where(Party.name_key.op("%")(key))
    matches = [
        Match(party, round(float(found), 4))
        for party, found in session.execute(statement)
    ]
    logger.debug("name search key=%r found=%d", key, len(matches))
    return matches
