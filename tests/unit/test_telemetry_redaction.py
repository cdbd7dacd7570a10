"""Integration keys never reach a trace: a heartbeat's key in its path, and routing keys or tokens in a
query string, are rewritten in the URL attributes of request spans."""

from shared.telemetry import redact_url


def test_a_heartbeat_path_keeps_its_route_without_the_key():
    assert redact_url("/api/v1/heartbeats/hb_4f2a9c") == "/api/v1/heartbeats/{key}"
    full = redact_url("http://127.0.0.1:8101/api/v1/heartbeats/hb_4f2a9c?source=cron")
    assert full == "http://127.0.0.1:8101/api/v1/heartbeats/{key}?source=cron"


def test_key_and_token_query_values_are_redacted_and_other_values_kept():
    url = "/v2/enqueue?routing_key=R0UT1NG&monkey=ok&key=K3Y&Integration_Key=IK&token=T0K&next=/ui/"
    assert redact_url(url) == (
        "/v2/enqueue?routing_key=REDACTED&monkey=ok&key=REDACTED&Integration_Key=REDACTED"
        "&token=REDACTED&next=/ui/"
    )


def test_a_query_string_alone_is_redacted_from_its_first_parameter():
    assert redact_url("key=K3Y&severity=critical") == "key=REDACTED&severity=critical"
    assert redact_url("severity=critical") == "severity=critical"
