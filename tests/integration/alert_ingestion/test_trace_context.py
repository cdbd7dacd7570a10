"""Alerts from many requests stored together (one grouped call, one transaction) each open their incident
in their own request's trace: the outbox event carries that request's W3C trace context."""

import pytest

from shared.gen.oncall.v1 import incident_pb2
from tests.integration.alert_ingestion.test_formats import make_integration

pytestmark = pytest.mark.integration


def traceparent(n: int) -> str:
    return f"00-{n:032x}-{n:016x}-01"


async def test_each_grouped_alert_opens_its_incident_in_its_own_trace(incidents):
    good = await make_integration(incidents, "api")
    severities = ["critical", "high", "warning", "info"]
    items = [
        incident_pb2.GroupedAlert(
            request=incident_pb2.IngestAlertRequest(
                alert=incident_pb2.Alert(severity=severity, summary="traced", fingerprint=f"t-{severity}"),
                integration_key=good["key"],
            ),
            traceparent=traceparent(n),
        )
        for n, severity in enumerate(severities, start=7)
    ]
    reply = await incidents.grpc.IngestAlertGroup(incident_pb2.IngestAlertGroupRequest(items=items))
    assert [o.result.result for o in reply.outcomes] == ["created"] * len(items)
    for n, outcome in enumerate(reply.outcomes, start=7):
        carried = await incidents.scalar(
            "SELECT payload->>'traceparent' FROM outbox_events "
            "WHERE type = 'incident.triggered' AND payload->'data'->>'id' = :id",
            id=outcome.result.incident_id,
        )
        assert carried == traceparent(n)  # tracing off: the request's own context, unchanged
