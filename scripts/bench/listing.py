"""The incident list (GET /api/v1/incidents, what the dashboard lists), the analytics (response metrics,
trends per bucket and severity, the MTTA/MTTR distribution) and the dashboard's own incident page
(GET /ui/, logged in: its default view, open and most severe first, a status tab, filters and a later
page) on a large history: seed N incidents in PostgreSQL, then time the usual queries through the gateway.
For the dashboard both the server's own time (its `Server-Timing: total`, the target's figure) and the
time seen by the client.

The history is seeded with SQL (generate_series) rather than through the API: only reading it is measured,
and 100,000 incidents through paging would take longer than the whole bench. Its shape is an operator's
after some months: 200 services, most incidents resolved, a few open or acknowledged, spread over 90 days.
"""

import asyncio
import re
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from scripts.bench.openloop import percentile
from services.oncall_service.passwords import hash_password

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
TRENDS, DISTRIBUTION = "/api/v1/analytics/trends", "/api/v1/analytics/mttr-distribution"
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
    "analytics: trends, 7 days per hour": (TRENDS, {}),
    "analytics: trends, 90 days per day": (TRENDS, {"period": "90d", "bucket": "1d"}),
    "analytics: MTTA/MTTR distribution, last 30 days": (DISTRIBUTION, {}),
    # every seeded incident: two sorts of ~100,000 times
    "analytics: MTTA/MTTR distribution, 91 days": (DISTRIBUTION, {"period": "91d"}),
}


# The dashboard's incident page, as on-call staff open it (50 a page, open and most severe first): the
# default view, a status tab, the usual filters and a later page.
PAGES = {
    "default view": {},
    "open tab": {"status": "open"},
    "resolved tab": {"status": "resolved"},
    "critical": {"severity": "critical"},
    "one service": {"service": "seed-svc-7"},
    "text search": {"q": "incident 4242"},
    "page 100 (offset 5,000)": {"offset": 5000},
}
BENCH_ACCOUNT = "bench@example.com"
# The bench's dashboard login: an on-call user (in no rotation, so never paged; a responder, the table's
# default role, which may read) with a fresh password.
_ACCOUNT = """
INSERT INTO users (id, email, name, time_zone, email_notifications, password_hash)
VALUES ($1, $2, 'Bench', 'UTC', false, $3)
ON CONFLICT (email) DO UPDATE
SET password_hash = EXCLUDED.password_hash, login_disabled = false, credentials_changed_at = now()
"""
_SERVER_TOTAL = re.compile(r"total;dur=([0-9.]+)")


def _params(params: dict[str, str]) -> dict[str, str]:
    """`since: "-N"` means N days ago (the seeded history ends now)."""
    if params.get("since", "").startswith("-"):
        start = datetime.now(UTC) - timedelta(days=int(params["since"][1:]) + 1)
        return params | {"since": start.isoformat()}
    return params


async def seed(database_url: str, count: int) -> float:
    """Insert `count` incidents, fold the analytics sums and status counts their insert appended (as
    incident-management's worker would within ANALYTICS_FOLD_SECONDS) and refresh the planner's statistics;
    returns the seconds it took."""
    started = time.perf_counter()
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(_SEED, count)
        await connection.execute("SELECT fold_incident_quarter_sums(), fold_incident_counts()")
        await connection.execute("ANALYZE incidents, incident_quarter_sums, incident_counts")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def measure(gateway: str, headers: dict[str, str], *, rounds: int = 20) -> dict[str, dict[str, float]]:
    """p50/p99 ms of each query (sequential requests through Traefik: the server's time plus one hop), with
    `headers`' credentials."""
    figures = {}
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers=headers) as client:
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


async def dashboard_account(database_url: str) -> str:
    """The bench's dashboard user (created or given a new password); returns the password."""
    password = secrets.token_urlsafe(18)
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(_ACCOUNT, uuid.uuid4(), BENCH_ACCOUNT, hash_password(password))
    finally:
        await connection.close()
    return password


async def measure_dashboard(gateway: str, password: str, *, rounds: int = 50) -> dict[str, dict[str, float]]:
    """p50/p99 ms of each dashboard page, logged in: `server_*` from its Server-Timing, `total_*` as the
    client saw it through Traefik."""
    figures = {}
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        login = await client.post("/ui/login", data={"email": BENCH_ACCOUNT, "password": password})
        if login.status_code != 303:
            raise RuntimeError(f"dashboard login failed: {login.status_code}")
        for name, params in PAGES.items():
            (await client.get("/ui/", params=params)).raise_for_status()  # warm
            server, total = [], []
            for _ in range(rounds):
                started = time.perf_counter()
                reply = await client.get("/ui/", params=params)
                total.append((time.perf_counter() - started) * 1000)
                reply.raise_for_status()
                server.append(float(_SERVER_TOTAL.search(reply.headers["server-timing"]).group(1)))
            figures[name] = {
                "server_p50": round(percentile(server, 50), 1),
                "server_p99": round(percentile(server, 99), 1),
                "total_p50": round(percentile(total, 50), 1),
                "total_p99": round(percentile(total, 99), 1),
            }
    return figures


def run(database_url: str, gateway: str, headers: dict[str, str], *, count: int) -> dict:
    seconds = asyncio.run(seed(database_url, count))
    password = asyncio.run(dashboard_account(database_url))
    return {
        "incidents_seeded": count,
        "seed_seconds": round(seconds, 1),
        "latency_ms": asyncio.run(measure(gateway, headers)),
        "dashboard_ms": asyncio.run(measure_dashboard(gateway, password)),
    }
