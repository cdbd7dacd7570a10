"""Sends a pass's emails over a few SMTP connections, several messages over each, and keeps them a moment.

A connection costs a TCP handshake, the greeting, EHLO, and with TLS and a login their round trips, at both
ends: in an alert storm (hundreds of incidents, each emailed to the person on call) one connection per
message cost more than the messages. A server's refusal of one message (a bad recipient) fails that message
only. A connection the server closes after taking some messages (some servers limit the messages per
connection, others close idle ones) is opened again for the next one; one that cannot be opened, or closes
before taking any, or a timeout, fails the rest of its share: those are retried with the usual backoff
rather than waited on here.

A storm's emails come in many small passes (each as its incidents are paged), so the connections a pass
ends well with are kept `SMTP_CONNECTION_CACHE_SECONDS` (2) for the next pass, as Postfix's SMTP client
does (`smtp_connection_cache_time_limit`, 2 s by default), then closed with QUIT: measured here, a
connection costs client and server ~1.5 ms of CPU together, a message ~2.3 ms.
"""

import asyncio
import socket
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message

import aiosmtplib
from opentelemetry.trace import SpanKind

from services.notifier.config import NotifierSettings
from shared.telemetry import continued

# What fails one email's attempt (recorded, and retried with backoff); anything else is a bug.
SEND_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)
Results = list[Exception | None]
QUIT_GRACE_SECONDS = 2.0


@dataclass
class _Line:
    """One SMTP connection, the messages it has taken, and since when it waits for a pass (loop time)."""

    client: aiosmtplib.SMTP
    taken: int = 0
    idle_since: float = 0.0


class SmtpMailer:
    def __init__(self, settings: NotifierSettings) -> None:
        self._settings = settings
        self._helo_name = settings.smtp_helo_name  # "": this host's name, looked up once (not per connection)
        self._idle: list[_Line] = []  # kept after a pass, the most recently used last
        self._expiry: asyncio.TimerHandle | None = None
        self._hanging_up: set[asyncio.Task] = set()

    @property
    def budget_seconds(self) -> float:
        """How long one connection's share may take in all (a connection and a message, twice over);
        what is not sent by then fails and is retried."""
        return 2 * self._settings.smtp_timeout_seconds

    async def send_all(self, messages: Sequence[Message], traceparents: Sequence[str] = ()) -> Results:
        """Send `messages` over at most `SMTP_CONNECTIONS` connections at once, each in a span of the trace
        its `traceparents` entry names (its event's); for each, None when the server took it, else the
        error."""
        causes = list(traceparents) or [""] * len(messages)
        lanes = max(1, min(self._settings.smtp_connections, len(messages)))
        results: Results = [None] * len(messages)
        shares = [range(len(messages))[lane::lanes] for lane in range(lanes)]
        sent = (self._share(messages, causes, share, results, self._take()) for share in shares)
        await asyncio.gather(*sent)
        return results

    async def aclose(self) -> None:
        """QUIT the connections kept for a next pass (the worker is stopping)."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        idle, self._idle = self._idle, []
        for line in idle:
            self._hang_up_later(line)
        if self._hanging_up:  # a server that does not answer QUIT is not waited for long
            _, late = await asyncio.wait(self._hanging_up, timeout=QUIT_GRACE_SECONDS)
            for task in late:
                task.cancel()

    async def _share(
        self,
        messages: Sequence[Message],
        causes: Sequence[str],
        share: range,
        results: Results,
        line: _Line | None,
    ) -> None:
        """Send the messages at `share`'s positions in order over one connection (`line`, kept from an
        earlier pass, or a new one), as described above."""
        pending = deque(share)
        broken = False  # whether the share ended in a failure
        try:
            async with asyncio.timeout(self.budget_seconds):
                while pending:
                    if line is None or not line.client.is_connected:
                        line = _Line(await self._client())
                        if error := await _connected(line.client):
                            broken = True
                            _fail(pending, results, error)
                            return
                    try:
                        with continued(causes[pending[0]], "smtp send", kind=SpanKind.CLIENT):
                            await line.client.send_message(messages[pending[0]])
                        line.taken += 1
                    except SEND_ERRORS as error:
                        if _closing(error):
                            line.client.close()
                        if isinstance(error, TimeoutError) or not (line.client.is_connected or line.taken):
                            broken = True
                            _fail(pending, results, error)
                            return
                        if not line.client.is_connected:  # closed after taking some: this one again, anew
                            continue
                        results[pending[0]] = error  # the server refused this one: on to the next
                    pending.popleft()
        except TimeoutError as error:  # the budget ran out: the message in flight too may not have gone
            broken = True
            _fail(pending, results, error)
        except BaseException:  # cancelled (the worker stopping): no QUIT to wait for
            broken = True
            raise
        finally:
            if line is not None:
                self._done_with(line, broken=broken)

    def _take(self) -> _Line | None:
        """The most recently used connection still kept, if any (None: the share opens one)."""
        return self._idle.pop() if self._idle else None

    def _done_with(self, line: _Line, *, broken: bool) -> None:
        """Keep a connection a share ended well with, up to `SMTP_CONNECTIONS` of them; close the others
        (QUIT after a share that ended well, otherwise just close)."""
        keep = self._settings.smtp_connection_cache_seconds
        if broken or not line.client.is_connected:
            line.client.close()
        elif keep > 0 and len(self._idle) < self._settings.smtp_connections:
            line.idle_since = asyncio.get_running_loop().time()
            self._idle.append(line)
            self._arm()
        else:
            self._hang_up_later(line)

    def _arm(self) -> None:
        """Expire kept connections when the oldest has waited `SMTP_CONNECTION_CACHE_SECONDS`."""
        if self._expiry is None and self._idle:
            at = self._idle[0].idle_since + self._settings.smtp_connection_cache_seconds
            self._expiry = asyncio.get_running_loop().call_at(at, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        limit = asyncio.get_running_loop().time() - self._settings.smtp_connection_cache_seconds
        stale = [line for line in self._idle if line.idle_since <= limit]
        self._idle = [line for line in self._idle if line.idle_since > limit]
        for line in stale:
            self._hang_up_later(line)
        self._arm()

    def _hang_up_later(self, line: _Line) -> None:
        task = asyncio.get_running_loop().create_task(_quit(line.client))
        self._hanging_up.add(task)
        task.add_done_callback(self._hanging_up.discard)

    async def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        if not self._helo_name:  # what aiosmtplib would look up in a thread for every connection
            self._helo_name = await asyncio.to_thread(socket.getfqdn)
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            local_hostname=self._helo_name,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password.get_secret_value() or None,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            timeout=s.smtp_timeout_seconds,
        )


async def _connected(client: aiosmtplib.SMTP) -> Exception | None:
    """Connect (greeting, EHLO, STARTTLS, login); the error if that failed, the connection then closed."""
    try:
        await client.connect()
    except SEND_ERRORS as error:
        client.close()
        return error
    return None


def _closing(error: Exception) -> bool:
    """The server is ending the connection (421: "service not available, closing transmission channel")."""
    return isinstance(error, aiosmtplib.SMTPResponseException) and error.code == 421


def _fail(pending: deque[int], results: Results, error: Exception) -> None:
    while pending:
        results[pending.popleft()] = error


async def _quit(client: aiosmtplib.SMTP) -> None:
    """QUIT a connection that is done with; closed whatever the server answers (or if cancelled)."""
    try:
        if client.is_connected:
            await client.quit()
    except SEND_ERRORS:
        pass
    finally:
        client.close()
