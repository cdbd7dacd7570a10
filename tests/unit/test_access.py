"""Every route of every service checks credentials unless it is on the explicit public list."""

import asyncio

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from services.alert_ingestion import main as ingestion
from services.alert_ingestion.config import IngestionSettings
from services.incident_management import main as incidents
from services.incident_management.config import IncidentSettings
from services.metrics_exporter import main as exporter
from services.metrics_exporter.config import ExporterSettings
from services.notifier import main as notifier
from services.notifier.config import NotifierSettings
from services.oncall_service import main as oncall
from services.oncall_service.config import OnCallSettings
from services.web_ui import main as web_ui
from services.web_ui.config import WebUISettings
from services.web_ui.session import viewer
from shared.access import PUBLIC_MOUNTS, PUBLIC_ROUTES, identity

# The dependencies that authenticate: shared.access's for the APIs, the dashboard's session for its pages
# (which calls shared.access.Authenticator.session).
CHECKS = {identity, viewer}

SERVICES = {
    "alert-ingestion": (ingestion, IngestionSettings),
    "incident-management": (incidents, IncidentSettings),
    "oncall": (oncall, OnCallSettings),
    "notifier": (notifier, NotifierSettings),
    "web-ui": (web_ui, WebUISettings),
    "metrics-exporter": (exporter, ExporterSettings),
}


async def _service_routes(name: str) -> list:
    """The routes of a service's app, built from default settings (nothing is connected)."""
    module, settings_class = SERVICES[name]
    settings = settings_class(_env_file=None)
    if module is ingestion:  # stateless: its app is made from its settings
        return list(module.create_app(settings).routes)
    runtime = module.build_runtime(settings)
    try:
        return list(module.create_app(runtime).routes)
    finally:
        await runtime.close()


def _flat(routes: list) -> list:
    """Routes of included routers (FastAPI keeps them behind one entry per router) listed one by one."""
    found = []
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            found += [context.original_route for context in route.effective_route_contexts()]
        else:
            found.append(route)
    return found


def _checks(dependant) -> bool:
    return dependant.call in CHECKS or any(_checks(d) for d in dependant.dependencies)


def _routes() -> list[tuple[str, str, object]]:
    found = []
    for name in SERVICES:
        for route in _flat(asyncio.run(_service_routes(name))):
            if isinstance(route, APIRoute):
                found += [(name, method, route) for method in sorted(route.methods)]
            elif isinstance(route, Mount):
                found.append((name, "MOUNT", route))
            elif isinstance(route, Route):  # FastAPI's own pages (OpenAPI), which take no dependencies
                found += [(name, method, route) for method in sorted(route.methods or ())]
    return found


ROUTES = _routes()


@pytest.mark.parametrize(("service", "method", "route"), ROUTES, ids=lambda v: getattr(v, "path", v))
def test_every_route_checks_credentials_or_is_public(service, method, route):
    if method == "MOUNT":
        assert route.path in PUBLIC_MOUNTS, f"{service}: mount {route.path} is not on the public list"
        return
    public = ("GET" if method == "HEAD" else method, route.path) in PUBLIC_ROUTES
    checked = isinstance(route, APIRoute) and _checks(route.dependant)
    assert public or checked, f"{service}: {method} {route.path} has no credential check and is not public"
    assert not (public and checked), f"{service}: {method} {route.path} is public yet checks credentials"


def test_the_public_list_names_only_routes_that_exist():
    existing = {(method, route.path) for _, method, route in ROUTES if method != "MOUNT"}
    assert PUBLIC_ROUTES - existing == set()
