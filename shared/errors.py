"""Domain errors carrying both their HTTP status and gRPC code; one handler maps each side."""

import grpc


class DomainError(Exception):
    http_status = 400
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    http_status = 422
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT


class Unauthenticated(DomainError):
    http_status = 401
    grpc_code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(DomainError):
    http_status = 403
    grpc_code = grpc.StatusCode.PERMISSION_DENIED


class NotFound(DomainError):
    http_status = 404
    grpc_code = grpc.StatusCode.NOT_FOUND


class Conflict(DomainError):
    http_status = 409
    grpc_code = grpc.StatusCode.FAILED_PRECONDITION


class AlreadyExists(DomainError):
    http_status = 409
    grpc_code = grpc.StatusCode.ALREADY_EXISTS


class Unavailable(DomainError):
    http_status = 503
    grpc_code = grpc.StatusCode.UNAVAILABLE


class TooManyRequests(DomainError):
    """Refused for a while: `retry_after` seconds (gRPC carries them in the `retry-after` trailer)."""

    http_status = 429
    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED

    def __init__(self, message: str, *, retry_after: float = 1.0, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


RETRY_AFTER_KEY = "retry-after"
# The input field a refusal names (DomainError.field), so a form can show the message next to it.
FIELD_KEY = "x-error-field"


_BY_GRPC_CODE = {
    cls.grpc_code: cls
    for cls in (
        InvalidInput,
        Unauthenticated,
        PermissionDenied,
        NotFound,
        Conflict,
        AlreadyExists,
        Unavailable,
    )
}


def _for_code(code: grpc.StatusCode, message: str, field: str | None = None) -> DomainError:
    """The domain error of a status code (Unavailable for codes without one of their own)."""
    return _BY_GRPC_CODE.get(code, Unavailable)(message or code.name, field=field)


def from_grpc(error: grpc.aio.AioRpcError) -> DomainError:
    """Turn a gRPC failure from another service back into the matching domain error."""
    if error.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE):
        return Unavailable(f"upstream unavailable: {error.details() or error.code().name}")
    trailer = dict(tuple(error.trailing_metadata() or ()))  # aio yields (key, value)
    wait = trailer.get(RETRY_AFTER_KEY)
    if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and isinstance(wait, str) and wait.isdigit():
        # A refusal for a while (a throttle's): not a message-size limit, which has no trailer.
        return TooManyRequests(error.details() or "too many requests", retry_after=float(wait))
    field = trailer.get(FIELD_KEY)
    return _for_code(error.code(), error.details() or "", field if isinstance(field, str) else None)


_STATUS_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def from_status(number: int, message: str, field: str = "") -> DomainError:
    """The domain error a status number stands for, as one item of a grouped call reports it."""
    return _for_code(_STATUS_BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN), message, field or None)
