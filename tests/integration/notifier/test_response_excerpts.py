"""Each attempt keeps the start of the receiver's answer: real receivers on 127.0.0.1 answering a body, a
body that does not end, and bytes that are not UTF-8 text; in the REST and gRPC delivery logs alike."""

import pytest

from services.notifier.webhook_http import EXCERPT_BYTES
from shared.gen.oncall.v1 import notifier_pb2
from tests.integration.notifier.conftest import eventually, trigger

pytestmark = pytest.mark.integration


async def _attempted(notifier, webhook_id: str, count: int = 1) -> dict:
    """The webhook's one delivery once `count` attempts are logged."""

    async def logged():
        deliveries = await notifier.deliveries(webhook_id)
        return deliveries[0] if deliveries and len(deliveries[0]["attempt_log"]) >= count else None

    return await eventually(logged, within=10)


async def test_the_answer_of_a_failed_and_of_a_delivered_attempt_is_kept(pair, start_receiver):
    """The first answer (500) is recorded with its row locked, the second (200) in the one statement of
    delivered attempts: both keep the body."""
    incidents, notifier = pair
    answer = '{"error": "invalid signature", "hint": "check the clock — skew 301 s"}\n'
    receiver = await start_receiver(fail_first=1, answer=answer.encode())
    webhook = await notifier.subscribe(receiver)
    await trigger(incidents)
    delivery = await _attempted(notifier, webhook["id"], count=2)
    assert [(a["status_code"], a["response_excerpt"]) for a in delivery["attempt_log"]] == [
        (500, answer),
        (200, answer),
    ]
    request = notifier_pb2.ListWebhookDeliveriesRequest(webhook_id=webhook["id"])
    [listed] = (await notifier.grpc.ListWebhookDeliveries(request)).deliveries
    assert [a.response_excerpt for a in listed.attempt_log] == [answer, answer]


async def test_an_answer_that_does_not_end_is_cut_to_its_first_kilobyte_at_once(pair, start_receiver):
    """The receiver streams for 30 s; the attempt's timeout is 1 s: only reading no more than the excerpt
    lets it finish, delivered."""
    incidents, notifier = pair
    receiver = await start_receiver(endless=True)
    webhook = await notifier.subscribe(receiver)
    await trigger(incidents)
    [attempt] = (await _attempted(notifier, webhook["id"]))["attempt_log"]
    assert attempt["status_code"] == 200 and attempt["error"] is None
    assert attempt["response_excerpt"] == "x" * EXCERPT_BYTES
    assert attempt["latency_ms"] < notifier.settings.webhook_timeout_seconds * 1000


async def test_an_answer_of_invalid_utf8_nul_and_control_bytes_is_kept_readable(pair, start_receiver):
    """Invalid bytes become U+FFFD and control characters their pictures (PostgreSQL stores no NUL);
    tabs and line breaks stay."""
    incidents, notifier = pair
    receiver = await start_receiver(answer=b"bad \xff\xfe sig\x00nat\x1bure\x7f\r\n\tend \xe2\x82")
    webhook = await notifier.subscribe(receiver)
    await trigger(incidents)
    [attempt] = (await _attempted(notifier, webhook["id"]))["attempt_log"]
    assert attempt["response_excerpt"] == "bad \ufffd\ufffd sig\u2400nat\u241bure\u2421\r\n\tend \ufffd"


async def test_an_attempt_without_an_answer_keeps_why_and_no_response(pair):
    incidents, notifier = pair
    webhook = await notifier.subscribe(url="http://127.0.0.1:9/hook")  # nothing listens on port 9
    await trigger(incidents)
    [attempt, *_] = (await _attempted(notifier, webhook["id"]))["attempt_log"]
    assert attempt["status_code"] is None and attempt["response_excerpt"] is None
    assert attempt["error"] == "cannot connect to 127.0.0.1:9: Connection refused"
