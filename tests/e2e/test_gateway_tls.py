"""The native stack with GATEWAY_TLS=self-signed: plain HTTP redirects to HTTPS, pages come with the
security headers and Strict-Transport-Security, and the dashboard's session cookie is Secure."""

import httpx
import pytest

from scripts.devstack import tls
from tests.conftest import fresh_database
from tests.e2e.conftest import make_dashboard_login, running_stack, sign_in_as_admin, stack_settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def secure(postgres_server_url, redis_url):
    with fresh_database(postgres_server_url) as database_url:
        settings = stack_settings("tls", database_url, redis_url, gateway_tls="self-signed")
        with running_stack(settings, database_url) as stack:
            yield stack


@pytest.fixture
async def https(secure):
    """A client trusting only the stack's own certificate (so the TLS handshake is checked)."""
    context = tls.client_context(secure.settings)
    async with httpx.AsyncClient(base_url=secure.gateway, verify=context, timeout=10) as client:
        yield client


async def test_plain_http_is_redirected_to_https(secure):
    settings = secure.settings
    https_base = f"https://127.0.0.1:{settings.gateway_tls_port}"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.gateway_port}", timeout=10) as plain:
        page = await plain.get("/ui/login?next=/ui/")
        assert page.status_code == 301 and page.headers["location"] == f"{https_base}/ui/login?next=/ui/"
        # Other methods get 308, which keeps the method and body: an alert is re-sent, not turned into a GET.
        alert = await plain.post("/api/v1/alerts", json={"summary": "disk full"})
        assert alert.status_code == 308 and alert.headers["location"] == f"{https_base}/api/v1/alerts"
    assert secure.gateway == https_base


async def test_pages_over_https_carry_the_security_headers_and_hsts(https):
    page = await https.get("/ui/login")
    assert page.status_code == 200 and page.url.scheme == "https"
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["strict-transport-security"].startswith("max-age=")
    stylesheet = await https.get("/ui/static/style.css")  # the page's only resource, same origin
    assert stylesheet.status_code == 200 and "text/css" in stylesheet.headers["content-type"]


async def test_a_login_over_https_gets_a_secure_session_cookie(secure, https):
    await sign_in_as_admin(https, secure.settings)
    login = await make_dashboard_login(https, secure.database_url)
    reply = await https.post("/ui/login", data={"email": login.email, "password": login.password})
    assert reply.status_code == 303, reply.text
    cookie = reply.headers["set-cookie"]
    assert "; secure" in cookie.lower() and "httponly" in cookie.lower()
    assert (await https.get("/ui/")).status_code == 200  # the cookie goes back over HTTPS
