"""The benchmark's credentials, and what checking them costs.

Every /api/v1 route but alert ingestion (integration keys) and `POST /api/v1/auth/token` needs credentials:
the benchmark logs in as the stack's first admin (`runner.admin_login`) and sends that access token with
every call that sets the stack up or reads it.

The check's cost on `GET /api/v1/incidents` (target: p50 under 1 ms) is measured in this process, where
nothing else is timed with it: incident-management's own Authenticator, built from the settings the stack
gives that service, on the stack's database, identifies requests carrying the admin's access token and
requests carrying an API token. Warm: one authenticator whose cache holds the user and the token, as a
process serving requests has them (it looks them up again every AUTH_CACHE_SECONDS); cold: a new
authenticator per request, so that each one is looked up in the database (a pooled connection). Beside it,
the same request through the gateway with the access token, the whole of which the check is a part.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import uvloop
from starlette.requests import Request

from scripts.bench.openloop import percentile
from scripts.devstack import runner
from scripts.devstack.settings import StackSettings
from services.incident_management.config import IncidentSettings
from shared.db import create_engine
from shared.identities import database_authenticator

LIST = "/api/v1/incidents"
WARM_ROUNDS, COLD_ROUNDS, REQUEST_ROUNDS = 2_000, 200, 100


def admin_headers(gateway: str, settings: StackSettings) -> dict[str, str]:
    """`Authorization: Bearer <access token>` of the stack's first admin (ADMIN_EMAIL/ADMIN_PASSWORD, else
    the password generated under VAR_DIR)."""
    email, password = runner.admin_login(settings)
    body = {"email": email, "password": password}
    reply = httpx.post(f"{gateway}/api/v1/auth/token", json=body, timeout=30)
    if reply.status_code != 200:
        raise RuntimeError(
            f"no access token for {email} ({reply.status_code}: {reply.text}): give the stack's admin as "
            "ADMIN_EMAIL and ADMIN_PASSWORD"
        )
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def api_token(gateway: str, headers: dict[str, str]) -> str:
    """A new API token (`ocp_…`, role viewer: it may read the incident list), made by the admin."""
    body = {"name": f"bench-{int(time.time())}", "role": "viewer"}
    reply = httpx.post(f"{gateway}/api/v1/tokens", json=body, headers=headers, timeout=30)
    reply.raise_for_status()
    return reply.json()["token"]


def incident_settings(stack: StackSettings) -> IncidentSettings:
    """incident-management's settings as the stack starts it: from the environment it gives that process."""
    env = runner.spec_named(stack, "incident-management").env
    fields = IncidentSettings.model_fields
    return IncidentSettings(_env_file=None, **{k.lower(): v for k, v in env.items() if k.lower() in fields})


def ms(times: list[float]) -> dict[str, float]:
    """p50 and p99 of durations in ms, to the microsecond."""
    return {"p50": round(percentile(times, 50), 3), "p99": round(percentile(times, 99), 3)}


def _request(credential: str) -> Request:
    headers = [(b"authorization", f"Bearer {credential}".encode())]
    return Request({"type": "http", "method": "GET", "path": LIST, "query_string": b"", "headers": headers})


async def _timed(calls: list[Callable[[Request], Awaitable]], request: Request) -> list[float]:
    times = []
    for identify in calls:
        started = time.perf_counter()
        await identify(request)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def _settled() -> None:
    """Wait for the authenticators' background writes (an API token's last use) before the engine closes."""
    await asyncio.gather(*(asyncio.all_tasks() - {asyncio.current_task()}))


async def check_costs(settings: IncidentSettings, credentials: dict[str, str]) -> dict[str, dict]:
    """Warm and cold p50/p99 ms of `Authenticator.identify` for each credential, by its kind."""
    engine = create_engine(settings)
    try:
        warm = database_authenticator(settings, engine)
        figures = {}
        for kind, credential in credentials.items():
            request = _request(credential)
            await warm.identify(request)  # its user or token cached from here on
            await _settled()
            fresh = [database_authenticator(settings, engine).identify for _ in range(COLD_ROUNDS)]
            figures[kind] = {
                "warm_ms": ms(await _timed([warm.identify] * WARM_ROUNDS, request)),
                "cold_ms": ms(await _timed(fresh, request)),
            }
            await _settled()
        return figures
    finally:
        await engine.dispose()


async def request_costs(gateway: str, headers: dict[str, str]) -> dict[str, float]:
    """p50/p99 ms of GET /api/v1/incidents through the gateway with `headers`, one request at a time."""
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers=headers) as client:
        (await client.get(LIST)).raise_for_status()  # warm
        times = []
        for _ in range(REQUEST_ROUNDS):
            started = time.perf_counter()
            (await client.get(LIST)).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return ms(times)


def measure(stack: StackSettings, gateway: str, headers: dict[str, str]) -> dict:
    """The credential check's cost with an access token and an API token, and the request it guards."""
    access = headers["Authorization"].removeprefix("Bearer ")
    credentials = {"access_token": access, "api_token": api_token(gateway, headers)}
    figures = uvloop.run(check_costs(incident_settings(stack), credentials))
    request = uvloop.run(request_costs(gateway, headers))
    return figures | {
        "rounds": {"warm": WARM_ROUNDS, "cold": COLD_ROUNDS, "request": REQUEST_ROUNDS},
        "request_ms": request,
        "check_share_of_request_p50": round(figures["access_token"]["warm_ms"]["p50"] / request["p50"], 4),
    }
