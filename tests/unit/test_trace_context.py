"""The W3C trace context as the services carry it with tracing off: parsed, adopted, written into events
and their JSON text, and found in every log line."""

import asyncio
import logging
import re
from pathlib import Path

import orjson
import pytest
import yaml

from shared import events
from shared.logging import JsonFormatter
from shared.telemetry import adopt, batch_spans, continued, current_traceparent, parse_traceparent

DATASOURCES = Path(__file__).parents[2] / "config/grafana/provisioning/datasources/datasources.yml"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def log_line(message: str = "hello") -> dict:
    record = logging.LogRecord("test", logging.INFO, __file__, 1, message, None, None)
    return orjson.loads(JsonFormatter("svc").format(record))


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",  # no flags
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # zero span id
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  # upper case
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # forbidden version
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",  # version 00 has nothing after
        "00-0x_7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # not hex digits
        "trace-abc",
    ],
)
def test_a_malformed_traceparent_names_no_trace(value):
    assert parse_traceparent(value) is None


def test_a_traceparent_names_its_trace_and_parent_span():
    found = parse_traceparent(TRACEPARENT.encode())
    assert (found.trace_id, found.span_id, found.is_remote) == (
        0x0AF7651916CD43DD8448EB211C80319C,
        0xB7AD6B7169203331,
        True,
    )
    assert found.trace_flags.sampled


def test_log_lines_carry_the_current_trace_and_span_ids():
    with continued(TRACEPARENT, "work"):
        line = log_line()
    assert (line["trace_id"], line["span_id"]) == ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    assert line["msg"] == "hello" and line["service"] == "svc"
    assert log_line()["trace_id"] is None  # outside any trace


async def test_a_request_without_a_trace_context_gets_a_new_w3c_one():
    async def fresh() -> tuple[str, dict]:
        adopt(None)
        return current_traceparent(), log_line()

    (first, line), (second, _) = await asyncio.gather(fresh(), fresh())
    assert parse_traceparent(first) is not None and first != second
    assert len(line["trace_id"]) == 32 and int(line["trace_id"], 16)
    assert first.split("-")[1] == line["trace_id"] and len(line["span_id"]) == 16


def test_an_event_carries_the_trace_it_was_caused_in_and_its_json_text_gives_it_back():
    event = events.make_event(events.INCIDENT_TRIGGERED, {"id": "x"}, traceparent=TRACEPARENT)
    assert event["traceparent"] == TRACEPARENT
    assert events.traceparent_in(orjson.dumps(event).decode()) == TRACEPARENT
    # PostgreSQL's jsonb text puts a space after the colon
    assert events.traceparent_in(f'{{"data": {{}}, "traceparent": "{TRACEPARENT}"}}') == TRACEPARENT
    assert events.traceparent_in('{"data": {}}') == ""


def test_a_batch_continues_each_message_trace_with_the_first_current():
    other = "00-11111111111111111111111111111111-2222222222222222-01"
    with batch_spans([TRACEPARENT, other], "process", kind=None) as carried:
        assert carried == [TRACEPARENT, other]  # tracing off: each message keeps its own context
        assert current_traceparent() == TRACEPARENT
    assert current_traceparent() == ""


def test_grafana_finds_a_log_line_trace_id_to_link_to_jaeger():
    provisioned = yaml.safe_load(DATASOURCES.read_text())
    loki = next(source for source in provisioned["datasources"] if source["uid"] == "loki")
    [field] = loki["jsonData"]["derivedFields"]
    with continued(TRACEPARENT, "work"):
        line = JsonFormatter("svc").format(
            logging.LogRecord("t", logging.INFO, __file__, 1, "hi", None, None)
        )
    assert re.search(field["matcherRegex"], line).group(1) == "0af7651916cd43dd8448eb211c80319c"
    assert field["datasourceUid"] == "jaeger"
