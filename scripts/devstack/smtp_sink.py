"""Local SMTP sink of the native stack: accepts every message and stores it as an .eml file.

`python -m scripts.devstack.smtp_sink --dir var/mail --port 1025`; compose uses Mailpit instead.
"""

import argparse
import asyncio
import contextlib
import os
import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from shared.serve import run


class StoreMail:
    """aiosmtpd handler writing each message (with its envelope recipients) to `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        header = f"X-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(header + content)
        os.replace(tmp, path)
        return "250 Message accepted"


async def serve(directory: Path, host: str, port: int) -> None:
    """Serve SMTP until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    handler = StoreMail(directory)
    server = await loop.create_server(lambda: SMTP(handler, hostname="oncall-smtp-sink"), host, port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args()
    run(lambda: serve(args.dir, args.host, args.port))  # on uvloop, as the services are


if __name__ == "__main__":
    main()
