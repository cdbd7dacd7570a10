"""What every FastAPI app here shares: error mapping, body limit, trace ids, metrics and health routes."""

import asyncio
import logging
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import DomainError, InvalidInput, TooManyRequests
from shared.metrics import install_metrics
from shared.telemetry import TRACEPARENT, adopt
from shared.text import UNSTORABLE, storable, unstorable_field

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[object]]
MAX_BODY_BYTES = 256 * 1024
_TRACEPARENT_KEY = TRACEPARENT.encode()
# A list's page offset: bounded, so an offset past PostgreSQL's bigint is a 422, not a failed query (500);
# ten million is past any page a person or script reads.
PageOffset = Annotated[int, Field(ge=0, le=10_000_000)]


class EdgeMiddleware:
    """Pure ASGI: give every request not traced already the caller's trace context or a new one (and
    answer with its trace id in `x-trace-id`), reject bodies over the limit with 413, and a path or
    query parameter holding text that cannot be stored (`shared.text`) with 422 naming it."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        span_context = trace.get_current_span().get_span_context()
        if not span_context.is_valid:  # no span: tracing off (or a health check)
            adopt(headers.get(_TRACEPARENT_KEY))
            span_context = trace.get_current_span().get_span_context()
        trace_id = f"{span_context.trace_id:032x}".encode()
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await _too_large(self.max_body_bytes)(scope, receive, send)
            return
        unstorable = _unstorable_parameter(scope)
        if unstorable is not None:
            body = {"detail": f"{unstorable}: {UNSTORABLE}", "field": unstorable}
            await JSONResponse(body, status_code=422)(scope, receive, send)
            return
        received, answered = 0, False

        async def limited_receive() -> Message:
            nonlocal received, answered
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes and not answered:
                # Answer 413 now and tell the app the client left; whatever it sends after is dropped.
                answered = True
                await _too_large(self.max_body_bytes)(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def send_with_trace(message: Message) -> None:
            if answered:
                return
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-trace-id", trace_id)]
            await send(message)

        await self.app(scope, limited_receive, send_with_trace)


def _unstorable_parameter(scope: Scope) -> str | None:
    """`path`, or the name of the first query parameter, holding text that cannot be stored."""
    if not storable(scope["path"]):
        return "path"
    query = scope.get("query_string", b"")
    if b"%00" not in query:  # bad UTF-8 (a surrogate's too) is decoded as U+FFFD, which is storable
        return None
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return unstorable_field({k: [k, v] for k, v in pairs})


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": f"request body exceeds {limit // 1024} KiB"}, status_code=413)


def describe_validation_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    """`field: message; ...` for a validation failure, naming each field (body fields without `body.`)."""
    parts = []
    for error in errors:
        if error.get("type") == "json_invalid":  # its loc is (body, offset), its ctx says what is wrong
            parts.append(f"body: not valid JSON: {error.get('ctx', {}).get('error', 'cannot be parsed')}")
            continue
        loc = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def invalid_input(error: ValidationError) -> InvalidInput:
    """A model's refusal of values that did not come through FastAPI (gRPC, the CLI), naming the field."""
    errors = list(error.errors())
    field = str(errors[0]["loc"][0]) if errors and errors[0].get("loc") else None
    return InvalidInput(describe_validation_errors(errors), field=field)


Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], values: Mapping[str, object]) -> Model:
    """`values` checked by `model`, else InvalidInput naming the field (for gRPC handlers)."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise invalid_input(error) from error


def parse_uuid(value: str, field: str) -> uuid.UUID:
    """A request's id field, else InvalidInput naming it."""
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise InvalidInput(f"{field} {value!r} is not a UUID", field=field) from error


