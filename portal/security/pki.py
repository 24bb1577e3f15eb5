"""A development certificate authority for officers' certificates (Softcert).

The state's real certificates come from a licensed CA; this module makes
certificates of the same shape so that the demo and the tests run the real
certificate login end to end: a CA, officer certificates (PEM and PKCS#12)
carrying the officer's MyKad number in a subject field, a server certificate
for nginx, and a CRL. Expired and revoked certificates are made the same way,
by choosing dates or listing the serial in the CA's revocation file.

Files of a CA directory: ``ca.pem``, ``ca-key.pem``, ``revoked.txt`` (one
hex serial per line) and ``crl.pem``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

logger = logging.getLogger(__name__)

#: Subject fields that may carry the officer's identity number, by the name
#: used in settings (``SPKMS_CERT_IDENTITY_FIELD``) and on the command line.
IDENTITY_FIELDS: dict[str, x509.ObjectIdentifier] = {
    "serialNumber": NameOID.SERIAL_NUMBER,
    "CN": NameOID.COMMON_NAME,
    "UID": NameOID.USER_ID,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
}

KEY_TYPES = ("rsa", "ec")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class PkiError(ValueError):
    """A bad argument or a missing CA file; the message names which."""


@dataclass(frozen=True)
class Issued:
    """The files written for one certificate."""

    cert: Path
    key: Path
    p12: Path | None
    serial: int
    fingerprint: str


def _new_key(key_type: str) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise PkiError(f"key_type: must be one of {KEY_TYPES}, not {key_type!r}")


def _write_key(path: Path, key: PrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER encoding, lower-case hex: how certificates are registered."""
    return cert.fingerprint(hashes.SHA256()).hex()


def normalise_id_number(value: str) -> str:
    """The 12 digits of a MyKad number, whatever separators it was written with."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) != 12:
        raise PkiError(f"id_number: a MyKad number has 12 digits, got {value!r}")
    return digits


def create_ca(
    directory: Path,
    name: str = "SPKMS Development CA",
    *,
    days: int = 3650,
    key_type: str = "ec",
) -> Path:
    """Create a CA in ``directory`` (refuses to overwrite one); return ca.pem."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path = directory / "ca.pem"
    if cert_path.exists():
        raise PkiError(f"directory: {cert_path} exists already; use another folder")
    key = _new_key(key_type)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MY"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SPKMS"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    _write_key(directory / "ca-key.pem", key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "revoked.txt").write_text("", encoding="utf-8")
    write_crl(directory)
    logger.info("development CA created: %s %s", directory, fingerprint(cert))
    return cert_path


def _load_ca(directory: Path) -> tuple[x509.Certificate, PrivateKey]:
    try:
        cert = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
        key = serialization.load_pem_private_key(
            (directory / "ca-key.pem").read_bytes(), password=None
        )
    except FileNotFoundError as exc:
        raise PkiError(f"ca_dir: no CA in {directory} ({exc.filename})") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PkiError(f"ca_dir: unsupported CA key type in {directory}")
    return cert, key


