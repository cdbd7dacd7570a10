"""Failed logins per email, so passwords cannot be guessed at the speed of the hash: after
`max_failures` within `window_seconds` that email is refused until the oldest of them leaves the window.
Counted for any submitted email, known or not, so the refusal tells nothing about which accounts exist.
Kept in memory: one on-call process per deployment, and a restart forgetting the counts gives an attacker
one more window, not more speed."""

from cachetools import TTLCache


class LoginThrottle:
    def __init__(self, *, max_failures: int, window_seconds: float) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        # Bounded, and entries go a window after their last failure: made-up emails cannot fill memory.
        self._failures: TTLCache[str, list[float]] = TTLCache(maxsize=100_000, ttl=window_seconds)

    def _recent(self, email: str, now: float) -> list[float]:
        return [t for t in self._failures.get(email, []) if t > now - self.window_seconds]

    def retry_after(self, email: str, *, now: float) -> float:
        """Seconds until this email may try again (0: now)."""
        recent = self._recent(email, now)
        if len(recent) < self.max_failures:
            return 0.0
        return recent[-self.max_failures] + self.window_seconds - now

    def failed(self, email: str, *, now: float) -> None:
        self._failures[email] = [*self._recent(email, now), now][-self.max_failures :]

    def succeeded(self, email: str) -> None:
        self._failures.pop(email, None)