def install_common(app: FastAPI, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
    """Error handlers and middleware shared by every service's app."""

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        body = {"detail": error.message} | ({"field": error.field} if error.field else {})
        headers = {"Retry-After": "5"} if error.http_status == 503 else None
        if isinstance(error, TooManyRequests):
            headers = {"Retry-After": str(math.ceil(error.retry_after))}
        if error.http_status == 401:
            headers = {"WWW-Authenticate": 'Bearer realm="oncall"'}
        return JSONResponse(body, status_code=error.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in error.errors()]
        detail = describe_validation_errors(list(error.errors()))
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def integrity_error(_: Request, error: IntegrityError) -> JSONResponse:
        # A race the handler's own checks could not see (two identical creates at once): the database's
        # constraint decided, so answer 409 with the constraint instead of a 500.
        return JSONResponse({"detail": _constraint_message(error)}, status_code=409)

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, error: Exception) -> JSONResponse:
        # Starlette logs the error after this answer. A database that cannot be reached is a temporary
        # refusal (503 + Retry-After), not an internal error.
        from shared.db import database_unavailable  # only services with a database get here

        unavailable = database_unavailable(error)
        if unavailable is not None:
            return JSONResponse(
                {"detail": unavailable.message}, status_code=503, headers={"Retry-After": "5"}
            )
        return JSONResponse({"detail": "internal error"}, status_code=500)

    app.mount("/errors", _gateway_errors)
    app.add_middleware(EdgeMiddleware, max_body_bytes=max_body_bytes)
    install_metrics(app)


# What the gateway's own refusals say (Traefik answers them in plain text). Its `errors` middleware and
# its fallback for a service with no live instance (config/traefik/dynamic.yml.j2) fetch
# /errors/{status}, or /errors/{status}/{the request's path}, from whichever service is up.
_GATEWAY_DETAILS = {
    404: "not found: no API at this path",
    413: f"request body exceeds {MAX_BODY_BYTES // 1024} KiB",
    429: "too many requests: retry after a second",
    502: "the service did not answer; retry",
    503: "the service is unavailable: no instance is up; retry after a second",
    504: "the service did not answer in time; retry",
}
# Traefik's own Retry-After does not reach here (its errors middleware drops the caught answer's headers):
# the ingestion rate limit refills every second, and a dead service's replacement is checked every second.
_RETRY_AFTER = {429: "1", 503: "1"}
_ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _gateway_error(request: Request) -> JSONResponse:
    status = request.path_params["status"]
    if not 400 <= status <= 599:
        status = 404
    detail = _GATEWAY_DETAILS.get(status) or _phrase(status)
    retry_after = _RETRY_AFTER.get(status)
    headers = {"Retry-After": retry_after} if retry_after else None
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


_gateway_errors = Router(
    [
        Route("/{status:int}", _gateway_error, methods=_ANY_METHOD),
        Route("/{status:int}/{path:path}", _gateway_error, methods=_ANY_METHOD),
    ]
)


def _constraint_message(error: IntegrityError) -> str:
    cause = getattr(error.orig, "__cause__", None) or error.orig
    constraint = getattr(cause, "constraint_name", None) or "a database constraint"
    if getattr(cause, "sqlstate", None) == "23503":
        return f"refers to a record that does not exist or is still referenced ({constraint})"
    return f"conflicts with an existing record ({constraint})"


async def _run_check(check: HealthCheck, limit: float) -> str:
    try:
        await asyncio.wait_for(check(), limit)
    except Exception as error:  # any failure means "down"; say which and why
        return f"down: {type(error).__name__}: {error}"[:300]
    return "ok"


def health_router(
    checks: dict[str, HealthCheck],
    *,
    ready: list[str] | None = None,
    timeout: float = 2.0,
    details: dict[str, Callable[[], object]] | None = None,
) -> APIRouter:
    """`/health` (every dependency, 503 naming those down), `/health/live`, and `/health/ready`
    (only the dependencies without which this process cannot serve; all of them by default).
    `details`: what the process knows of itself (e.g. its last retention pass), shown in `/health` under
    `details` and deciding no status."""
    router = APIRouter(tags=["health"])
    ready_names = list(checks) if ready is None else ready
    described = details or {}

    async def report(names: list[str], *, with_details: bool = False) -> JSONResponse:
        results = await asyncio.gather(*(_run_check(checks[n], timeout) for n in names))
        status = dict(zip(names, results, strict=True))
        down = [n for n, s in status.items() if s != "ok"]
        body: dict[str, object] = {"status": "down" if down else "ok", "checks": status}
        body |= {"down": down} if down else {}
        if with_details and described:
            body["details"] = {name: say() for name, say in described.items()}
        return JSONResponse(body, status_code=503 if down else 200)

    @router.get("/health")
    async def health() -> JSONResponse:
        return await report(list(checks), with_details=True)

    @router.get("/health/ready")
    async def readiness() -> JSONResponse:
        return await report(ready_names)

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    return router
