"""The gateway's JSON API as the CLI and the demos call it: as the stack's first admin, or with
ONCALL_API_TOKEN."""

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from scripts.devstack import runner, tls
from scripts.devstack.settings import StackSettings


class ApiError(RuntimeError):
    """An answer the caller did not expect; the message holds its status and text."""


class Api:
    """Calls that check the status they expect and return the decoded body."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        reply = self.client.request(method, path, **kwargs)
        if reply.status_code != expect:
            raise ApiError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")
        return reply.json() if reply.content else None

    def ensure(self, path: str, body: dict, key: str = "name") -> dict:
        """The item of the collection at `path` whose `key` equals the body's, created if missing."""
        found = [item for item in self.call("GET", path) if item[key] == body[key]]
        return found[0] if found else self.call("POST", path, 201, json=body)


@contextlib.contextmanager
def connect(settings: StackSettings, timeout: float = 15) -> Iterator[Api]:
    """An Api on the stack's gateway, signed in (ONCALL_API_TOKEN when set, else the first admin)."""
    context = tls.client_context(settings)
    with httpx.Client(base_url=settings.gateway_url, verify=context, timeout=timeout) as client:
        api = Api(client)
        token = settings.oncall_api_token or _admin_token(api, settings)
        client.headers["Authorization"] = f"Bearer {token}"
        yield api


def _admin_token(api: Api, settings: StackSettings) -> str:
    email, password = runner.admin_login(settings)
    return api.call("POST", "/api/v1/auth/token", json={"email": email, "password": password})["access_token"]


def integration_key(api: Api, *, service_id: str, kind: str, keys_file: Path) -> str:
    """A key of the service's `kind` integration: one kept in `keys_file` (mode 0600, as the API shows a
    key once) while its integration is live, else a new integration's. Never revokes one: integrations
    whose key is not kept here may be someone else's."""
    known = json.loads(keys_file.read_text()) if keys_file.exists() else {}
    path = f"/api/v1/services/{service_id}/integrations"
    live = [i for i in api.call("GET", path) if i["revoked_at"] is None and i["type"] == kind]
    for integration in live:
        if integration["id"] in known:
            return known[integration["id"]]
    created = api.call("POST", path, 201, json={"name": f"{kind} ({keys_file.parent.name})", "type": kind})
    known[created["id"]] = created["key"]
    write_private(keys_file, json.dumps(known, indent=2))
    return created["key"]


def write_private(path: Path, text: str) -> None:
    """Write `path` readable by its owner only (its folder too)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
