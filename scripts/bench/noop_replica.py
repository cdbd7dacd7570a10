"""An alert-ingestion replica plus the benchmark's no-op route, `POST /api/v1/alerts/_noop`: the same
middleware, parsing and validation as the alert route, nothing stored. The benchmark's own stack runs its
replicas from this module, so the ceiling it compares against is measured through the very same hop; the
product has no such route.

`python -m scripts.bench.noop_replica`, with the replica's settings from the environment.
"""

from functools import partial

from fastapi import FastAPI

from services.alert_ingestion.config import IngestionSettings
from services.alert_ingestion.main import create_app, main
from services.alert_ingestion.schemas import AlertIn
from shared.serve import run

PATH = "/api/v1/alerts/_noop"


async def noop(alert: AlertIn) -> dict[str, str]:
    """Parsed and validated as the alert route does it, then dropped."""
    return {"result": "noop"}


def create_noop_app(settings: IngestionSettings) -> FastAPI:
    """The replica's app with the no-op route added."""
    app = create_app(settings)
    app.add_api_route(PATH, noop, methods=["POST"], status_code=202)
    return app


if __name__ == "__main__":
    run(partial(main, create_noop_app))
