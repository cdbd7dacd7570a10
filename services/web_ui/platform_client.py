"""The REST APIs the pages read and act through: incident-management's and on-call's, over one pooled
httpx client."""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from shared.logging import TRACE_HEADER, trace_id_var


class UpstreamError(Exception):
    """An API answered with an error (or not at all): `status` and a message a person can read."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class PlatformClient:
    http: httpx.AsyncClient
    incident_url: str
    oncall_url: str

    async def list_incidents(self, params: dict[str, str | int]) -> dict[str, Any]:
        return await self._call("GET", f"{self.incident_url}/api/v1/incidents", params=params)

    async def get_incident(self, incident_id: str) -> dict[str, Any]:
        return await self._call("GET", f"{self.incident_url}/api/v1/incidents/{incident_id}")

    async def act(self, incident_id: str, action: str, *, actor: str) -> dict[str, Any]:
        """`acknowledge` or `resolve` the incident in the name of `actor`."""
        url = f"{self.incident_url}/api/v1/incidents/{incident_id}/{action}"
        return await self._call("POST", url, json={"actor": actor})

    async def on_call_now(self) -> list[dict[str, Any]]:
        """Who is on call now, one entry per team (teams in name order)."""
        teams = await self._call("GET", f"{self.oncall_url}/api/v1/teams")
        names = sorted(team["name"] for team in teams)
        url = f"{self.oncall_url}/api/v1/oncall/current"
        return list(await asyncio.gather(*(self._call("GET", url, params={"team": n}) for n in names)))

    async def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {TRACE_HEADER: trace_id_var.get()}
        try:
            reply = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise UpstreamError(503, f"The service at {url.split('/api/')[0]} cannot be reached.") from error
        if reply.status_code >= 400:
            raise UpstreamError(reply.status_code, _detail(reply))
        return reply.json()


def _detail(reply: httpx.Response) -> str:
    try:
        detail = reply.json().get("detail")
    except ValueError:
        detail = None
    return str(detail) if detail else f"{reply.status_code} {reply.reason_phrase}"
