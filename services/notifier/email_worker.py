"""Sends pending incident emails over SMTP, after checking the recipient's notification rules in on-call.

Rows are claimed with SKIP LOCKED and leased like webhook deliveries, so replicas never send the same
row at once; a failure (SMTP or on-call down) is retried with backoff until EMAIL_RETRY_SECONDS.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import domain, emails
from services.notifier import repository as repo
from services.notifier.config import NotifierSettings
from services.notifier.oncall_client import NotificationRules, OnCallClient
from shared.aio import wait_event
from shared.errors import Unavailable
from shared.models import EmailNotification
from shared.timeutil import utcnow

log = logging.getLogger(__name__)
Sender = Callable[[EmailMessage], Awaitable[object]]
BATCH = 20


def smtp_sender(settings: NotifierSettings) -> Sender:
    """Send one message with aiosmtplib using the SMTP_* settings."""

    async def send(message: EmailMessage) -> object:
        return await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password.get_secret_value() or None,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=settings.smtp_timeout_seconds,
        )

    return send


class EmailWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        oncall: OnCallClient,
        settings: NotifierSettings,
        *,
        send: Sender,
    ) -> None:
        self._sessions, self._oncall, self._settings, self._send = sessions, oncall, settings, send
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Forever: send due emails; sleep until woken or the poll interval."""
        while True:
            self._wake.clear()
            try:
                handled = await self.send_due()
            except Exception:
                log.exception("email pass failed")
                handled = 0
            if handled:
                continue
            await wait_event(self._wake, self._settings.delivery_poll_seconds)

    async def send_due(self) -> int:
        """Claim a batch of due emails and handle them concurrently; returns how many."""
        now = utcnow()
        lease = self._settings.smtp_timeout_seconds + self._settings.oncall_timeout_seconds + 30
        async with self._sessions.begin() as session:
            claimed = await repo.claim_due_emails(
                session, now=now, limit=BATCH, until=now + timedelta(seconds=lease)
            )
        await asyncio.gather(*(self.process(email) for email in claimed))
        return len(claimed)

    async def process(self, email: EmailNotification) -> None:
        """Skip it if the user's rules say so, else send it; record the result either way."""
        try:
            rules = await self._rules(email)
            if rules is not None and not domain.wants_email(
                enabled=rules.email_enabled, event_types=rules.event_types, event_type=email.event_type
            ):
                await self._record(email.id, status="skipped", error="the user's notification rules")
                return
            await self._send(self._compose(email))
        except (Unavailable, aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            await self._record(email.id, status="failed", error=f"{type(error).__name__}: {error}"[:500])
            return
        except Exception as error:  # a bug, not an outage: log it, and still let the retry window end it
            log.exception("email could not be built or sent", extra={"fields": {"email_id": str(email.id)}})
            await self._record(email.id, status="failed", error=f"{type(error).__name__}"[:500])
            return
        await self._record(email.id, status="sent", error=None)

    async def _rules(self, email: EmailNotification) -> NotificationRules | None:
        """The recipient's rules; None (send) for unknown people, or when on-call stays down too long."""
        try:
            return await self._oncall.notification_rules(email=email.recipient)
        except Unavailable:
            waited = (utcnow() - email.created_at).total_seconds()
            if waited < self._settings.email_rules_wait_seconds:
                raise
            log.warning(
                "on-call unavailable: sending without the user's rules",
                extra={"fields": {"email_id": str(email.id)}},
            )
            return None

    def _compose(self, email: EmailNotification) -> EmailMessage:
        return emails.compose(
            email.payload,
            to=email.recipient,
            to_name=email.recipient_name,
            sender=self._settings.smtp_from,
            base_url=self._settings.public_base_url,
        )

    async def _record(self, email_id, *, status: str, error: str | None) -> None:
        now = utcnow()
        async with self._sessions.begin() as session:
            row = await repo.get_email_for_update(session, email_id=email_id)
            if row is None or row.status != "pending":
                return
            row.attempts += 1
            row.last_error = error
            if status == "failed":
                _schedule_retry(row, now=now, settings=self._settings)
            else:
                row.status = status
                row.sent_at = now if status == "sent" else None
        log.info(
            "email",
            extra={
                "fields": {"email_id": str(email_id), "event_id": str(row.event_id), "result": row.status}
            },
        )


def _schedule_retry(row: EmailNotification, *, now: datetime, settings: NotifierSettings) -> None:
    domain.schedule_retry(
        row, now=now, base=settings.webhook_backoff_base_seconds, cap=settings.webhook_backoff_max_seconds
    )
