"""Sends pending incident emails over SMTP, after checking the recipient's notification rules in on-call.

A pass leases a batch of due rows in one statement (SKIP LOCKED: replicas never take the same row; a row is
out of everyone's due set until its attempt must be over), asks on-call for each recipient's rules (kept
`ONCALL_CACHE_SECONDS`, so a storm's emails to one person ask once), sends the batch over a few SMTP
connections (`smtp.SmtpMailer`) and records every outcome in one more statement. A failure (SMTP or on-call
down) is retried with backoff until EMAIL_RETRY_SECONDS; if this replica dies mid-pass, the lease runs out
and another one sends them (at least once).
"""

import asyncio
import logging
from datetime import timedelta
from email.message import Message

import orjson

from services.notifier import domain, emails
from services.notifier import repository as repo
from services.notifier.config import NotifierSettings
from services.notifier.oncall_client import NotificationRules, OnCallClient
from services.notifier.repository import EmailResult, LeasedEmail
from services.notifier.smtp import SmtpMailer
from shared.aio import wait_event
from shared.db import DriverPool
from shared.errors import Unavailable
from shared.events import traceparent_in
from shared.metrics import NOTIFICATIONS_SENT
from shared.timeutil import utcnow

log = logging.getLogger(__name__)
BATCH = 20
Rules = NotificationRules | None  # None: no rules to follow (an unknown person, or on-call down too long)
LEASE_MARGIN_SECONDS = 30.0


class EmailWorker:
    def __init__(
        self, driver: DriverPool, oncall: OnCallClient, settings: NotifierSettings, *, mailer: SmtpMailer
    ) -> None:
        self._driver, self._oncall, self._settings, self._mailer = driver, oncall, settings, mailer
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def aclose(self) -> None:
        """After `run` has stopped: QUIT the SMTP connections kept for a next pass."""
        await self._mailer.aclose()

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
        """Lease a batch of due emails, send them, record the outcomes; returns how many were leased."""
        now = utcnow()
        budget = self._settings.oncall_timeout_seconds + self._mailer.budget_seconds + LEASE_MARGIN_SECONDS
        until = now + timedelta(seconds=budget)
        async with self._driver.connection() as connection:
            leased = await repo.lease_due_emails(connection, now=now, limit=BATCH, until=until)
        if not leased:
            return 0
        results = await self._attempt(leased)
        async with self._driver.connection() as connection:
            recorded = await repo.record_emails(connection, results=results, leased_until=until, now=utcnow())
        for row in recorded:
            fields = {"email_id": str(row["id"]), "event_id": str(row["event_id"]), "result": row["status"]}
            log.info("email", extra={"fields": fields})
            NOTIFICATIONS_SENT.labels("email", domain.notification_outcome(row["status"])).inc()
        if missed := len(results) - len(recorded):  # deleted meanwhile, or its lease ran out: another pass's
            log.warning("email outcomes not recorded", extra={"fields": {"count": missed}})
        return len(leased)

    async def _attempt(self, leased: list[LeasedEmail]) -> list[EmailResult]:
        """Each email skipped by its recipient's rules, failed, or sent: one result each, in order."""
        rules = await asyncio.gather(*map(self._rules, leased), return_exceptions=True)
        outcomes = [self._prepare(email, r) for email, r in zip(leased, rules, strict=True)]
        to_send = [(i, o) for i, o in enumerate(outcomes) if isinstance(o, Message)]
        causes = [traceparent_in(leased[i].body) for i, _ in to_send]
        errors = await self._mailer.send_all([message for _, message in to_send], causes)
        for (i, _), error in zip(to_send, errors, strict=True):
            email = leased[i]
            outcomes[i] = EmailResult(email.id, "sent") if error is None else self._failed(email, error)
        return [o for o in outcomes if isinstance(o, EmailResult)]

    def _prepare(self, email: LeasedEmail, rules: Rules | BaseException) -> EmailResult | Message:
        """The message to send, or the email's result when there is none to send."""
        if isinstance(rules, Unavailable):
            return self._failed(email, rules)
        if isinstance(rules, Exception):
            return self._bug(email, rules, "the recipient's rules could not be read")
        if isinstance(rules, BaseException):  # cancelled: the worker is stopping
            raise rules
        if rules is not None and not domain.wants_email(
            enabled=rules.email_enabled, event_types=rules.event_types, event_type=email.event_type
        ):
            return EmailResult(email.id, "skipped", error="the user's notification rules")
        try:
            return emails.compose(
                orjson.loads(email.body),
                to=email.recipient,
                to_name=email.recipient_name,
                sender=self._settings.smtp_from,
                base_url=self._settings.public_base_url,
                time_zone=rules.time_zone if rules is not None else "UTC",
            )
        except Exception as error:
            return self._bug(email, error, "email could not be built")

    def _bug(self, email: LeasedEmail, error: Exception, message: str) -> EmailResult:
        """Not an outage: logged with its traceback, and still retried until the retry window ends it."""
        log.error(message, exc_info=error, extra={"fields": {"email_id": str(email.id)}})
        return self._failed(email, error, detail=False)

    async def _rules(self, email: LeasedEmail) -> Rules:
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

    def _failed(self, email: LeasedEmail, error: BaseException, *, detail: bool = True) -> EmailResult:
        """A failed attempt: retried with backoff, or dead once the retry window is over."""
        s = self._settings
        retry_at = domain.next_attempt(
            utcnow(),
            attempt=email.attempts + 1,
            retry_until=email.retry_until,
            base=s.webhook_backoff_base_seconds,
            cap=s.webhook_backoff_max_seconds,
        )
        text = f"{type(error).__name__}: {error}" if detail else type(error).__name__
        return EmailResult(email.id, "dead" if retry_at is None else "pending", text[:500], retry_at)
