"""Failed logins per email: refused after too many within the window, free again as they age out."""

from services.oncall_service.throttle import LoginThrottle


def test_an_email_is_refused_after_its_failures_until_the_oldest_leaves_the_window():
    throttle = LoginThrottle(max_failures=3, window_seconds=100)
    for t in (0, 10, 20):
        assert throttle.retry_after("a@example.com", now=t) == 0
        throttle.failed("a@example.com", now=t)
    assert throttle.retry_after("a@example.com", now=30) == 70  # the failure at 0 leaves at 100
    assert throttle.retry_after("b@example.com", now=30) == 0  # other emails are not affected
    assert throttle.retry_after("a@example.com", now=100) == 0
    throttle.failed("a@example.com", now=100)
    assert throttle.retry_after("a@example.com", now=101) == 9  # 10, 20, 100: the one at 10 leaves at 110


def test_a_success_forgets_the_failures():
    throttle = LoginThrottle(max_failures=2, window_seconds=100)
    throttle.failed("a@example.com", now=0)
    throttle.succeeded("a@example.com")
    throttle.failed("a@example.com", now=1)
    assert throttle.retry_after("a@example.com", now=2) == 0
