"""The CLI commands that call the gateway's API: test alerts, webhooks, analytics."""

import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from scripts.devstack.settings import StackSettings
from scripts.ops.api import Api, connect, integration_key

SMOKE_SERVICE = "ops-smoke-test"  # the service the test alerts go to, made on first use
BATCH_SIZE = 500  # alerts per request (the gateway takes up to MAX_BATCH_SIZE, 1000 by default)


def _smoke_key(api: Api, settings: StackSettings) -> dict[str, str]:
    service = api.ensure("/api/v1/services", {"name": SMOKE_SERVICE, "description": "ops CLI test alerts"})
    key = integration_key(
        api, service_id=service["id"], kind="api", keys_file=settings.var_dir / "ops" / "keys.json"
    )
    return {"Authorization": f"Bearer {key}"}


def _alert(index: int, run: str) -> dict:
    return {
        "severity": "warning",
        "summary": f"ops CLI test alert {index}",
        "fingerprint": f"ops-test-{run}-{index}",
        "labels": {"alertname": "OpsCliTest", "run": run},
    }


def test_alert(settings: StackSettings) -> int:
    """One alert through the gateway, and the incident it made."""
    with connect(settings) as api:
        headers = _smoke_key(api, settings)
        started = time.perf_counter()
        reply = api.call("POST", "/api/v1/alerts", 202, headers=headers, json=_alert(0, uuid.uuid4().hex[:8]))
        took = (time.perf_counter() - started) * 1000
        incident = api.call("GET", f"/api/v1/incidents/{reply['incident_id']}")
    print(f"alert {reply['alert_id']} accepted in {took:.0f} ms: {reply['result']}")
    counted = f"{incident['status']}, {incident['alert_count']} alert(s)"
    print(f"incident {incident['id']} ({counted}) on {SMOKE_SERVICE}")
    print(f"  {settings.gateway_url}/ui/incidents/{incident['id']}")
    return 0


def test_batch(settings: StackSettings, count: int) -> int:
    """`count` alerts in batches through the gateway: how many were stored, into how many incidents."""
    run = uuid.uuid4().hex[:8]
    results: Counter[str] = Counter()
    incidents: set[str] = set()
    with connect(settings, timeout=60) as api:
        headers = _smoke_key(api, settings)
        started = time.perf_counter()
        for first in range(0, count, BATCH_SIZE):
            alerts = [_alert(i, run) for i in range(first, min(first + BATCH_SIZE, count))]
            reply = api.call("POST", "/api/v1/alerts/batch", 202, headers=headers, json={"alerts": alerts})
            results.update(r["result"] for r in reply["results"])
            incidents.update(r["incident_id"] for r in reply["results"] if r["incident_id"])
        took = time.perf_counter() - started
    summary = ", ".join(f"{n} {result}" for result, n in sorted(results.items()))
    print(
        f"{sum(results.values())} of {count} alerts stored in {took:.2f} s ({count / took:.0f}/s): {summary}"
    )
    print(f"{len(incidents)} incident(s) on {SMOKE_SERVICE}")
    return 0 if sum(results.values()) == count else 1


def webhook_add(settings: StackSettings, url: str, *, allow_internal: bool) -> int:
    """Subscribe `url` to every incident event; its signing secret is shown this once."""
    body = {"url": url, "description": "added with the ops CLI", "allow_internal": allow_internal}
    with connect(settings) as api:
        made = api.call("POST", "/api/v1/webhooks", 201, json=body)
    print(f"webhook {made['id']} → {made['url']}")
    print(f"  secret {made['secret']}  (shown this once: keep it to verify the x-oncall-signature header)")
    return 0


def webhooks(settings: StackSettings) -> int:
    """Every webhook subscription, with its filters (never its secret)."""
    with connect(settings) as api:
        listed = api.call("GET", "/api/v1/webhooks")
    for hook in listed:
        events = ", ".join(hook["event_types"]) or "all events"
        state = "active" if hook["active"] else "paused"
        print(f"  {hook['id']}  {state:6}  {hook['url']}  ({events})  {hook['description']}")
    print(f"{len(listed)} webhook(s)")
    return 0


def analytics(settings: StackSettings, *, days: int, service: str | None) -> int:
    """Incident counts, MTTA and MTTR over the last `days` days, and per service."""
    since = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    query = {"since": since, "group_by": "service"} | ({"service": service} if service else {})
    with connect(settings) as api:
        result = api.call("GET", "/api/v1/analytics/incidents", params=query)
    print(f"incidents created in the last {days} day(s){' on ' + service if service else ''}:")
    print(_metrics_line("all", result["totals"]))
    for group in result["groups"]:
        print(_metrics_line(group["key"], group))
    return 0


def _metrics_line(key: str, metrics: dict) -> str:
    return (
        f"  {key:28} {metrics['total_incident_count']:6} incidents  {metrics['total_incidents_open']:5} open"
        f"  {metrics['total_incidents_resolved']:5} resolved  {metrics['total_alert_count']:7} alerts"
        f"  MTTA {seconds(metrics['mean_seconds_to_first_ack'])}"
        f"  MTTR {seconds(metrics['mean_seconds_to_resolve'])}"
    )


def seconds(value: float | None) -> str:
    """A duration as people read it: 42.1 s, 3.5 min, 2.0 h; '-' when there is none."""
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min" if value < 7200 else f"{value / 3600:.1f} h"