def _usage(*, digital_signature: bool, key_encipherment: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def issue_officer(
    ca_dir: Path,
    out_dir: Path,
    *,
    name: str,
    id_number: str,
    identity_field: str = "serialNumber",
    days: int = 365,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_type: str = "ec",
    p12_password: str | None = None,
    client_auth: bool = True,
    basename: str | None = None,
) -> Issued:
    """Issue an officer's client certificate; write PEM, key and PKCS#12.

    ``not_before`` / ``not_after`` make expired or not-yet-valid certificates
    for tests; ``client_auth=False`` makes one without the client-login usage.
    """
    oid = IDENTITY_FIELDS.get(identity_field)
    if oid is None:
        raise PkiError(
            f"identity_field: must be one of {sorted(IDENTITY_FIELDS)}, "
            f"not {identity_field!r}"
        )
    number = normalise_id_number(id_number)
    if not name.strip():
        raise PkiError("name: must not be empty")
    ca_cert, ca_key = _load_ca(ca_dir)
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "MY"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Mahkamah Syariah"),
    ]
    if oid == NameOID.COMMON_NAME:
        attributes.append(x509.NameAttribute(oid, f"{name} {number}"))
    else:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, name))
        attributes.append(x509.NameAttribute(oid, number))
    now = datetime.now(UTC)
    start = not_before or now - timedelta(minutes=5)
    end = not_after or start + timedelta(days=days)
    if end <= start:
        raise PkiError("not_after: must be later than not_before")
    key = _new_key(key_type)
    usages = (
        [ExtendedKeyUsageOID.CLIENT_AUTH]
        if client_auth
        else [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(
            _usage(digital_signature=client_auth, key_encipherment=not client_auth),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return _write_issued(
        out_dir,
        basename or f"officer-{number}",
        cert,
        key,
        ca_cert,
        p12_password,
        friendly=name,
    )


def issue_server(
    ca_dir: Path, out_dir: Path, hostname: str = "localhost", *, days: int = 825
) -> Issued:
    """Issue a TLS server certificate for nginx (names ``hostname`` and 127.0.0.1)."""
    import ipaddress

    ca_cert, ca_key = _load_ca(ca_dir)
    key = _new_key("ec")
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(hostname),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return _write_issued(out_dir, f"server-{hostname}", cert, key, ca_cert, None)


def _write_issued(
    out_dir: Path,
    basename: str,
    cert: x509.Certificate,
    key: PrivateKey,
    ca_cert: x509.Certificate,
    p12_password: str | None,
    friendly: str | None = None,
) -> Issued:
    out_dir.mkdir(parents=True, exist_ok=True)
    cert_path = out_dir / f"{basename}.pem"
    key_path = out_dir / f"{basename}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key_path, key)
    p12_path = None
    if friendly is not None:
        encryption = (
            serialization.BestAvailableEncryption(p12_password.encode())
            if p12_password
            else serialization.NoEncryption()
        )
        p12_path = out_dir / f"{basename}.p12"
        p12_path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                friendly.encode(), key, cert, [ca_cert], encryption
            )
        )
        p12_path.chmod(0o600)
    issued = Issued(
        cert_path, key_path, p12_path, cert.serial_number, fingerprint(cert)
    )
    logger.info(
        "certificate issued: %s serial=%x fingerprint=%s",
        cert.subject.rfc4514_string(),
        cert.serial_number,
        issued.fingerprint,
    )
    return issued


def revoke(ca_dir: Path, cert_path: Path, *, days: int = 7) -> int:
    """Add a certificate of this CA to its revocation list; rewrite the CRL."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    ca_cert, _ = _load_ca(ca_dir)
    if cert.issuer != ca_cert.subject:
        raise PkiError(f"cert: {cert_path} was not issued by the CA in {ca_dir}")
    listed = ca_dir / "revoked.txt"
    serials = (
        set(listed.read_text(encoding="utf-8").split()) if listed.exists() else set()
    )
    serials.add(f"{cert.serial_number:x}")
    listed.write_text("\n".join(sorted(serials)) + "\n", encoding="utf-8")
    write_crl(ca_dir, days=days)
    return cert.serial_number


def write_crl(ca_dir: Path, out: Path | None = None, *, days: int = 7) -> Path:
    """Sign a CRL listing the serials in ``revoked.txt``; return its path."""
    ca_cert, ca_key = _load_ca(ca_dir)
    listed = ca_dir / "revoked.txt"
    serials = listed.read_text(encoding="utf-8").split() if listed.exists() else []
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=days))
    )
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(int(serial, 16))
            .revocation_date(now - timedelta(minutes=1))
            .build()
        )
    crl = builder.sign(ca_key, hashes.SHA256())
    path = out or ca_dir / "crl.pem"
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    logger.info("CRL written: %s entries=%d", path, len(serials))
    return path
