"""One gRPC call from a page: the trace id forwarded, a deadline, and a failure turned into the domain
error of its status code (shared.errors), which the pages' error handler renders."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc

from shared.errors import from_grpc
from shared.grpc import call_metadata

Reply = TypeVar("Reply")


async def call(
    method: Callable[..., Awaitable[Reply]],
    request: object,
    *,
    deadline: float,
    metadata: tuple[tuple[str, str], ...] = (),
) -> Reply:
    try:
        return await method(request, timeout=deadline, metadata=call_metadata() + metadata)
    except grpc.aio.AioRpcError as error:
        raise from_grpc(error) from error
