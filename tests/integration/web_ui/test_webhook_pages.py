"""The webhooks page against real incident-management, on-call and notifier servers: admins only; a secret
is shown once (made or rotated) and signs what the receiver gets; event types, enabling, deleting, and the
delivery log with redelivery."""

import re
import uuid

import pytest

from shared.gen.oncall.v1 import notifier_pb2
from tests.integration.incident_fixtures import alert
from tests.integration.notifier.conftest import (  # noqa: F401 (fixtures)
    eventually,
    start_notifier,
    start_receiver,
    unique_stream,
)
from tests.integration.web_ui.conftest import csrf_of, running_web
from tests.integration.web_ui.console import signed_in_as

pytestmark = pytest.mark.integration
PAGE = "/ui/config/webhooks"
_SECRET = re.compile(r'<code id="new-secret">([^<]+)</code>')


@pytest.fixture
async def hooked(start_incident_stack, oncall, start_notifier):  # noqa: F811
    """The dashboard in front of incident-management and a notifier sharing a fresh event stream."""
    stream = unique_stream()
    incidents = await start_incident_stack(events_stream=stream)
    notifier = await start_notifier(events_stream=stream, oncall_grpc_target=oncall.grpc_target)
    async with running_web(incidents, oncall, notifier.grpc_target) as web:
        yield web, incidents, notifier


async def _webhooks(notifier) -> dict[str, notifier_pb2.Webhook]:
    """The notifier's webhooks by id, asked over its gRPC (as the page does, without the page)."""
    return {w.id: w for w in (await notifier.grpc.ListWebhooks(notifier_pb2.ListWebhooksRequest())).webhooks}


async def _urls(notifier) -> set[str]:
    return {w.url for w in (await _webhooks(notifier)).values()}


def _webhook_id(page: str, url: str) -> str:
    row = page.split(f"<code>{url}</code>", 1)[1]
    return re.search(r'action="/ui/config/webhooks/([0-9a-f-]+)/event-types"', row).group(1)


async def _create(browser, url: str, **fields):
    page = await browser.get(PAGE)
    form = {"csrf": csrf_of(page), "url": url, "allow_internal": "on"} | fields
    return await browser.post(PAGE, data=form)


@pytest.mark.parametrize("role", ["viewer", "responder"])
@pytest.mark.parametrize("path", [PAGE, f"{PAGE}/{uuid.uuid4()}"])
async def test_only_admins_see_the_webhooks_pages(web, role, path):
    async with signed_in_as(web, role) as (browser, _):
        assert (await browser.get(path)).status_code == 403


async def test_a_non_admin_post_is_refused_even_with_its_own_token(hooked):
    web, _, notifier = hooked
    url = f"http://127.0.0.1:9/{uuid.uuid4().hex}"
    async with signed_in_as(web, "responder") as (browser, _):
        csrf = csrf_of(await browser.get("/ui/oncall"))
        assert (await browser.post(PAGE, data={"csrf": csrf, "url": url})).status_code == 403
    assert url not in await _urls(notifier)


async def test_a_forged_admin_post_is_refused(hooked):
    web, _, notifier = hooked
    url = f"http://127.0.0.1:9/{uuid.uuid4().hex}"
    async with signed_in_as(web, "admin") as (browser, _):
        assert (await browser.post(PAGE, data={"csrf": "f" * 64, "url": url})).status_code == 403
        made = await _create(browser, url)
        rotate = f"{PAGE}/{_webhook_id((await browser.get(PAGE)).text, url)}/rotate"
        assert (await browser.post(rotate, data={"csrf": "f" * 64})).status_code == 403
        assert _SECRET.search(made.text).group(1) not in (await browser.get(PAGE)).text
    assert made.status_code == 201 and url in await _urls(notifier)


