"""What the full demo makes and uses, every object named with the `demo-` prefix so that it touches only
its own: two people, a schedule, two escalation policies, two services with their integrations, and a
signed-webhook receiver of its own."""

import asyncio
import contextlib
import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from scripts.devstack.settings import StackSettings
from scripts.ops.api import Api, integration_key
from scripts.webhook_receiver import Receiver, running

PREFIX = "demo-"
API_SERVICE, AM_SERVICE = f"{PREFIX}checkout", f"{PREFIX}database"
PEOPLE = {
    "alice": ("Demo Alice", f"{PREFIX}alice@example.com"),
    "bob": ("Demo Bob", f"{PREFIX}bob@example.com"),
}
RECEIVER = f"{PREFIX}receiver"  # the webhook's description: how the demo finds its own
ESCALATION_MINUTES = 0.1  # the fast policy's first level: 6 s before the next level is paged


@dataclass
class World:
    people: dict[str, dict]  # alice / bob -> user
    keys: dict[str, str]  # api / alertmanager -> routing key


def seed(api: Api, settings: StackSettings) -> World:
    """The demo's objects, made when missing (found by name), kept between runs."""
    people = {
        who: api.ensure("/api/v1/users", {"name": name, "email": address}, key="email")
        for who, (name, address) in PEOPLE.items()
    }
    layer = {
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff_time": "09:00",
        "start_date": "2026-01-05",
        "member_ids": [people["alice"]["id"]],
    }
    schedule = api.ensure(
        "/api/v1/schedules", {"name": f"{PREFIX}primary", "time_zone": "UTC", "layers": [layer]}
    )
    on_call = {"type": "schedule", "id": schedule["id"]}
    backup = {"type": "user", "id": people["bob"]["id"]}
    keys = {}
    for service, kind, minutes in (
        (API_SERVICE, "api", 60),
        (AM_SERVICE, "alertmanager", ESCALATION_MINUTES),
    ):
        levels = [{"delay_minutes": minutes, "targets": [on_call]}, {"targets": [backup]}]
        policy = api.ensure(
            "/api/v1/escalation-policies", {"name": f"{service} escalation", "levels": levels}
        )
        made = api.ensure("/api/v1/services", {"name": service, "escalation_policy_id": policy["id"]})
        keys_file = settings.var_dir / "full-demo" / "keys.json"
        keys[kind] = integration_key(api, service_id=made["id"], kind=kind, keys_file=keys_file)
    return World(people=people, keys=keys)


def resolve_leftovers(api: Api) -> int:
    """Resolve the demo services' incidents an interrupted run left open, so this run starts afresh."""
    count = 0
    for service in (API_SERVICE, AM_SERVICE):
        for status in ("open", "acknowledged"):
            page = api.call("GET", "/api/v1/incidents", params={"service": service, "status": status})
            for incident in page["incidents"]:
                api.call("POST", f"/api/v1/incidents/{incident['id']}/resolve")
                count += 1
    return count


def remove_receivers(api: Api) -> None:
    """Delete the demo's own webhooks (by description), e.g. one an interrupted run left."""
    for hook in api.call("GET", "/api/v1/webhooks"):
        if hook["description"] == RECEIVER:
            api.call("DELETE", f"/api/v1/webhooks/{hook['id']}", 204)


def subscribe(api: Api, receiver: Receiver, url: str) -> dict:
    """A webhook for the demo's services to the demo's receiver, which verifies with its secret."""
    body = {
        "url": url,
        "description": RECEIVER,
        "services": [API_SERVICE, AM_SERVICE],
        "allow_internal": True,
    }
    made = api.call("POST", "/api/v1/webhooks", 201, json=body)
    receiver.secret = made["secret"]
    return made


@contextlib.contextmanager
def receiver_running() -> Iterator[tuple[Receiver, str]]:
    """The signed-webhook receiver on a free loopback port, served from a thread of its own."""
    receiver, ready, state = Receiver(), threading.Event(), {}

    async def serve() -> None:
        async with running(receiver) as url:
            state.update(url=url, loop=asyncio.get_running_loop(), stop=asyncio.Event())
            ready.set()
            await state["stop"].wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    if not ready.wait(15):
        raise RuntimeError("the webhook receiver did not start")
    try:
        yield receiver, state["url"]
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(10)


def mails_to(mail_dir: Path, address: str, since: datetime) -> list[tuple[Path, EmailMessage]]:
    """The messages the SMTP sink stored for `address` since `since`."""
    found = []
    for path in sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []:
        if datetime.fromtimestamp(path.stat().st_mtime, UTC) < since:
            continue
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["X-Sink-Rcpt-To"]):
            found.append((path, message))  # type: ignore[arg-type]
    return found


def alertmanager_group(run: str, status: str) -> dict:
    """An Alertmanager group of three database alerts, firing or resolved."""
    alerts = [
        {
            "status": status,
            "labels": {"alertname": name, "severity": "high", "instance": "db-1:9187"},
            "annotations": {"summary": summary},
            "fingerprint": f"{PREFIX}{run}-{name}",
        }
        for name, summary in (
            ("PostgresReplicationLag", "replica db-2 is 45 s behind"),
            ("PostgresConnectionsHigh", "db-1 uses 92% of max_connections"),
            ("DiskAlmostFull", "/var/lib/postgresql at 93% on db-1"),
        )
    ]
    return {
        "version": "4",
        "status": status,
        "receiver": "oncall",
        "groupKey": f"{PREFIX}{run}",
        "alerts": alerts,
    }
