"""`make full-demo` against the e2e stack: it seeds through the gateway, fires alerts, gives its first
on-call user a dashboard password that logs in as them, and a second run changes nothing and prints no
password."""

import re
import stat

import httpx
import pytest

from scripts import demo

pytestmark = pytest.mark.e2e


def test_the_demo_seeds_once_and_its_login_works(stack, admin_headers):
    first = demo.run(stack.settings)
    password = re.search(rf"{re.escape(demo.DEMO_LOGIN)} / (\S+)", first).group(1)
    assert f"{stack.gateway}/ui/" in first
    with httpx.Client(base_url=stack.gateway, timeout=10, headers=admin_headers) as client:
        incidents = client.get("/api/v1/incidents", params={"service": demo.SERVICE}).json()
        teams = [t for t in client.get("/api/v1/teams").json() if t["name"] == demo.TEAM]
        login = client.post("/ui/login", data={"email": demo.DEMO_LOGIN, "password": password})
        assert login.status_code == 303
        assert demo.PEOPLE[0][0] in client.get("/ui/").text  # logged in as the on-call user
        page = client.get("/ui/", params={"service": demo.SERVICE})
        oncall = client.get("/ui/oncall")
    assert incidents["total"] >= 2 and len(teams) == 1 and teams[0]["services"] == [demo.SERVICE]
    assert "5xx rate above 5% on checkout" in page.text
    assert demo.TEAM in oncall.text and any(name in oncall.text for name, _ in demo.PEOPLE)  # whoever's week
    titles = {i["title"] for i in incidents["incidents"]}
    assert any("db-1" in t or "db-2" in t for t in titles), titles  # the Alertmanager group's incident
    keys = stack.settings.var_dir / "demo" / "keys.json"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600

    second = demo.run(stack.settings)
    assert password not in second and "has a password already" in second
    with httpx.Client(base_url=stack.gateway, timeout=10, headers=admin_headers) as client:
        again = client.get("/api/v1/incidents", params={"service": demo.SERVICE}).json()
        policies = [
            p for p in client.get("/api/v1/escalation-policies").json() if p["name"].startswith(demo.TEAM)
        ]
        service = [s for s in client.get("/api/v1/services").json() if s["name"] == demo.SERVICE][0]
        integrations = client.get(f"/api/v1/services/{service['id']}/integrations").json()
    assert again["total"] == incidents["total"]  # the same alerts again: duplicates, no new incident
    assert len(policies) == 1 and len(integrations) == 2
