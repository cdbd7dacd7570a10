"""Routing keys on the way in: where senders put them, and what each stands for (cached briefly)."""

import time
from dataclasses import dataclass

import orjson
from fastapi import Request

from services.alert_ingestion.incident_client import IncidentClient
from shared.errors import Unauthenticated
from shared.integrations import parse_config

MISSING_KEY = (
    "an integration key is required: send it as `Authorization: Bearer <key>`, as `?key=<key>`, "
    "or in the format's own field (PagerDuty's routing_key)"
)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What incident-management said a key stands for."""

    key: str
    service: str
    type: str
    config: object


def key_from_request(request: Request, body_key: str | None = None) -> str | None:
    """The key from the Authorization header, else `?key=`, else the format's own field."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("key") or body_key or None


class KeyCache:
    """Integration lookups, kept `ttl` seconds. Only the parsing config is cached: incident-management
    checks the key again on every alert it stores, so a revoked key stops working at once."""

    def __init__(self, client: IncidentClient, *, ttl: float, max_entries: int = 10_000) -> None:
        self._client, self._ttl, self._max = client, ttl, max_entries
        self._entries: dict[str, tuple[float, KeyInfo]] = {}

    async def lookup(self, key: str | None) -> KeyInfo:
        """The integration behind `key`; Unauthenticated (401) / PermissionDenied (403) otherwise."""
        if not key:
            raise Unauthenticated(MISSING_KEY, field="key")
        cached = self._entries.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        reply = await self._client.get_integration(key)
        info = KeyInfo(
            key, reply.service, reply.type, parse_config(reply.type, orjson.loads(reply.config_json))
        )
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (now + self._ttl, info)
        return info
