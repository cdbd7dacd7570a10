"""The exporter's app on a test's own database and stream, called in process."""

import contextlib
import secrets
import uuid

import httpx
import pytest

from services.metrics_exporter import main
from services.metrics_exporter.config import ExporterSettings


@pytest.fixture
def exporter(redis_url):
    """Factory: an exporter client over `database_url` (settings overridden by keywords)."""

    @contextlib.asynccontextmanager
    async def start(database_url: str, **overrides):
        values = {
            "database_url": database_url,
            "redis_url": redis_url,
            "internal_token": secrets.token_hex(32),
            "events_stream": f"exporter-test-{uuid.uuid4().hex[:8]}:events",
            "scrape_cache_seconds": 0,
        }
        runtime = main.build_runtime(ExporterSettings(_env_file=None, **(values | overrides)))
        transport = httpx.ASGITransport(app=main.create_app(runtime))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://exporter") as client:
                client.runtime = runtime
                yield client
        finally:
            await runtime.close()

    return start
