"""The fault suite's quick form (`make test-faults` runs the full one): a replica and the notifier killed
(SIGKILL) under a stream of re-sending alerts lose no accepted alert, store none twice, and every incident's
webhook event arrives."""

import pytest

from scripts import faults
from tests.conftest import fresh_database
from tests.e2e.conftest import running_stack, stack_settings

pytestmark = pytest.mark.e2e

QUICK = faults.Phases(rate=100, before=1.5, after=1.5, deliver_seconds=20)
# A killed notifier's work comes back once its stream entries have been pending CLAIM_IDLE_SECONDS (60 by
# default) and its leased deliveries WEBHOOK_TIMEOUT_SECONDS + WEBHOOK_LEASE_MARGIN_SECONDS (40): shortened
# here so that the wait for the last event stays short (`make test-faults` keeps the defaults).
QUICK_RECOVERY = {
    "CLAIM_IDLE_SECONDS": "3",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_LEASE_MARGIN_SECONDS": "2",
}


@pytest.fixture(scope="module")
def fault_stack(postgres_server_url, redis_url):
    """A stack of its own: every alert its own incident, webhooks allowed to the receiver on 127.0.0.1."""
    with fresh_database(postgres_server_url) as url:
        base = stack_settings("faults", url, redis_url)
        settings = base.model_copy(
            update={"service_env": base.service_env | faults.SERVICE_ENV | QUICK_RECOVERY}
        )
        with running_stack(settings, url) as running:
            yield running


async def test_killed_replica_and_notifier_lose_nothing_and_store_nothing_twice(fault_stack):
    chosen = [faults.kill("alert-ingestion-1"), faults.kill("notifier")]
    verdicts = await faults.run_faults(fault_stack.settings, fault_stack.database_url, chosen, QUICK)
    assert all(v.passed for v in verdicts), "\n".join(v.line() for v in verdicts)
