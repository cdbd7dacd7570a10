import contextlib

import httpx
import pytest

from services.alert_ingestion.config import IngestionSettings
from services.alert_ingestion.main import create_app
from tests.integration.incident_fixtures import incidents, start_incident_stack  # noqa: F401
from tests.integration.servers import running_uvicorn


@pytest.fixture
async def start_ingestion():
    """Factory: an ingestion replica (real uvicorn) pointed at a gRPC target."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(target: str, **overrides) -> httpx.AsyncClient:
            settings = IngestionSettings(incident_grpc_target=target, replica_id="test-replica", **overrides)
            base = await stack.enter_async_context(running_uvicorn(create_app(settings)))
            return await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=10))

        yield start