async def test_an_admin_sees_the_secret_once_rotates_it_and_redelivers_from_the_log(
    hooked,
    start_receiver,  # noqa: F811 (the imported fixture)
):
    web, incidents, _ = hooked
    receiver = await start_receiver()
    async with signed_in_as(web, "admin") as (browser, _):
        assert "No webhooks yet" in (await browser.get(PAGE)).text
        made = await _create(browser, receiver.url, **{"type:incident.triggered": "on"})
        assert made.status_code == 201 and 'data-copy="new-secret"' in made.text
        first = _SECRET.search(made.text).group(1)
        listed = await browser.get(PAGE)
        assert first not in listed.text and '<span class="pill">incident.triggered</span>' in listed.text
        webhook_id = _webhook_id(listed.text, receiver.url)

        rotated = await browser.post(f"{PAGE}/{webhook_id}/rotate", data={"csrf": csrf_of(listed)})
        assert rotated.status_code == 200 and "previous secret also signs until" in rotated.text
        second = _SECRET.search(rotated.text).group(1)
        assert second != first and second not in (await browser.get(PAGE)).text
        receiver.secrets.append(second)  # the new secret alone verifies what arrives

        await incidents.grpc.IngestAlert(alert(f"svc-{uuid.uuid4().hex[:8]}"))
        log_url = f"{PAGE}/{webhook_id}"

        async def delivered() -> str | None:
            page = (await browser.get(log_url)).text
            return page if ">delivered</span>" in page else None

        log = await eventually(delivered, within=10)
        assert "<td>204</td>" in log and "incident.triggered" in log
        redeliver = re.search(
            r'action="(/ui/config/webhooks/[0-9a-f-]+/deliveries/[0-9a-f-]+/redeliver)"', log
        )
        again = await browser.post(redeliver.group(1), data={"csrf": csrf_of(listed)})
        assert again.status_code == 303 and again.headers["location"] == f"{log_url}?done=redelivered"
        assert "Delivery queued to be sent again" in (await browser.get(again.headers["location"])).text
        await eventually(lambda: len(receiver.requests) == 2, within=10)
        assert all(r.verified for r in receiver.requests)
        assert len({r.event_id for r in receiver.requests}) == 1


async def test_an_admin_edits_event_types_disables_and_deletes_a_webhook(hooked):
    web, _, notifier = hooked
    url = f"http://127.0.0.1:9/{uuid.uuid4().hex}"
    async with signed_in_as(web, "admin") as (browser, _):
        await _create(browser, url)
        page = await browser.get(PAGE)
        webhook_id, csrf = _webhook_id(page.text, url), csrf_of(page)
        form = {"csrf": csrf, "type:incident.resolved": "on", "type:incident.acknowledged": "on"}
        saved = await browser.post(f"{PAGE}/{webhook_id}/event-types", data=form)
        assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?done=saved"
        disabled = await browser.post(f"{PAGE}/{webhook_id}/active", data={"csrf": csrf, "active": "false"})
        assert "Webhook disabled" in (await browser.get(disabled.headers["location"])).text
        stored = (await _webhooks(notifier))[webhook_id]
        assert (
            list(stored.event_types) == ["incident.acknowledged", "incident.resolved"] and not stored.active
        )

        await browser.post(f"{PAGE}/{webhook_id}/event-types", data={"csrf": csrf})
        await browser.post(f"{PAGE}/{webhook_id}/active", data={"csrf": csrf, "active": "true"})
        stored = (await _webhooks(notifier))[webhook_id]
        assert list(stored.event_types) == [] and stored.active

        assert (await browser.post(f"{PAGE}/{webhook_id}/delete", data={"csrf": csrf})).status_code == 303
        assert url not in await _urls(notifier)
        assert (await browser.get(f"{PAGE}/{webhook_id}")).status_code == 404


async def test_a_bad_url_is_a_422_saying_why(hooked):
    web, _, _ = hooked
    async with signed_in_as(web, "admin") as (browser, _):
        reply = await _create(browser, "not a url")
        assert reply.status_code == 422 and "url" in reply.text


async def test_the_delivery_log_shows_each_answer_escaped(
    hooked,
    start_receiver,  # noqa: F811 (the imported fixture)
):
    web, incidents, _ = hooked
    receiver = await start_receiver(answer=b'<b>accepted</b> & queued\nid="q-17"')
    async with signed_in_as(web, "admin") as (browser, _):
        made = await _create(browser, receiver.url)
        receiver.secrets.append(_SECRET.search(made.text).group(1))
        webhook_id = _webhook_id((await browser.get(PAGE)).text, receiver.url)
        await incidents.grpc.IngestAlert(alert(f"svc-{uuid.uuid4().hex[:8]}"))

        async def delivered() -> str | None:
            page = (await browser.get(f"{PAGE}/{webhook_id}")).text
            return page if ">delivered</span>" in page else None

        log = await eventually(delivered, within=10)
    shown = "&lt;b&gt;accepted&lt;/b&gt; &amp; queued\nid=&#34;q-17&#34;"
    assert log.count(f"<pre>{shown}</pre>") == 2  # the last response, and the attempt's own
    assert "<summary>&lt;b&gt;accepted&lt;/b&gt; &amp; queued</summary>" in log
    assert "<b>accepted</b>" not in log
