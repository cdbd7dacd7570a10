"""Sends a pass's emails over a few SMTP connections, several messages over each.

A connection costs a TCP handshake, the greeting, EHLO, and with TLS and a login their round trips, at both
ends: in an alert storm (hundreds of incidents, each emailed to the person on call) one connection per
message cost more than the messages. A server's refusal of one message (a bad recipient) fails that message
only. A connection the server closes after taking some messages (some servers limit the messages per
connection) is opened again for the next one; one that cannot be opened, or closes before taking any, or a
timeout, fails the rest of its share: those are retried with the usual backoff rather than waited on here.
"""

import asyncio
from collections import deque
from collections.abc import Sequence
from email.message import Message

import aiosmtplib

from services.notifier.config import NotifierSettings

# What fails one email's attempt (recorded, and retried with backoff); anything else is a bug.
SEND_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)
Results = list[Exception | None]


class SmtpMailer:
    def __init__(self, settings: NotifierSettings) -> None:
        self._settings = settings

    @property
    def budget_seconds(self) -> float:
        """How long one connection's share may take in all (a connection and a message, twice over);
        what is not sent by then fails and is retried."""
        return 2 * self._settings.smtp_timeout_seconds

    async def send_all(self, messages: Sequence[Message]) -> Results:
        """Send `messages` over at most `SMTP_CONNECTIONS` connections at once; for each, None when the
        server took it, else the error."""
        lanes = max(1, min(self._settings.smtp_connections, len(messages)))
        results: Results = [None] * len(messages)
        shares = [range(len(messages))[lane::lanes] for lane in range(lanes)]
        await asyncio.gather(*(self._share(messages, share, results) for share in shares))
        return results

    async def _share(self, messages: Sequence[Message], share: range, results: Results) -> None:
        """Send the messages at `share`'s positions in order over one connection, as described above."""
        pending = deque(share)
        client: aiosmtplib.SMTP | None = None
        taken, broken = 0, False  # messages the current connection took; whether the share ended in a failure
        try:
            async with asyncio.timeout(self.budget_seconds):
                while pending:
                    if client is None or not client.is_connected:
                        client, taken = self._client(), 0
                        if error := await _connected(client):
                            broken = True
                            _fail(pending, results, error)
                            return
                    try:
                        await client.send_message(messages[pending[0]])
                        taken += 1
                    except SEND_ERRORS as error:
                        if _closing(error):
                            client.close()
                        if isinstance(error, TimeoutError) or not (client.is_connected or taken):
                            broken = True
                            _fail(pending, results, error)
                            return
                        if not client.is_connected:  # closed after taking some: this one again, anew
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
            await _hang_up(client, polite=not broken)

    def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
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


async def _hang_up(client: aiosmtplib.SMTP | None, *, polite: bool) -> None:
    """QUIT after a share that ended well; otherwise (a timeout, a broken connection) just close."""
    if client is None or not client.is_connected:
        return
    if polite:
        try:
            await client.quit()
            return
        except SEND_ERRORS:
            pass
    client.close()
