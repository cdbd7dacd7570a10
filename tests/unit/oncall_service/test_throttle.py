"""Failed logins per email and per client address: refused after too many within the window, free again
as they age out."""

from services.oncall_service.throttle import FailureCount, LoginThrottle


def test_a_key_is_refused_after_its_failures_until_the_oldest_leaves_the_window():
    count = FailureCount(limit=3, window_seconds=100)
    for t in (0, 10, 20):
        assert count.retry_after("a@example.com", now=t) == 0
        count.failed("a@example.com", now=t)
    assert count.retry_after("a@example.com", now=30) == 70  # the failure at 0 leaves at 100
    assert count.retry_after("b@example.com", now=30) == 0  # other keys are not affected
    assert count.retry_after("a@example.com", now=100) == 0
    count.failed("a@example.com", now=100)
    assert count.retry_after("a@example.com", now=101) == 9  # 10, 20, 100: the one at 10 leaves at 110


def test_a_success_forgets_the_emails_failures_but_not_the_addresss():
    throttle = LoginThrottle(max_failures=2, max_address_failures=2, window_seconds=100)
    throttle.failed(email="a@example.com", address="192.0.2.1", now=0)
    throttle.succeeded(email="a@example.com")
    throttle.failed(email="a@example.com", address="192.0.2.1", now=1)
    assert throttle.retry_after(email="a@example.com", address="192.0.2.9", now=2) == (0, "for this email")
    # A guesser's own account logging in between guesses does not reset their address's count.
    assert throttle.retry_after(email="b@example.com", address="192.0.2.1", now=2) == (
        98,
        "from this address",
    )


def test_one_address_trying_many_emails_is_refused_and_others_are_not():
    throttle = LoginThrottle(max_failures=5, max_address_failures=3, window_seconds=60)
    for i in range(3):
        throttle.failed(email=f"user{i}@example.com", address="192.0.2.1", now=i)
    assert throttle.retry_after(email="new@example.com", address="192.0.2.1", now=3) == (
        57,
        "from this address",
    )
    assert throttle.retry_after(email="new@example.com", address="192.0.2.2", now=3) == (0, "for this email")
    # No address known (a caller that could not tell it): only the email's count applies.
    assert throttle.retry_after(email="new@example.com", address=None, now=3) == (0, "for this email")
