"""The analytics page against a real incident-management: its charts and tables carry the numbers of the
analytics API."""

import re
from datetime import timedelta

import pytest

from shared.timeutil import utcnow
from tests.integration.incident_fixtures import seed_incident
from tests.integration.oncall_fixtures import unique
from tests.integration.web_ui.console import signed_in_as

pytestmark = pytest.mark.integration


async def test_the_page_charts_volume_response_times_and_the_noisiest_services(web, incidents):
    noisy, quiet = unique("noisy"), unique("quiet")
    day = utcnow() - timedelta(days=2)
    for _ in range(3):
        await seed_incident(incidents, noisy, day, ack=120, resolve=600, severity="high")
    await seed_incident(incidents, quiet, day, ack=60, resolve=3600, severity="info")
    async with signed_in_as(web, "viewer") as (browser, _):
        reply = await browser.get("/ui/analytics", params={"period": "7d"})
    assert reply.status_code == 200
    page = reply.text
    assert page.count("<svg") == 4
    row = re.search(rf'<th scope="row">{noisy}</th><td>(\d+)</td><td>(\d+)</td>', page)
    assert row and row.groups() == ("3", "6")
    api = (await incidents.http.get("/api/v1/analytics/incidents", params={"group_by": "service"})).json()
    assert next(g for g in api["groups"] if g["key"] == noisy)["mean_seconds_to_resolve"] == 600
    assert "<td>2.0 min</td><td>10.0 min</td>" in page  # the noisy service's MTTA and MTTR
    assert f"{noisy}: 3 total" in page  # the noisiest chart's bar


async def test_an_unknown_period_is_a_422_naming_it(web):
    async with signed_in_as(web, "viewer") as (browser, _):
        reply = await browser.get("/ui/analytics", params={"period": "1y"})
    assert reply.status_code == 422 and "period" in reply.text
