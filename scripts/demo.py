"""`demo`: the native stack up, a small on-call setup seeded through the gateway's public APIs,
a dashboard password for its first on-call person, a few alerts fired (our JSON and an Alertmanager
payload), then the dashboard's URL.

Safe to run again: what exists (found by name) is kept, the integration keys are kept in
VAR_DIR/demo/keys.json (mode 0600, since the API shows a key only once; an integration whose key is
not kept there is left alone, as it may be someone else's), the alerts carry fixed
fingerprints so they come back as duplicates, and the password is printed only when it is set (the first
run), as the accounts CLI would set it.
"""

import asyncio
import secrets
import sys
from pathlib import Path

from scripts.devstack import runner
from scripts.devstack.processes import StartupFailed
from scripts.devstack.settings import StackSettings
from scripts.ops.api import Api, ApiError, connect, integration_key
from scripts.stack import first_admin_notice
from services.oncall_service import logins
from services.oncall_service import repository as oncall_repo
from shared.config import DatabaseSettings
from shared.db import create_engine, create_session_factory
from shared.timeutil import utcnow

SERVICE, TEAM = "checkout-api", "payments"
PEOPLE = [("Alice Martin", "alice@example.com"), ("Bob Nguyen", "bob@example.com")]
DEMO_LOGIN = PEOPLE[0][1]  # the dashboard's demo login: an on-call user of the team
RESET = f"python -m services.oncall_service.accounts set-password --email {DEMO_LOGIN}"  # asks it twice


def seed_people(api: Api) -> tuple[list[dict], dict]:
    """Two users, their team owning the service, a weekly rotation and a two-level escalation policy."""
    users = [
        api.ensure("/api/v1/users", {"name": name, "email": email}, key="email") for name, email in PEOPLE
    ]
    team = api.ensure("/api/v1/teams", {"name": TEAM, "services": [SERVICE]})
    if not api.call("GET", "/api/v1/rotations", params={"team_id": team["id"]}):
        rotation = {
            "team_id": team["id"],
            "name": "primary",
            "time_zone": "Europe/Paris",
            "handoff_weekday": 0,
            "handoff_time": "09:00",
            "start_date": "2026-01-05",
            "member_ids": [u["id"] for u in users],
        }
        api.call("POST", "/api/v1/rotations", 201, json=rotation)
    levels = [
        {"delay_minutes": 5, "targets": [{"type": "user", "id": users[0]["id"]}]},
        {"targets": [{"type": "user", "id": users[1]["id"]}]},
    ]
    policy = api.ensure(
        "/api/v1/escalation-policies", {"name": f"{TEAM} critical", "repeat": 1, "levels": levels}
    )
    return users, policy


def seed_service(api: Api, policy: dict, keys_file: Path) -> dict[str, str]:
    """The service with an `api` and an `alertmanager` integration; returns each one's key by type."""
    service = api.ensure(
        "/api/v1/services", {"name": SERVICE, "team": TEAM, "escalation_policy_id": policy["id"]}
    )
    return {
        kind: integration_key(api, service_id=service["id"], kind=kind, keys_file=keys_file)
        for kind in ("api", "alertmanager")
    }


def fire_alerts(api: Api, keys: dict[str, str]) -> list[dict]:
    """Two alerts of our own format and one Alertmanager group of two; fixed fingerprints."""
    bearer = {"Authorization": f"Bearer {keys['api']}"}
    answers = [
        api.call("POST", "/api/v1/alerts", 202, headers=bearer, json=body)
        for body in (
            {
                "severity": "critical",
                "summary": "5xx rate above 5% on checkout",
                "fingerprint": "demo-5xx",
                "labels": {"alertname": "High5xx", "region": "eu-west-1"},
            },
            {
                "severity": "warning",
                "summary": "p99 latency above 800 ms",
                "fingerprint": "demo-latency",
                "labels": {"alertname": "SlowCheckout"},
            },
        )
    ]
    firing = [
        {
            "status": "firing",
            "labels": {"alertname": name, "severity": severity, "instance": "db-1:9187"},
            "annotations": {"summary": summary},
            "fingerprint": f"demo-am-{name}",
        }
        for name, severity, summary in (
            ("PostgresReplicationLag", "high", "replica db-2 is 45 s behind"),
            ("DiskAlmostFull", "critical", "/var/lib/postgresql at 93% on db-1"),
        )
    ]
    group = {"version": "4", "status": "firing", "receiver": "oncall", "groupKey": "demo", "alerts": firing}
    bearer = {"Authorization": f"Bearer {keys['alertmanager']}"}
    answers.append(api.call("POST", "/api/v1/integrations/alertmanager", 202, headers=bearer, json=group))
    return answers


async def ensure_login(database_url: str) -> str | None:
    """A dashboard password for the demo's on-call user: the new one when set now, None when they have one."""
    engine = create_engine(DatabaseSettings(database_url=database_url, db_pool_size=1))
    try:
        async with create_session_factory(engine).begin() as session:
            user = await oncall_repo.get_user_by_email(session, email=DEMO_LOGIN)
            if user is not None and user.password_hash:
                return None
            password = secrets.token_urlsafe(12)
            await logins.set_password(session, email=DEMO_LOGIN, name=None, password=password, now=utcnow())
            return password
    finally:
        await engine.dispose()


def run(settings: StackSettings) -> str:
    """Start the stack (what runs already is kept), seed, fire; returns what to print."""
    runner.up(settings)
    with connect(settings) as api:
        _, policy = seed_people(api)
        keys = seed_service(api, policy, settings.var_dir / "demo" / "keys.json")
        fired = fire_alerts(api, keys)
        query = {"status": "open", "service": SERVICE}
        open_now = api.call("GET", "/api/v1/incidents", params=query)["total"]
    password = asyncio.run(ensure_login(runner.backends_of(settings).database_url))
    login = (
        f"{DEMO_LOGIN} / {password}   (shown this once; to change it: {RESET})"
        if password
        else f"{DEMO_LOGIN} (has a password already, printed when it was set; to change it: {RESET})"
    )
    return f"""Demo ready ({len(fired)} requests of alerts sent; {open_now} open incidents on {SERVICE}):
  dashboard   {settings.gateway_url}/ui/
  login       {login}
  on call     {settings.gateway_url}/ui/oncall  (team {TEAM}: {", ".join(n for n, _ in PEOPLE)})
  API         {settings.gateway_url}/api/v1/incidents?service={SERVICE}
  keys        {settings.var_dir / "demo" / "keys.json"} (integration keys, mode 0600)
  `make down` stops everything."""


def main(settings: StackSettings | None = None) -> int:
    settings = settings or StackSettings()
    new_admin = not settings.admin_email and not settings.admin_password_file.exists()
    try:
        print(run(settings))
        if new_admin:
            print(first_admin_notice(settings))
    except ApiError as failure:
        print(f"demo stopped: {failure}", file=sys.stderr)
        return 1
    except StartupFailed as failure:
        print(f"stack failed to start: {failure}\nlogs: {settings.log_dir}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
