"""Property-based fuzzing of live servers: schemathesis cases from a service's OpenAPI document, run by
hypothesis against the real server, checked for no 5xx and no stack trace in the body."""

import os

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.integration.servers import dead_target

# Examples per operation: small in `make test`, raised by `make test-fuzz`.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
STACK_TRACE = ("Traceback", 'File "')
# Where generated webhook URLs point: a bound, never listening port on loopback (connections refused).
LOOPBACK_URL = f"http://{dead_target()}/fuzz"
# Probes answer 503 by design while a dependency is down (the tests' on-call is): they take no input.
PROBES = ("/health", "/health/ready", "/health/live")


def fuzz_settings(examples: int = EXAMPLES):
    """Bounded examples; no deadline (a live server is slower than hypothesis expects); no example store."""
    return settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )


def assert_no_server_error(status: int, body: str, what: str) -> None:
    """The check of every fuzzed request: below 500, and no stack trace leaked into the body."""
    assert status < 500, f"{what}: {status} {body[:500]}"
    for marker in STACK_TRACE:
        assert marker not in body, f"{what}: stack trace in the body: {body[:500]}"


def keep_on_loopback(value: object) -> object:
    """`value` with every `url` field, at any depth, set to LOOPBACK_URL: nothing leaves the machine."""
    if isinstance(value, dict):
        return {k: LOOPBACK_URL if k == "url" else keep_on_loopback(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keep_on_loopback(item) for item in value]
    return value


def fuzz_api(openapi: dict, base_url: str, *, headers_for) -> dict[str, int]:
    """Every operation of `openapi`, valid and invalid cases, sent to `base_url` with
    `headers_for(path)` (credentials); returns the requests sent per operation. Blocking, so callers run
    it in a thread beside their servers."""
    schema = schemathesis.openapi.from_dict(openapi)
    sent: dict[str, int] = {}
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path not in PROBES:
                sent[operation.label] = _fuzz_operation(
                    operation, base_url, session, headers_for(operation.path)
                )
    return sent


def _fuzz_operation(operation, base_url: str, session: requests.Session, headers: dict) -> int:
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    calls = 0

    @fuzz_settings()
    @given(case=cases)
    def run(case) -> None:
        nonlocal calls
        calls += 1
        if case.body is not None:
            case.body = keep_on_loopback(case.body)
        reply = case.call(base_url=base_url, session=session, headers=headers, timeout=15)
        assert_no_server_error(reply.status_code, reply.text_lossy(), f"{case.method} {case.formatted_path}")

    run()
    return calls
