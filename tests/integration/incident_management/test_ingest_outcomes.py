"""Every outcome of storing alerts, as the ingest function's header states the rules
(shared/migrations/sql/): through `IncidentCommands`, one alert at a time and as one batch, with the rows
each leaves stored."""

import uuid
from dataclasses import replace

import pytest
from sqlalchemy import text

from services.incident_management import catalog, domain
from services.incident_management.schemas import AlertInput
from shared.errors import PermissionDenied, Unauthenticated
from shared.timeutil import utcnow

pytestmark = pytest.mark.integration

T, ACK, RES = "trigger", "acknowledge", "resolve"
# The timeline entries storing alerts writes (paging the new incidents writes its own)
INGEST_KINDS = ["triggered", "alert_added", "acknowledged", "alert_resolved", "resolved"]

# (alerts as (action, fingerprint, severity), the outcomes, then what is stored: each incident as
# (status, alert_count, duplicate_count, timeline kinds), each alert as (fingerprint, status,
# duplicate_count))
CASES = {
    "created": (
        [(T, "a", "critical")],
        ["created"],
        [("open", 1, 0, ["triggered"])],
        [("a", "firing", 0)],
    ),
    "correlated": (
        [(T, "a", "critical"), (T, "b", "critical")],
        ["created", "correlated"],
        [("open", 2, 0, ["triggered", "alert_added"])],
        [("a", "firing", 0), ("b", "firing", 0)],
    ),
    "other severity opens its own": (
        [(T, "a", "critical"), (T, "b", "warning")],
        ["created", "created"],
        [("open", 1, 0, ["triggered"]), ("open", 1, 0, ["triggered"])],
        [("a", "firing", 0), ("b", "firing", 0)],
    ),
    "duplicate": (
        [(T, "a", "critical"), (T, "a", "critical"), (T, "a", "critical")],
        ["created", "duplicate", "duplicate"],
        [("open", 1, 2, ["triggered"])],
        [("a", "firing", 2)],
    ),
    "acknowledged": (
        [(T, "a", "critical"), (ACK, "a", "critical"), (T, "a", "critical")],
        ["created", "acknowledged", "duplicate"],
        [("acknowledged", 1, 1, ["triggered", "acknowledged"])],
        [("a", "firing", 1)],
    ),
    "resolved, one alert still firing": (
        [(T, "a", "critical"), (T, "b", "critical"), (RES, "a", "critical")],
        ["created", "correlated", "resolved"],
        [("open", 2, 0, ["triggered", "alert_added", "alert_resolved"])],
        [("a", "resolved", 0), ("b", "firing", 0)],
    ),
    "resolved with its last alert": (
        [(T, "a", "critical"), (RES, "a", "critical")],
        ["created", "resolved"],
        [("resolved", 1, 0, ["triggered", "alert_resolved", "resolved"])],
        [("a", "resolved", 0)],
    ),
    "re-opened": (
        [(T, "a", "critical"), (RES, "a", "critical"), (T, "a", "critical")],
        ["created", "resolved", "created"],
        [("resolved", 1, 0, ["triggered", "alert_resolved", "resolved"]), ("open", 1, 0, ["triggered"])],
        [("a", "resolved", 0), ("a", "firing", 0)],
    ),
    "nothing to resolve or acknowledge": (
        [(RES, "a", "critical"), (ACK, "b", "critical")],
        ["ignored", "ignored"],
        [],
        [],
    ),
}


async def _service_with_key(stack, *, revoked: bool = False) -> tuple[str, str]:
    """A new service and an API integration's key: (service name, key)."""
    name = f"outcomes-{uuid.uuid4().hex[:8]}"
    service = (await stack.http.post("/api/v1/services", json={"name": name})).json()
    made = await stack.http.post(
        f"/api/v1/services/{service['id']}/integrations", json={"name": "api", "type": "api"}
    )
    assert made.status_code == 201, made.text
    if revoked:
        gone = await stack.http.delete(f"/api/v1/services/{service['id']}/integrations/{made.json()['id']}")
        assert gone.status_code == 200, gone.text
    return name, made.json()["key"]


def _alert(action: str, fingerprint: str, severity: str) -> AlertInput:
    # The key decides the service; the summary names the alert, as the timeline will
    return AlertInput(
        service="",
        severity=severity,
        summary=f"{fingerprint} failing",
        fingerprint=fingerprint,
        action=action,
    )


async def _stored(stack, service: str) -> tuple[list, list]:
    async with stack.runtime.engine.connect() as connection:
        incidents = (
            await connection.execute(
                text(
                    "SELECT i.status, i.alert_count, i.duplicate_count,"
                    "       array(SELECT t.kind FROM timeline_entries t WHERE t.incident_id = i.id"
                    "               AND t.kind = ANY(:kinds) ORDER BY t.id)"
                    "  FROM incidents i WHERE i.service = :service ORDER BY i.created_at, i.id"
                ),
                {"service": service, "kinds": INGEST_KINDS},
            )
        ).all()
        alerts = (
            await connection.execute(
                text("SELECT fingerprint, status, duplicate_count FROM alerts WHERE service = :service"),
                {"service": service},
            )
        ).all()
    return sorted((s, a, d, list(kinds)) for s, a, d, kinds in incidents), sorted(
        tuple(row) for row in alerts
    )


