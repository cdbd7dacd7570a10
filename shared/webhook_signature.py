"""Webhook signatures: HMAC-SHA256 over `<t>.<raw body>`, sent as `X-OnCall-Signature: t=<t>,v1=<hex>`.

Standard library only, so receivers can copy this file as it is. During a secret rotation the header
carries one `v1=` per valid secret; a receiver accepts the request when any of them matches.
"""

import hashlib
import hmac
import time
from collections.abc import Iterable

SIGNATURE_HEADER = "X-OnCall-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, t: int) -> str:
    """Hex HMAC-SHA256 of `<t>.<body>` keyed by `secret`."""
    message = str(int(t)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Iterable[str], body: bytes, t: int) -> str:
    """`t=<t>,v1=<hex>[,v1=<hex>…]`, one v1 per secret (current first)."""
    return ",".join([f"t={int(t)}", *(f"v1={sign(secret, body, t)}" for secret in secrets)])


def parse_header(header: str) -> tuple[int | None, list[str]]:
    """The timestamp (None if missing or malformed) and every v1 digest of a signature header."""
    t, digests = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            t = int(value)
        elif key == "v1" and value:
            digests.append(value)
    return t, digests


def verify(
    header: str,
    body: bytes,
    secrets: Iterable[str],
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when the timestamp is within `tolerance` seconds of now and a v1 digest matches a secret."""
    t, digests = parse_header(header or "")
    if t is None or not digests:
        return False
    current = time.time() if now is None else now
    if abs(current - t) > tolerance:
        return False
    expected = [sign(secret, body, t) for secret in secrets]
    return any(hmac.compare_digest(d, e) for d in digests for e in expected)
