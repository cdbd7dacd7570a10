"""The status tabs' counts kept in incident_counts (migration 0020) and the triage order's index (0019),
against real PostgreSQL: after any mix of new incidents, status changes, deletions and folds, the counts
read from the table are exactly those of the incidents themselves."""

import random
import uuid

import pytest
from sqlalchemy import func, select, text

from services.incident_management import analytics, repository
from services.incident_management.models import INCIDENT_STATUSES, SEVERITIES, Incident
from services.incident_management.schemas import IncidentFilter

pytestmark = pytest.mark.integration

_INSERT = text(
    """
    INSERT INTO incidents (id, title, service, severity, status, alert_count, duplicate_count,
                           assignment_pending, created_at, updated_at)
    VALUES (:id, 'counted', :service, :severity, :status, 1, 0, false, now(), now())
    """
)


async def _counts_by_both_ways(stack, query: IncidentFilter) -> tuple[dict, dict]:
    """The table's counts (through the repository) and those of the incidents themselves."""
    async with stack.runtime.commands.sessions() as session:
        table = await repository.count_by_status(session, query=query)
        where = [Incident.service.in_(query.service.split(","))] if query.service else []
        where += [Incident.severity == query.severity] if query.severity else []
        stmt = select(Incident.status, func.count()).where(*where).group_by(Incident.status)
        truth = dict((await session.execute(stmt)).all())
    return table, truth


async def test_counts_stay_exact_through_inserts_changes_deletions_and_folds(incidents):
    rng = random.Random(7)
    services = [f"svc-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    stored: list[uuid.UUID] = []
    async with incidents.runtime.engine.begin() as connection:
        for _ in range(60):
            stored.append(uuid.uuid4())
            values = {"service": rng.choice(services), "severity": rng.choice(SEVERITIES), "status": "open"}
            await connection.execute(_INSERT, values | {"id": stored[-1]})
    for step in range(6):
        async with incidents.runtime.engine.begin() as connection:
            for incident in rng.sample(stored, 10):
                status = rng.choice(INCIDENT_STATUSES)
                await connection.execute(
                    text("UPDATE incidents SET status = :s, alert_count = alert_count + 1 WHERE id = :id"),
                    {"s": status, "id": incident},
                )
            gone = stored.pop()
            if step % 2:  # the retention job's delete counts as any other
                await connection.execute(text("SET LOCAL oncall.retention = on"))
            await connection.execute(text("DELETE FROM incidents WHERE id = :id"), {"id": gone})
        if step % 3 == 0:
            async with incidents.runtime.commands.sessions.begin() as session:
                assert await analytics.fold_sums(session) > 0
        for query in (
            IncidentFilter(service=services[0]),
            IncidentFilter(service=services[1], severity="critical"),
            IncidentFilter(service=services[2], status="resolved"),  # the tabs count across the status
        ):
            table, truth = await _counts_by_both_ways(incidents, query)
            assert table == truth, (step, query)
    appended = await incidents.scalar(
        "SELECT count(*) FROM incident_counts WHERE NOT folded AND service = ANY(:s)", s=services
    )
    assert appended > 0  # the last reads added up rows not folded yet


async def test_the_triage_order_is_read_from_its_index_not_sorted(incidents):
    """The list's ORDER BY must be the index's very expressions, or every page sorts the whole table."""
    for status in (None, "open", "resolved"):
        query = IncidentFilter(sort="triage", status=status, severity="high", offset=100)
        compiled = repository.page_statement(query).compile(dialect=incidents.runtime.engine.dialect)
        params = [compiled.params[name] for name in compiled.positiontup or ()]
        async with incidents.runtime.engine.begin() as connection:
            # Through the session's connection, which starts its transaction: SET LOCAL needs one.
            await connection.execute(text("SET LOCAL enable_sort = off"))
            driver = (await connection.get_raw_connection()).driver_connection
            plan = "\n".join(row[0] for row in await driver.fetch(f"EXPLAIN {compiled}", *params))
        assert "ix_incidents_triage" in plan and "Sort" not in plan, plan