@pytest.mark.parametrize("together", [False, True], ids=["one at a time", "one batch"])
@pytest.mark.parametrize("case", CASES)
async def test_each_outcome_stores_its_rows(incidents, case, together):
    sent, outcomes, stored_incidents, stored_alerts = CASES[case]
    service, key = await _service_with_key(incidents)
    commands = incidents.runtime.commands
    alerts = [_alert(*item) for item in sent]
    if together:
        results = await commands.ingest_many(alerts, integration_key=key)
    else:
        results = [await commands.ingest(alert, integration_key=key) for alert in alerts]
    assert [r.result for r in results] == outcomes
    assert await _stored(incidents, service) == (sorted(stored_incidents), sorted(stored_alerts))


@pytest.mark.parametrize(
    ("revoked", "refused"), [(False, Unauthenticated), (True, PermissionDenied)], ids=["unknown", "revoked"]
)
async def test_an_unknown_or_revoked_key_is_refused_and_stores_nothing(incidents, revoked, refused):
    service, key = await _service_with_key(incidents, revoked=revoked)
    if not revoked:
        key = "x" * 32  # a key nobody was given
    with pytest.raises(refused):
        await incidents.runtime.commands.ingest(_alert(T, "a", "critical"), integration_key=key)
    assert await _stored(incidents, service) == ([], [])


# A batch after one alert opened an incident: (the batch, its outcomes, then what is stored, as in CASES).
# A batch that only joins is stored by one statement outside a transaction; one that opens an incident
# is refused by that statement, storing nothing (else its first alert would come back as a duplicate), and
# stored by the transaction.
AFTER_AN_OPEN_INCIDENT = {
    "only joins": (
        [(T, "b", "critical"), (T, "a", "critical")],
        ["correlated", "duplicate"],
        [("open", 2, 1, ["triggered", "alert_added"])],
        [("a", "firing", 1), ("b", "firing", 0)],
    ),
    "joins, then opens": (
        [(T, "b", "critical"), (T, "c", "warning")],
        ["correlated", "created"],
        [("open", 2, 0, ["triggered", "alert_added"]), ("open", 1, 0, ["triggered"])],
        [("a", "firing", 0), ("b", "firing", 0), ("c", "firing", 0)],
    ),
    "joins, then resolves": (
        [(T, "b", "critical"), (RES, "a", "critical")],
        ["correlated", "resolved"],
        [("open", 2, 0, ["triggered", "alert_added", "alert_resolved"])],
        [("a", "resolved", 0), ("b", "firing", 0)],
    ),
}


@pytest.mark.parametrize("case", AFTER_AN_OPEN_INCIDENT)
async def test_a_batch_joining_an_open_incident_is_stored_once(incidents, case):
    sent, outcomes, stored_incidents, stored_alerts = AFTER_AN_OPEN_INCIDENT[case]
    service, key = await _service_with_key(incidents)
    commands = incidents.runtime.commands
    assert (await commands.ingest(_alert(T, "a", "critical"), integration_key=key)).result == "created"
    results = await commands.ingest_many([_alert(*item) for item in sent], integration_key=key)
    assert [r.result for r in results] == outcomes
    assert await _stored(incidents, service) == (sorted(stored_incidents), sorted(stored_alerts))


@pytest.mark.parametrize(("case", "quiet"), [("only joins", True), ("joins, then opens", False)])
@pytest.mark.parametrize("keyed", [True, False], ids=["by key", "by service"])
async def test_the_one_statement_stores_only_a_batch_that_changes_no_incident(incidents, case, quiet, keyed):
    service, key = await _service_with_key(incidents)
    commands = incidents.runtime.commands
    await commands.ingest(_alert(T, "a", "critical"), integration_key=key)
    before = await _stored(incidents, service)
    sent = [_alert(*item) for item in AFTER_AN_OPEN_INCIDENT[case][0]]
    if not keyed:
        sent = [replace(alert, service=service) for alert in sent]
    hashes = [catalog.hash_key(key) if keyed else None for _ in sent]
    async with commands.driver.connection() as connection:
        stored = await domain.ingest_quiet(connection, sent, hashes, now=utcnow(), window_seconds=300)
    assert (stored is not None) is quiet
    assert (await _stored(incidents, service) != before) is quiet


@pytest.mark.parametrize("revoked", [False, True], ids=["unknown", "revoked"])
async def test_the_one_statement_refuses_a_bad_key_before_storing(incidents, revoked):
    service, key = await _service_with_key(incidents, revoked=revoked)
    key_hash = catalog.hash_key(key if revoked else "x" * 32)
    async with incidents.runtime.commands.driver.connection() as connection:
        stored = await domain.ingest_quiet(
            connection, [_alert(T, "a", "critical")], [key_hash], now=utcnow(), window_seconds=300
        )
    assert stored is None
    assert await _stored(incidents, service) == ([], [])
