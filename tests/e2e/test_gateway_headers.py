"""Over plain HTTP (the default stack) the gateway adds the security headers to every page and API
answer, and no Strict-Transport-Security, which belongs to HTTPS answers only."""

import pytest

pytestmark = pytest.mark.e2e


async def test_pages_and_api_answers_carry_the_security_headers_without_hsts(gateway):
    for path in ("/ui/login", "/api/v1/incidents"):
        reply = await gateway.get(path)
        assert reply.status_code < 500, (path, reply.text)  # whatever the API answers, headers come with it
        csp = reply.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "same-origin"
        assert reply.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in reply.headers
