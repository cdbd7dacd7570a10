"""The shipped verification function: what receivers copy."""

from shared.webhook_signature import parse_header, sign, signature_header, verify

BODY = b'{"id":"e1","type":"incident.triggered"}'
T = 1_800_000_000


def test_signed_body_verifies_with_its_secret():
    header = signature_header(["s3cret"], BODY, T)
    assert header == f"t={T},v1={sign('s3cret', BODY, T)}"
    assert verify(header, BODY, ["s3cret"], now=T + 10)


def test_tampered_body_fails():
    header = signature_header(["s3cret"], BODY, T)
    assert not verify(header, BODY.replace(b"triggered", b"resolved"), ["s3cret"], now=T)


def test_wrong_secret_fails():
    header = signature_header(["s3cret"], BODY, T)
    assert not verify(header, BODY, ["other"], now=T)


def test_stale_or_future_timestamp_fails():
    header = signature_header(["s3cret"], BODY, T)
    assert not verify(header, BODY, ["s3cret"], tolerance=300, now=T + 301)
    assert not verify(header, BODY, ["s3cret"], tolerance=300, now=T - 301)


def test_changed_timestamp_fails_even_with_the_same_digest():
    digest = sign("s3cret", BODY, T)
    assert not verify(f"t={T + 1},v1={digest}", BODY, ["s3cret"], now=T)


def test_during_rotation_either_secret_verifies():
    header = signature_header(["new", "old"], BODY, T)
    assert len(parse_header(header)[1]) == 2
    assert verify(header, BODY, ["old"], now=T)
    assert verify(header, BODY, ["new"], now=T)


def test_malformed_headers_fail():
    for header in ("", "t=abc,v1=00", f"t={T}", "v1=00", "garbage"):
        assert not verify(header, BODY, ["s3cret"], now=T)
