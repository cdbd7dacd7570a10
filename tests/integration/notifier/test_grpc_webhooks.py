"""NotifierService over a real gRPC server: each webhook RPC does what its REST route does, bad input is
INVALID_ARGUMENT naming the field, unknown ids NOT_FOUND, and a call without the internal credential is
refused."""

import uuid

import grpc
import pytest
from sqlalchemy import text

from shared.audit import identity_metadata
from shared.auth import Identity, Role
from shared.events import INCIDENT_EVENT_TYPES
from shared.gen.oncall.v1 import notifier_pb2, notifier_pb2_grpc
from shared.grpc import REFUSED
from tests.integration.notifier.conftest import eventually, trigger

pytestmark = pytest.mark.integration
ACK = "incident.acknowledged"


@pytest.fixture
async def notifier(start_notifier):
    return await start_notifier()


async def _create(notifier, url: str, **fields) -> notifier_pb2.CreateWebhookResponse:
    request = notifier_pb2.CreateWebhookRequest(url=url, allow_internal=True, **fields)
    return await notifier.grpc.CreateWebhook(request, timeout=10)


async def _failure(call) -> tuple[grpc.StatusCode, str]:
    """The status and message a failing call ends with (kept in no exception: a call outliving its channel
    in a traceback's reference cycle warns when collected)."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code(), error.details() or ""
    raise AssertionError("the call succeeded")


async def _code(call) -> grpc.StatusCode:
    return (await _failure(call))[0]


async def _rest(notifier, webhook_id: str) -> dict:
    return (await notifier.http.get(f"/api/v1/webhooks/{webhook_id}")).json()


async def _listed(notifier, webhook_id: str) -> notifier_pb2.Webhook | None:
    listed = (await notifier.grpc.ListWebhooks(notifier_pb2.ListWebhooksRequest())).webhooks
    return next((w for w in listed if w.id == webhook_id), None)


async def test_a_created_webhook_is_listed_without_its_secret_and_as_the_rest_api_shows_it(notifier):
    made = await _create(notifier, "http://127.0.0.1:9/hook", description="chat", event_types=[ACK])
    assert made.secret.startswith("whsec_") and made.webhook.active
    listed = (await notifier.grpc.ListWebhooks(notifier_pb2.ListWebhooksRequest())).webhooks
    [found] = [w for w in listed if w.id == made.webhook.id]
    assert made.secret not in str(listed)
    rest = await _rest(notifier, found.id)
    assert (found.url, found.description, list(found.event_types)) == (rest["url"], "chat", [ACK])
    assert (found.active, found.allow_internal, found.previous_secret_expires_at) == (True, True, "")


async def test_a_webhook_created_inactive_stays_inactive(notifier):
    made = await _create(notifier, "http://127.0.0.1:9/hook", active=False)
    assert (await _listed(notifier, made.webhook.id)).active is False


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"url": "not a url"}, "url"),
        ({"url": "http://127.0.0.1:9/hook", "event_types": ["incident.exploded"]}, "event_types"),
        ({"url": "http://127.0.0.1:9/hook", "description": "x" * 1001}, "description"),
        ({"url": "http://127.0.0.1:9/hook", "allow_internal": False}, "internal address"),
    ],
)
async def test_a_bad_webhook_is_invalid_saying_why(notifier, fields, said):
    request = notifier_pb2.CreateWebhookRequest(**({"allow_internal": True} | fields))
    code, message = await _failure(notifier.grpc.CreateWebhook(request))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and said in message


async def test_an_update_changes_only_the_fields_it_carries(notifier):
    made = await _create(notifier, "http://127.0.0.1:9/hook", description="kept", event_types=[ACK])
    request = notifier_pb2.UpdateWebhookRequest(
        webhook_id=made.webhook.id,
        event_types=notifier_pb2.StringList(values=["incident.triggered", "incident.resolved"]),
        active=False,
    )
    updated = (await notifier.grpc.UpdateWebhook(request)).webhook
    assert list(updated.event_types) == ["incident.triggered", "incident.resolved"]
    assert (updated.active, updated.description) == (False, "kept")
    every = notifier_pb2.UpdateWebhookRequest(
        webhook_id=made.webhook.id, event_types=notifier_pb2.StringList()
    )
    assert list((await notifier.grpc.UpdateWebhook(every)).webhook.event_types) == []
    assert list((await _listed(notifier, made.webhook.id)).event_types) == []


async def test_updates_deletes_and_rotations_of_unknown_or_malformed_ids_are_refused(notifier):
    unknown, grpc_ = str(uuid.uuid4()), notifier.grpc
    bad_type = notifier_pb2.StringList(values=["nope"])
    made = await _create(notifier, "http://127.0.0.1:9/hook")
    codes = [
        await _code(grpc_.UpdateWebhook(notifier_pb2.UpdateWebhookRequest(webhook_id=unknown, active=True))),
        await _code(grpc_.UpdateWebhook(notifier_pb2.UpdateWebhookRequest(webhook_id="x", active=True))),
        await _code(
            grpc_.UpdateWebhook(
                notifier_pb2.UpdateWebhookRequest(webhook_id=made.webhook.id, event_types=bad_type)
            )
        ),
        await _code(grpc_.DeleteWebhook(notifier_pb2.DeleteWebhookRequest(webhook_id=unknown))),
        await _code(grpc_.RotateWebhookSecret(notifier_pb2.RotateWebhookSecretRequest(webhook_id=unknown))),
        await _code(
            grpc_.ListWebhookDeliveries(notifier_pb2.ListWebhookDeliveriesRequest(webhook_id=unknown))
        ),
        await _code(
            grpc_.ListWebhookDeliveries(
                notifier_pb2.ListWebhookDeliveriesRequest(webhook_id=made.webhook.id, status="lost")
            )
        ),
        await _code(
            grpc_.RedeliverWebhook(
                notifier_pb2.RedeliverWebhookRequest(webhook_id=made.webhook.id, delivery_id=unknown)
            )
        ),
    ]
    found, invalid = grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT
    assert codes == [found, invalid, invalid, found, found, found, invalid, found]


async def test_a_deleted_webhook_is_gone(notifier):
    made = await _create(notifier, "http://127.0.0.1:9/hook")
    await notifier.grpc.DeleteWebhook(notifier_pb2.DeleteWebhookRequest(webhook_id=made.webhook.id))
    assert await _listed(notifier, made.webhook.id) is None
    rotate = notifier_pb2.RotateWebhookSecretRequest(webhook_id=made.webhook.id)
    assert await _code(notifier.grpc.RotateWebhookSecret(rotate)) == grpc.StatusCode.NOT_FOUND


async def test_a_write_naming_its_person_is_audited_as_theirs(notifier):
    admin = Identity("user", uuid.uuid4(), "Ada Admin", Role.admin)
    request = notifier_pb2.CreateWebhookRequest(url="http://127.0.0.1:9/hook", allow_internal=True)
    made = await notifier.grpc.CreateWebhook(request, metadata=identity_metadata(admin, "192.0.2.7"))
    async with notifier.runtime.engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT actor, client_ip, action FROM audit_log WHERE target_id = :id"),
                {"id": made.webhook.id},
            )
        ).one()
    assert tuple(row) == ("Ada Admin", "192.0.2.7", "CreateWebhook")


async def test_rotation_signs_with_the_new_secret_and_redelivery_sends_again(pair, start_receiver):
    incidents, notifier = pair
    receiver = await start_receiver(fail_first=1)
    made = await _create(notifier, receiver.url, event_types=list(INCIDENT_EVENT_TYPES))
    rotated = await notifier.grpc.RotateWebhookSecret(
        notifier_pb2.RotateWebhookSecretRequest(webhook_id=made.webhook.id)
    )
    assert rotated.secret != made.secret and rotated.previous_secret_expires_at
    assert rotated.webhook.previous_secret_expires_at == rotated.previous_secret_expires_at
    receiver.secrets.append(rotated.secret)  # only the new one: the old one's signature must not be needed
    [incident_id] = await trigger(incidents)
    listing = notifier_pb2.ListWebhookDeliveriesRequest(webhook_id=made.webhook.id)

    async def delivered():
        found = (await notifier.grpc.ListWebhookDeliveries(listing)).deliveries
        return found if found and found[0].status == "delivered" else None

    [delivery] = await eventually(delivered, within=10)
    assert [(a.status_code, a.error) for a in delivery.attempt_log] == [(500, "HTTP 500"), (204, "")]
    assert delivery.attempts == 2 and delivery.last_status_code == 204 and delivery.delivered_at
    assert delivery.next_attempt_at == "" and receiver.event_ids_for([incident_id]) == {delivery.event_id}

    again = await notifier.grpc.RedeliverWebhook(
        notifier_pb2.RedeliverWebhookRequest(webhook_id=made.webhook.id, delivery_id=delivery.id)
    )
    assert again.delivery.status == "pending" and again.delivery.next_attempt_at
    await eventually(lambda: len(receiver.requests_for([incident_id])) == 3, within=10)
    assert all(r.verified for r in receiver.requests)


async def test_a_call_without_the_internal_credential_is_refused(notifier):
    async with grpc.aio.insecure_channel(notifier.grpc_target) as channel:
        stub = notifier_pb2_grpc.NotifierServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListWebhooks(notifier_pb2.ListWebhooksRequest(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED and refused.value.details() == REFUSED
