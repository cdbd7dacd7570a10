"""The configuration pages against real on-call and incident-management servers: admins only; a new
integration's key is shown once and works; revoking stops it; tokens, roles and the audit log."""

import re

import grpc
import pytest

from tests.integration.incident_fixtures import alert
from tests.integration.oncall_fixtures import unique
from tests.integration.web_ui.conftest import csrf_of
from tests.integration.web_ui.console import signed_in_as

pytestmark = pytest.mark.integration
_KEY = re.compile(r'<code id="new-key">([^<]+)</code>')


@pytest.mark.parametrize("role", ["viewer", "responder"])
@pytest.mark.parametrize("path", ["/ui/config", "/ui/config/audit"])
async def test_only_admins_see_the_configuration(web, role, path):
    async with signed_in_as(web, role) as (browser, _):
        assert (await browser.get(path)).status_code == 403


async def test_a_non_admin_post_is_refused_even_with_its_own_token(web, incidents):
    name = unique("svc")
    async with signed_in_as(web, "responder") as (browser, _):
        csrf = csrf_of(await browser.get("/ui/oncall"))
        assert (
            await browser.post("/ui/config/services", data={"csrf": csrf, "name": name})
        ).status_code == 403
    assert name not in (await incidents.http.get("/api/v1/services")).text


async def test_a_forged_admin_post_is_refused(web, incidents):
    name = unique("svc")
    async with signed_in_as(web, "admin") as (browser, _):
        assert (
            await browser.post("/ui/config/services", data={"csrf": "f" * 64, "name": name})
        ).status_code == 403
    assert name not in (await incidents.http.get("/api/v1/services")).text


def _service_id(page: str, name: str) -> str:
    found = re.search(
        r'action="/ui/config/services/([0-9a-f-]+)/integrations">', page.split(f">{name}</th>", 1)[1]
    )
    assert found
    return found.group(1)


async def test_an_admin_creates_a_service_and_a_key_that_pages_until_revoked(web, incidents):
    name = unique("svc")
    async with signed_in_as(web, "admin") as (browser, _):
        page = await browser.get("/ui/config")
        assert page.status_code == 200
        made = await browser.post("/ui/config/services", data={"csrf": csrf_of(page), "name": name})
        assert made.status_code == 303
        page = await browser.get("/ui/config")
        service_id = _service_id(page.text, name)
        form = {"csrf": csrf_of(page), "name": "prometheus", "type": "api", "config": ""}
        created = await browser.post(f"/ui/config/services/{service_id}/integrations", data=form)
        assert created.status_code == 201
        key = _KEY.search(created.text).group(1)
        assert 'data-copy="new-key"' in created.text
        again = await browser.get("/ui/config")
        assert key not in again.text and f"<code>{key[:4]}…</code>" in again.text

        request = alert("ignored")
        request.integration_key = key
        reply = await incidents.grpc.IngestAlert(request)
        assert reply.result == "created"

        revoke = re.search(
            rf'action="(/ui/config/services/{service_id}/integrations/[0-9a-f-]+/revoke)"', again.text
        )
        assert (await browser.post(revoke.group(1), data={"csrf": csrf_of(again)})).status_code == 303
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await incidents.grpc.IngestAlert(request)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "revoked" in (await browser.get("/ui/config")).text


async def test_a_bad_integration_config_is_a_422_naming_it(web):
    name = unique("svc")
    async with signed_in_as(web, "admin") as (browser, _):
        page = await browser.get("/ui/config")
        await browser.post("/ui/config/services", data={"csrf": csrf_of(page), "name": name})
        page = await browser.get("/ui/config")
        form = {"csrf": csrf_of(page), "name": "hb", "type": "heartbeat", "config": "{}"}
        reply = await browser.post(
            f"/ui/config/services/{_service_id(page.text, name)}/integrations", data=form
        )
        assert reply.status_code == 422 and "interval_seconds" in reply.text


async def test_an_admin_makes_and_revokes_a_token_and_sets_a_role_all_audited(web):
    async with signed_in_as(web, "admin") as (browser, _), signed_in_as(web, "viewer") as (_, viewer_id):
        page = await browser.get("/ui/config")
        token_name = unique("ci")
        made = await browser.post(
            "/ui/config/tokens", data={"csrf": csrf_of(page), "name": token_name, "role": "viewer"}
        )
        assert made.status_code == 201
        secret = re.search(r'<code id="new-token">([^<]+)</code>', made.text).group(1)
        assert secret not in (await browser.get("/ui/config")).text
        token_id = next(
            t["id"] for t in (await web.oncall.http.get("/api/v1/tokens")).json() if t["name"] == token_name
        )
        assert (
            await browser.post(f"/ui/config/tokens/{token_id}/revoke", data={"csrf": csrf_of(page)})
        ).status_code == 303
        tokens = (await web.oncall.http.get("/api/v1/tokens")).json()
        assert next(t for t in tokens if t["id"] == token_id)["revoked_at"]

        role = await browser.post(
            f"/ui/config/users/{viewer_id}/role", data={"csrf": csrf_of(page), "role": "responder"}
        )
        assert role.status_code == 303
        assert (await web.oncall.http.get(f"/api/v1/users/{viewer_id}")).json()["role"] == "responder"

        audit = await browser.get("/ui/config/audit", params={"action": "set_role"})
        assert audit.status_code == 200
        log = (await browser.get("/ui/config/audit")).text
        assert token_id in log and viewer_id in log
