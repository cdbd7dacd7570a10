"""The gateway's certificate: the PEM files given, or a self-signed one for 127.0.0.1 and localhost, made
once under VAR_DIR/secrets and kept while it is valid."""

import datetime
import ipaddress
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from scripts.devstack.settings import StackSettings

HOST_NAMES = ("localhost",)
ADDRESSES = ("127.0.0.1", "::1")
VALID_FOR = datetime.timedelta(days=365)
# Made again this long before it expires, so a stack started today still has it next week.
RENEW_BEFORE = datetime.timedelta(days=7)


def gateway_certificate(settings: StackSettings) -> tuple[Path, Path] | None:
    """The certificate and key files Traefik serves (the self-signed pair made if needed); None without
    TLS. Given files must exist: Traefik would otherwise serve its own default certificate."""
    files = settings.gateway_tls_files
    if files is None:
        return None
    if settings.gateway_tls == "self-signed":
        ensure_self_signed(*files, now=datetime.datetime.now(datetime.UTC))
    for path in files:
        if not path.is_file():
            raise FileNotFoundError(f"gateway TLS file not found: {path}")
    return files


def ensure_self_signed(cert_file: Path, key_file: Path, *, now: datetime.datetime) -> bool:
    """Make a self-signed pair unless a matching one is there and valid beyond RENEW_BEFORE; True if
    made. The key is readable by its owner only."""
    if _still_valid(cert_file, key_file, now):
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "OnCall gateway (self-signed)")])
    alt_names = [x509.DNSName(n) for n in HOST_NAMES] + [
        x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(key_file, key_pem, mode=0o600)
    _write(cert_file, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return True


def _still_valid(cert_file: Path, key_file: Path, now: datetime.datetime) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (OSError, ValueError):
        return False
    same_key = _public_der(cert.public_key()) == _public_der(key.public_key())
    return same_key and cert.not_valid_before_utc <= now < cert.not_valid_after_utc - RENEW_BEFORE


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write(path: Path, data: bytes, *, mode: int) -> None:
    """Replace `path` whole, the new file created with `mode` (no moment when a key is world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(tmp, path)


def client_context(settings: StackSettings) -> ssl.SSLContext:
    """An SSL context for clients of this stack's gateway: the self-signed certificate trusted, else the
    system's authorities."""
    context = ssl.create_default_context()
    if settings.gateway_tls == "self-signed" and settings.gateway_tls_files is not None:
        context.load_verify_locations(cafile=settings.gateway_tls_files[0])
    return context
