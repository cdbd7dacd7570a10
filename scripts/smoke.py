"""`python -m scripts.smoke`: one alert through the running native stack's gateway, end to end.

As the first admin: the service `pipeline-smoke` (made when missing), an integration key of its own, an
alert with a new fingerprint, its incident read back and resolved, then that key revoked. It touches
nothing it did not make. Prints each step; exit 1 when one fails.
"""

import sys
import time
import uuid

import httpx

from scripts.devstack import runner, tls
from scripts.devstack.settings import StackSettings

SERVICE = "pipeline-smoke"


class SmokeFailed(RuntimeError):
    """An answer the smoke test did not expect; the message has the request and the answer."""


def _call(client: httpx.Client, method: str, path: str, expect: int = 200, **kwargs) -> dict | list:
    reply = client.request(method, path, **kwargs)
    if reply.status_code != expect:
        raise SmokeFailed(f"{method} {path}: {reply.status_code} {reply.text[:300]}")
    return reply.json() if reply.content else {}


def _service(client: httpx.Client) -> dict:
    found = [s for s in _call(client, "GET", "/api/v1/services") if s["name"] == SERVICE]
    return found[0] if found else _call(client, "POST", "/api/v1/services", 201, json={"name": SERVICE})


def run(client: httpx.Client, email: str, password: str) -> list[str]:
    """The smoke test's steps against the gateway `client` speaks to; returns what each showed."""
    token = _call(client, "POST", "/api/v1/auth/token", json={"email": email, "password": password})
    client.headers["Authorization"] = f"Bearer {token['access_token']}"
    integrations = f"/api/v1/services/{_service(client)['id']}/integrations"
    body = {"name": f"smoke {uuid.uuid4().hex[:8]}", "type": "api"}
    created = _call(client, "POST", integrations, 201, json=body)
    try:
        started = time.perf_counter()
        alert = {"severity": "info", "summary": "smoke alert", "fingerprint": f"smoke-{uuid.uuid4()}"}
        bearer = {"Authorization": f"Bearer {created['key']}"}
        accepted = _call(client, "POST", "/api/v1/alerts", 202, json=alert, headers=bearer)
        # correlated: into an open incident of an earlier smoke test that stopped before resolving it
        if accepted["result"] not in ("created", "correlated") or not accepted["incident_id"]:
            raise SmokeFailed(f"the alert opened no incident: {accepted}")
        took = (time.perf_counter() - started) * 1000
        ingested = f"alert {accepted['result']}: incident {accepted['incident_id']} ({took:.0f} ms)"
        incident = f"/api/v1/incidents/{accepted['incident_id']}"
        if (status := _call(client, "GET", incident)["status"]) != "open":
            raise SmokeFailed(f"incident {accepted['incident_id']} is {status}, not open")
        resolved = _call(client, "POST", f"{incident}/resolve")["status"]
        return [f"logged in as {email}", ingested, f"incident read back open, then {resolved}"]
    finally:
        _call(client, "DELETE", f"{integrations}/{created['id']}")


def main() -> int:
    settings = StackSettings()
    email, password = runner.admin_login(settings)
    context = tls.client_context(settings)
    with httpx.Client(base_url=settings.gateway_url, verify=context, timeout=15) as client:
        try:
            steps = run(client, email, password)
        except (SmokeFailed, httpx.HTTPError) as failure:
            print(f"smoke: fail: {failure}", file=sys.stderr)
            return 1
    for step in steps:
        print(f"smoke: {step}")
    print(f"smoke: pass through {settings.gateway_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
