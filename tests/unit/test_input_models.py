"""Every model a route reads from a client refuses unstorable text, and every PATCH body explicit nulls."""

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from shared.text import InputModel, PatchModel
from tests.unit.test_access import ROUTES

API_ROUTES = [(service, method, route) for service, method, route in ROUTES if isinstance(route, APIRoute)]


def _input_models(dependant) -> list[type[BaseModel]]:
    """The pydantic models of a route's body and query parameters, its dependencies' included."""
    fields = dependant.body_params + dependant.query_params
    found = [f.field_info.annotation for f in fields]
    found = [m for m in found if isinstance(m, type) and issubclass(m, BaseModel)]
    return found + [m for d in dependant.dependencies for m in _input_models(d)]


@pytest.mark.parametrize(("service", "method", "route"), API_ROUTES, ids=lambda v: getattr(v, "path", v))
def test_every_input_model_refuses_text_that_cannot_be_stored(service, method, route):
    for model in _input_models(route.dependant):
        assert issubclass(model, InputModel), f"{service}: {method} {route.path} reads {model.__name__}"
        if method == "PATCH" and route.dependant.body_params:
            assert issubclass(model, PatchModel), f"{service}: PATCH {route.path} body is no PatchModel"


def test_the_walk_finds_the_models():
    names = {m.__name__ for _, _, route in API_ROUTES for m in _input_models(route.dependant)}
    assert {"AlertIn", "IncidentFilter", "ServicePatch", "UserPatch", "WebhookPatch", "ListFilter"} <= names
