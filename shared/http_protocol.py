"""uvicorn's httptools protocol, sending a response's head and body in one write.

uvicorn writes the status line and headers, then the body, with one `transport.write` each: two system
calls per response, and on loopback the sender also runs the receiver's TCP processing for each segment
(Traefik wakes up twice). A response whose length is known is written once here: its head is held until
the first body bytes, the end of the response or the connection's close, whichever comes first. Chunked
responses (streams) are not held, so a client sees their head at once.
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_HEAD_END = b"\r\n\r\n"
_LENGTH = b"\r\ncontent-length: "  # uvicorn lowercases header names before writing them


class _HeldHead:
    """A transport that holds one response head until something follows it."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._head is None and data.endswith(_HEAD_END) and data.startswith(b"HTTP/") and _LENGTH in data:
            self._head = data
            return
        if self._head is not None:
            data, self._head = self._head + data, None
        if data:  # uvicorn ends a 204 with an empty write
            self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol whose responses of known length leave in one write (pass as uvicorn's `http`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._held = _HeldHead(transport)
        super().connection_made(self._held)  # type: ignore[arg-type]

    def on_response_complete(self) -> None:
        self._held.flush()  # a response without body bytes (HEAD, empty body) ends here
        super().on_response_complete()
