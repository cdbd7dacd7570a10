"""The incident list (GET /api/v1/incidents, what the dashboard lists) and the response analytics
(GET /api/v1/analytics/incidents) on a large history: seed N incidents in PostgreSQL, then time the usual
queries through the gateway.

The history is seeded with SQL (generate_series) rather than through the API: only reading it is measured,
and 100,000 incidents through paging would take longer than the whole bench. Its shape is an operator's
after some months: 200 services, most incidents resolved, a few open or acknowledged, spread over 90 days.
"""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from scripts.benchkit.openloop import percentile

_SEED = """
INSERT INTO incidents (id, title, service, severity, status, alert_count, duplicate_count, assignment_pending,
                       created_at, updated_at, acknowledged_at, resolved_at, mtta_seconds, mttr_seconds,
                       escalation_level)
SELECT gen_random_uuid(), 'seeded incident ' || g, 'seed-svc-' || (g % 200),
       (ARRAY['critical', 'high', 'warning', 'info'])[1 + g % 4],
       CASE WHEN g % 100 = 0 THEN 'open' WHEN g % 100 = 1 THEN 'acknowledged' ELSE 'resolved' END,
       1 + g % 7, g % 3, false, t, t,
       CASE WHEN g % 100 <> 0 THEN t + make_interval(secs => ack) END,
       CASE WHEN g % 100 > 1 THEN t + make_interval(secs => ack + fix) END,
       CASE WHEN g % 100 <> 0 THEN ack END,
       CASE WHEN g % 100 > 1 THEN ack + fix END,
       CASE WHEN ack > 600 THEN 1 ELSE 0 END
  FROM (SELECT g, now() - interval '90 days' * random() AS t,  -- random() per row: a subquery in FROM
               30 + 900 * random() AS ack, 300 + 3600 * random() AS fix
          FROM generate_series(1, $1) AS g) AS spread
"""

LIST, ANALYTICS = "/api/v1/incidents", "/api/v1/analytics/incidents"
QUERIES = {
    "newest 50": (LIST, {}),
    "open": (LIST, {"status": "open"}),
    "resolved": (LIST, {"status": "resolved"}),
    "one service": (LIST, {"service": "seed-svc-7"}),
    "critical and open": (LIST, {"severity": "critical", "status": "open"}),
    "page 100 (offset 5,000)": (LIST, {"offset": 5000}),
    "analytics: last 30 days": (ANALYTICS, {}),
    "analytics: 90 days per service": (ANALYTICS, {"since": "-90", "group_by": "service"}),
    "analytics: 90 days per day (Paris)": (
        ANALYTICS,
        {"since": "-90", "group_by": "day", "time_zone": "Europe/Paris"},
    ),
    "analytics: 90 days of one service per week": (
        ANALYTICS,
        {"since": "-90", "service": "seed-svc-7", "group_by": "week"},
    ),
}


def _params(params: dict[str, str]) -> dict[str, str]:
    """`since: "-N"` means N days ago (the seeded history ends now)."""
    if params.get("since", "").startswith("-"):
        start = datetime.now(UTC) - timedelta(days=int(params["since"][1:]) + 1)
        return params | {"since": start.isoformat()}
    return params


async def seed(database_url: str, count: int) -> float:
    """Insert `count` incidents and refresh the planner's statistics; returns the seconds it took."""
    started = time.perf_counter()
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(_SEED, count)
        await connection.execute("ANALYZE incidents")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def measure(gateway: str, *, rounds: int = 30) -> dict[str, dict[str, float]]:
    """p50/p99 ms of each query (sequential requests through Traefik: the server's time plus one hop)."""
    figures = {}
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        for name, (path, params) in QUERIES.items():
            params = _params(params)
            (await client.get(path, params=params)).raise_for_status()  # warm
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                (await client.get(path, params=params)).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            figures[name] = {"p50": round(percentile(times, 50), 1), "p99": round(percentile(times, 99), 1)}
    return figures


def run(database_url: str, gateway: str, *, count: int) -> dict:
    seconds = asyncio.run(seed(database_url, count))
    return {
        "incidents_seeded": count,
        "seed_seconds": round(seconds, 1),
        "latency_ms": asyncio.run(measure(gateway)),
    }
