"""Failed logins, so passwords cannot be guessed at the speed of the hash. Two counts, each refusing once
it reaches its limit within `window_seconds`, until the oldest failure leaves the window:
- per email (`max_failures`): one account is not guessed at. Counted for any submitted email, known or not,
  so the refusal tells nothing about which accounts exist; a success forgets them;
- per client address (`max_address_failures`): one client does not try many emails. A success does not
  forget them, or a guesser with one account of their own could reset the count between guesses.
Refused before any hash work. Kept in memory: one on-call process per deployment, and a restart forgetting
the counts gives an attacker one more window, not more speed."""

from cachetools import TTLCache


class FailureCount:
    """Failures per key within a sliding window; bounded, entries go a window after their last failure."""

    def __init__(self, *, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._failures: TTLCache[str, list[float]] = TTLCache(maxsize=100_000, ttl=window_seconds)

    def _recent(self, key: str, now: float) -> list[float]:
        return [t for t in self._failures.get(key, []) if t > now - self.window_seconds]

    def retry_after(self, key: str, *, now: float) -> float:
        """Seconds until this key may try again (0: now)."""
        recent = self._recent(key, now)
        if len(recent) < self.limit:
            return 0.0
        return recent[-self.limit] + self.window_seconds - now

    def failed(self, key: str, *, now: float) -> None:
        self._failures[key] = [*self._recent(key, now), now][-self.limit :]

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)


class LoginThrottle:
    def __init__(self, *, max_failures: int, max_address_failures: int, window_seconds: float) -> None:
        self.emails = FailureCount(limit=max_failures, window_seconds=window_seconds)
        self.addresses = FailureCount(limit=max_address_failures, window_seconds=window_seconds)

    def retry_after(self, *, email: str, address: str | None, now: float) -> tuple[float, str]:
        """Seconds until this email may try again from this address (0: now), and what is counted."""
        by_address = self.addresses.retry_after(address, now=now) if address else 0.0
        if by_address > 0:
            return by_address, "from this address"
        return self.emails.retry_after(email, now=now), "for this email"

    def failed(self, *, email: str, address: str | None, now: float) -> None:
        self.emails.failed(email, now=now)
        if address:
            self.addresses.failed(address, now=now)

    def succeeded(self, *, email: str) -> None:
        self.emails.forget(email)
