"""The incident list's text search against real PostgreSQL: the words of the title and their beginnings, in
any case and order, with every other filter of the list and its status counts, through its index."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.incident_management import repository
from services.incident_management.schemas import IncidentFilter
from shared.gen.oncall.v1 import incident_pb2
from tests.integration.incident_fixtures import alert

pytestmark = pytest.mark.integration


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _open(stack, service: str, summary: str, severity: str = "critical") -> str:
    return (await stack.grpc.IngestAlert(alert(service, severity=severity, summary=summary))).incident_id


async def _found(stack, text: str, **params) -> set[str]:
    reply = await stack.http.get("/api/v1/incidents", params={"text": text, **params})
    assert reply.status_code == 200, reply.text
    return {incident["id"] for incident in reply.json()["incidents"]}


async def test_search_finds_words_and_their_beginnings_in_any_case_and_order(incidents):
    tag = uuid.uuid4().hex[:10]  # a word of this test's titles only
    services = {name: unique("svc") for name in ("db01", "db02", "cpu")}
    db01 = await _open(incidents, services["db01"], f"{tag} Disk full on db-01.example.com")
    db02 = await _open(incidents, services["db02"], f"{tag} disk 01 full on db-02")
    cpu = await _open(incidents, services["cpu"], f"{tag} CPU_high on node_cpu_load, see /var/log")

    async def found(text: str) -> set[str]:
        return await _found(incidents, f"{tag} {text}")

    assert await found("DISK") == {db01, db02}  # a word, in any case
    assert await found("fu DIS") == {db01, db02}  # beginnings of words, in any order
    assert await found("isk") == set()  # not the middle of a word
    assert await found("db-01") == {db01}  # as typed: not db-02's "db" and "01"
    assert await found("db 01") == {db01, db02}
    assert await found("example") == await found("EXAMPLE.COM") == {db01}  # a host's parts are words
    assert await found("load") == await found("var/log") == {cpu}  # so are an identifier's and a path's
    assert await found("(disk) & !full:* |") == {db01, db02}  # no tsquery operator gets through
    assert await found("disk memory") == set()  # every word must match
    # A text without a letter or a digit is looked for as typed.
    assert await _found(incidents, "/", service=services["cpu"]) == {cpu}
    assert await _found(incidents, "/", service=services["db02"]) == set()


async def test_search_combines_with_every_filter_and_the_status_counts(incidents):
    tag = uuid.uuid4().hex[:10]
    team, service, other = unique("team"), unique("svc"), unique("svc")
    made = await incidents.http.post("/api/v1/services", json={"name": service, "team": team})
    assert made.status_code == 201, made.text
    full = await _open(incidents, service, f"{tag} disk full")
    slow = await _open(incidents, service, f"{tag} Disk slow", severity="high")
    elsewhere = await _open(incidents, other, f"{tag} disk full")
    await _open(incidents, service, f"{tag} memory leak", severity="info")
    await incidents.http.post(f"/api/v1/incidents/{slow}/acknowledge")
    text = f"{tag} dis"

    assert await _found(incidents, text) == {full, slow, elsewhere}
    assert await _found(incidents, text, team=team) == {full, slow}
    assert await _found(incidents, text, service=other) == {elsewhere}
    assert await _found(incidents, text, severity="critical") == {full, elsewhere}
    assert await _found(incidents, text, status="acknowledged", sort="triage") == {slow}
    assert await _found(incidents, text, assignee=str(uuid.uuid4())) == set()
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await _found(incidents, text, until=later) == {full, slow, elsewhere}
    assert await _found(incidents, text, since=later) == set()
    paged = (await incidents.http.get("/api/v1/incidents", params={"text": text, "limit": 1})).json()
    assert paged["total"] == 3 and paged["more"] is True  # counted, not read from a full page
    tabs = await incidents.grpc.ListIncidents(
        incident_pb2.ListIncidentsRequest(team=team, status="open", text=f"{tag} DISK")
    )
    assert [i.id for i in tabs.incidents] == [full]
    assert dict(tabs.status_counts) == {"open": 1, "acknowledged": 1, "resolved": 0}


async def test_search_reads_the_title_words_index(incidents):
    """The search's expression must be the index's very one, or every search scans the table."""
    for query in (
        IncidentFilter(text="db-01 disk"),
        IncidentFilter(text="disk", sort="triage"),
    ):
        compiled = repository.page_statement(query).compile(dialect=incidents.runtime.engine.dialect)
        params = [compiled.params[name] for name in compiled.positiontup or ()]
        async with incidents.runtime.engine.begin() as connection:
            # Through SQLAlchemy, which begins the transaction the setting is local to; the few rows of a
            # test's database would be read whole otherwise.
            await connection.execute(text("SET LOCAL enable_seqscan = off"))
            driver = (await connection.get_raw_connection()).driver_connection
            plan = "\n".join(row[0] for row in await driver.fetch(f"EXPLAIN {compiled}", *params))
        assert "ix_incidents_title_words" in plan, plan
