"""`full-demo`: the platform in seven narrated steps, each printing what it did and the evidence, then a
summary table; exit code 1 when a step failed. It starts the native stack when it is not running, runs
again without errors, and touches only the `demo-` objects it made (scripts/ops/demo_world.py)."""

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from scripts.devstack import processes, runner
from scripts.devstack.settings import StackSettings
from scripts.ops import demo_world, health
from scripts.ops.api import Api, ApiError, connect
from scripts.ops.calls import seconds
from scripts.ops.demo_world import AM_SERVICE, API_SERVICE, PEOPLE, World
from scripts.webhook_receiver import Receiver

BURST, DISTINCT = 12, 4  # API alerts sent, of which distinct fingerprints (the rest are duplicates)
WAIT_SECONDS = 40.0


class StepFailed(RuntimeError):
    pass


def wait_for(what: str, probe: Callable[[], object], timeout: float = WAIT_SECONDS) -> object:
    """The first truthy value of `probe()`, polled until `timeout`; StepFailed naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := probe():
            return found
        time.sleep(0.25)
    raise StepFailed(f"no {what} after {timeout:.0f} s")


class Demo:
    """The steps, sharing what earlier ones made; each returns its evidence lines."""

    def __init__(self, api: Api, settings: StackSettings, world: World, receiver: Receiver) -> None:
        self.api, self.settings, self.world, self.receiver = api, settings, world, receiver
        self.run, self.started = uuid.uuid4().hex[:8], datetime.now(UTC)
        self.incidents: dict[str, str] = {}  # api / alertmanager -> incident id

    def incident(self, kind: str) -> dict:
        return self.api.call("GET", f"/api/v1/incidents/{self.incidents[kind]}")

    def health(self) -> list[str]:
        rows = health.check_all(self.settings)
        sick = [f"{row.name}: {row.reason}" for row in rows if not row.healthy]
        if sick:
            raise StepFailed("; ".join(sick))
        return [f"{len(rows)} components healthy: {', '.join(row.name for row in rows)}"]

    def burst(self) -> list[str]:
        bearer = {"Authorization": f"Bearer {self.world.keys['api']}"}
        for index in range(BURST):
            body = {
                "severity": "critical",
                "summary": "checkout answers 5xx above 5%",
                "fingerprint": f"demo-{self.run}-{index % DISTINCT}",
                "labels": {"alertname": "High5xx", "region": "eu-west-1"},
            }
            reply = self.api.call("POST", "/api/v1/alerts", 202, headers=bearer, json=body)
            self.incidents.setdefault("api", reply["incident_id"])
        bearer = {"Authorization": f"Bearer {self.world.keys['alertmanager']}"}
        group = demo_world.alertmanager_group(self.run, "firing")
        reply = self.api.call("POST", "/api/v1/integrations/alertmanager", 202, headers=bearer, json=group)
        ids = {r["incident_id"] for r in reply["results"]}
        if len(ids) != 1:
            raise StepFailed(f"the Alertmanager group made {len(ids)} incidents, not one")
        self.incidents["alertmanager"] = ids.pop()
        a, b = self.incident("api"), self.incident("alertmanager")
        sent = BURST + len(group["alerts"])
        return [
            f"{sent} alerts sent: {BURST} from our API ({BURST - DISTINCT} duplicates), "
            f"{len(group['alerts'])} in one Alertmanager group → 2 incidents",
            f"{a['id']} {API_SERVICE}: {a['alert_count']} alerts, {a['duplicate_count']} duplicates",
            f"{b['id']} {AM_SERVICE}: {b['alert_count']} alerts",
        ]

    def notify(self) -> list[str]:
        alice = self.world.people["alice"]
        incident = wait_for("assignment", lambda: (i := self.incident("api"))["assigned_to"] and i)
        if incident["assigned_to"] != alice["id"]:
            raise StepFailed(f"assigned to {incident['assigned_to']}, not the on-call {alice['name']}")
        mails = wait_for(
            f"mail to {alice['email']} in {self.settings.mail_dir}",
            lambda: [
                (p, m)
                for p, m in demo_world.mails_to(self.settings.mail_dir, alice["email"], self.started)
                if incident["id"] in m.get_body(preferencelist=("plain",)).get_content()
            ],
        )
        events = wait_for(
            "signed webhook for the incident",
            lambda: [e for e, i in self.receiver.incident_of.items() if i == incident["id"]],
        )
        return [
            f"assigned to {alice['name']} (on call in the demo-primary schedule)",
            f"email to {alice['email']}: {mails[0][1]['Subject']} ({mails[0][0].name})",
            f"webhook received, signature verified: event {events[0]} "
            f"({self.receiver.bad_signatures} with a bad signature)",
        ]

    def acknowledge(self) -> list[str]:
        acked = self.api.call("POST", f"/api/v1/incidents/{self.incidents['api']}/acknowledge")
        return [
            f"{acked['id']} acknowledged by {acked['acknowledged_by']}: MTTA {seconds(acked['mtta_seconds'])}"
        ]

    def escalate(self) -> list[str]:
        bob = self.world.people["bob"]
        incident = wait_for(
            f"escalation to {bob['name']}",
            lambda: (i := self.incident("alertmanager"))["assigned_to"] == bob["id"] and i,
        )
        fired = [e for e in incident["timeline"] if e["kind"] == "escalated"]
        took = (datetime.fromisoformat(fired[0]["at"]) - self.started).total_seconds() if fired else None
        return [
            f"{incident['id']} left unacknowledged: level 1 ({PEOPLE['alice'][0]}) waited "
            f"{demo_world.ESCALATION_MINUTES * 60:.0f} s, then level 2 paged: now assigned to {bob['name']}",
            f"escalated {seconds(took)} after the burst"
            if took is not None
            else "escalation in the timeline",
        ]

    def resolve(self) -> list[str]:
        a = self.api.call("POST", f"/api/v1/incidents/{self.incidents['api']}/resolve")
        bearer = {"Authorization": f"Bearer {self.world.keys['alertmanager']}"}
        group = demo_world.alertmanager_group(self.run, "resolved")
        self.api.call("POST", "/api/v1/integrations/alertmanager", 202, headers=bearer, json=group)
        b = wait_for(
            "auto-resolve", lambda: (i := self.incident("alertmanager"))["status"] == "resolved" and i
        )
        return [
            f"{a['id']} resolved by {a['resolved_by']}: MTTR {seconds(a['mttr_seconds'])}",
            f"{b['id']} auto-resolved when Alertmanager sent `resolved` (by {b['resolved_by']}): "
            f"MTTR {seconds(b['mttr_seconds'])}",
        ]

    def analytics(self) -> list[str]:
        lines = []
        for service in (API_SERVICE, AM_SERVICE):
            query = {"since": self.started.isoformat(), "service": service}
            totals = self.api.call("GET", "/api/v1/analytics/incidents", params=query)["totals"]
            lines.append(
                f"{service}: {totals['total_incident_count']} incident(s), "
                f"{totals['total_alert_count']} alerts, MTTA {seconds(totals['mean_seconds_to_first_ack'])}, "
                f"MTTR {seconds(totals['mean_seconds_to_resolve'])}"
            )
        return lines + where_to_look(self.settings)


def where_to_look(settings: StackSettings) -> list[str]:
    """The dashboard and its login, and the observability tools that answer."""
    email, _ = runner.admin_login(settings)
    secret = "ADMIN_PASSWORD" if settings.admin_password else settings.admin_password_file
    lines = [f"dashboard  {settings.gateway_url}/ui/  (log in as {email}, password in {secret})"]
    if processes.running_pid(settings.run_dir, "prometheus"):
        lines.append(f"Prometheus http://127.0.0.1:{settings.prometheus_port}/  (alert rules: /alerts)")
    for name, url in (("Grafana", "http://127.0.0.1:3000/"), ("Jaeger", "http://127.0.0.1:16686/")):
        if processes.healthy(url):
            lines.append(f"{name:10} {url}")
    return lines


STEPS = (
    ("health of every component", Demo.health),
    ("a burst from two sources, correlated", Demo.burst),
    ("on-call assigned, email and signed webhook", Demo.notify),
    ("acknowledgement (MTTA)", Demo.acknowledge),
    ("unacknowledged incident escalates", Demo.escalate),
    ("resolution and auto-resolve (MTTR)", Demo.resolve),
    ("analytics and where to look next", Demo.analytics),
)


def run_steps(demo: Demo) -> list[tuple[str, str, float]]:
    """Each step narrated in turn; after a failed one the rest are skipped. (title, outcome, seconds)."""
    rows: list[tuple[str, str, float]] = []
    for number, (title, step) in enumerate(STEPS, start=1):
        print(f"\n[{number}/{len(STEPS)}] {title}", flush=True)
        if rows and rows[-1][1] != "ok":
            rows.append((title, "skipped", 0.0))
            print("  skipped: an earlier step failed")
            continue
        started = time.perf_counter()
        try:
            for line in step(demo):
                print(f"  {line}", flush=True)
            outcome = "ok"
        except (StepFailed, ApiError, httpx.HTTPError) as failure:
            outcome = "FAILED"
            print(f"  FAILED: {failure}")
        rows.append((title, outcome, time.perf_counter() - started))
    return rows


def main(settings: StackSettings) -> int:
    """Start the stack if needed, run the seven steps, print the summary; 1 when any step failed."""
    began = time.perf_counter()
    if processes.running_pid(settings.run_dir, "traefik") is None:
        print("the stack is not running: starting it", flush=True)
        runner.up(settings)
    with connect(settings) as api, demo_world.receiver_running() as (receiver, url):
        world = demo_world.seed(api, settings)
        demo_world.remove_receivers(api)
        left = demo_world.resolve_leftovers(api)
        hook = demo_world.subscribe(api, receiver, url)
        print(
            f"demo objects ready (prefix demo-); webhook {hook['id']} → {url}"
            + (f"; {left} left open resolved" if left else "")
        )
        try:
            rows = run_steps(Demo(api, settings, world, receiver))
        finally:
            api.call("DELETE", f"/api/v1/webhooks/{hook['id']}", 204)
    print("\n  #  step                                          result   seconds")
    for number, (title, outcome, took) in enumerate(rows, start=1):
        print(f"  {number}  {title:45} {outcome:8} {took:7.1f}")
    failed = [title for title, outcome, _ in rows if outcome != "ok"]
    print(f"full demo {'FAILED' if failed else 'passed'} in {time.perf_counter() - began:.0f} s")
    return 1 if failed else 0
