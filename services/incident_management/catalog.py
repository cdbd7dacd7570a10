"""Services and their integrations: routing keys made, shown once, stored hashed, checked, revoked."""

import hashlib
import secrets
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from services.incident_management import repository as repo
from services.incident_management.models import Heartbeat, Integration, MonitoredService
from services.incident_management.schemas import IntegrationCreate, ServiceCreate, ServicePatch
from shared.errors import AlreadyExists, DomainError, NotFound, PermissionDenied, Unauthenticated

# PagerDuty's routing keys are 32 lowercase alphanumerics; some client libraries check the length.
KEY_ALPHABET = string.ascii_lowercase + string.digits
KEY_LENGTH = 32


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """What a valid routing key stands for."""

    integration: Integration
    service: MonitoredService


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def hash_key(key: str) -> str:
    """Keys carry 165 bits of randomness: a plain SHA-256 is enough to store them (no salt or stretching)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _owner(found: tuple[Integration, MonitoredService] | None) -> KeyOwner:
    if found is None:
        raise Unauthenticated("unknown integration key", field="key")
    integration, service = found
    if integration.revoked_at is not None:
        raise PermissionDenied(
            f"integration key was revoked at {integration.revoked_at.isoformat()}", field="key"
        )
    return KeyOwner(integration, service)


async def lookup_key(connection: asyncpg.Connection, key: str) -> KeyOwner:
    """The integration and service behind a routing key; 401 unknown, 403 revoked. The objects belong to
    no session."""
    return _only(await lookup_keys(connection, {key}), key)


async def lookup_keys(connection: asyncpg.Connection, keys: set[str]) -> dict[str, KeyOwner | DomainError]:
    """Several keys in one query: each key's owner, or its 401/403 error."""
    if not keys:
        return {}
    hashes = hash_keys(keys)
    found = await repo.find_integrations_by_key_hashes(connection, key_hashes=list(set(hashes.values())))
    return _owners(hashes, found)


def hash_keys(keys: set[str]) -> dict[str, str]:
    """Each key's hash (`hash_key` of the key without surrounding blanks)."""
    return {key: hash_key(key.strip()) for key in keys}


def _owners(
    hashes: dict[str, str], found: dict[str, tuple[Integration, MonitoredService]]
) -> dict[str, KeyOwner | DomainError]:
    owners: dict[str, KeyOwner | DomainError] = {}
    for key, key_hash in hashes.items():
        try:
            owners[key] = _owner(found.get(key_hash))
        except DomainError as error:
            owners[key] = error
    return owners


def _only(owners: dict[str, KeyOwner | DomainError], key: str) -> KeyOwner:
    owner = owners[key]
    if isinstance(owner, DomainError):
        raise owner
    return owner


async def create_service(session: AsyncSession, data: ServiceCreate) -> MonitoredService:
    if await repo.get_service_by_name(session, name=data.name) is not None:
        raise AlreadyExists(f"a service named {data.name!r} exists", field="name")
    return await repo.create_service(session, values=data.model_dump())


async def list_services(session: AsyncSession) -> list[tuple[MonitoredService, list[Integration]]]:
    """Every service, in name order, with its integrations (oldest first)."""
    services = await repo.list_services(session)
    of_service: dict[uuid.UUID, list[Integration]] = {s.id: [] for s in services}
    for integration in await repo.list_integrations(session, service_ids=list(of_service)):
        of_service[integration.service_id].append(integration)
    return [(s, of_service[s.id]) for s in services]


async def get_service(session: AsyncSession, service_id: uuid.UUID) -> MonitoredService:
    service = await repo.get_service(session, service_id=service_id)
    if service is None:
        raise NotFound(f"service {service_id} not found", field="id")
    return service


async def update_service(
    session: AsyncSession, service_id: uuid.UUID, patch: ServicePatch
) -> MonitoredService:
    service = await get_service(session, service_id)
    changes = patch.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] != service.name:
        if await repo.get_service_by_name(session, name=changes["name"]) is not None:
            raise AlreadyExists(f"a service named {changes['name']!r} exists", field="name")
    for name, value in changes.items():
        setattr(service, name, value)
    return service


async def delete_service(session: AsyncSession, service_id: uuid.UUID) -> None:
    """The service and its integrations (their keys stop working); its incidents stay."""
    await repo.delete_service(session, service=await get_service(session, service_id))


async def list_integrations(session: AsyncSession, service_id: uuid.UUID) -> Sequence[Integration]:
    await get_service(session, service_id)
    return await repo.list_integrations(session, service_ids=[service_id])


async def create_integration(
    session: AsyncSession, service_id: uuid.UUID, data: IntegrationCreate
) -> tuple[Integration, str]:
    """A new integration and its key; the key is returned here and never again."""
    await get_service(session, service_id)
    key = new_key()
    integration = Integration(
        id=uuid.uuid4(),
        service_id=service_id,
        name=data.name,
        type=data.type,
        key_hash=hash_key(key),
        key_hint=key[:4],
        config=data.config,
    )
    session.add(integration)
    await session.flush()  # the heartbeat row refers to it
    if data.type == "heartbeat":
        session.add(
            Heartbeat(
                integration_id=integration.id,
                interval_seconds=data.config["interval_seconds"],
                grace_seconds=data.config["grace_seconds"],
            )
        )
    return integration, key


async def get_integration(
    session: AsyncSession, service_id: uuid.UUID, integration_id: uuid.UUID
) -> Integration:
    integration = await repo.get_integration(session, integration_id=integration_id)
    if integration is None or integration.service_id != service_id:
        raise NotFound(f"integration {integration_id} not found on service {service_id}", field="id")
    return integration


async def revoke_integration(
    session: AsyncSession, service_id: uuid.UUID, integration_id: uuid.UUID, *, now: datetime
) -> Integration:
    """The key stops working at once; the record stays so senders get 403 'revoked', not 401."""
    integration = await get_integration(session, service_id, integration_id)
    if integration.revoked_at is None:
        integration.revoked_at = now
    return integration
