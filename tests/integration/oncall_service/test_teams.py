"""Teams and the services they own, over REST against real PostgreSQL."""

import uuid

import pytest

from tests.integration.oncall_fixtures import unique

pytestmark = pytest.mark.integration


async def test_team_is_created_with_sorted_services_read_patched_and_deleted(oncall):
    web, api = unique("web"), unique("api")
    created = await oncall.team(web, api, web)
    assert created["services"] == sorted([web, api]) and created["created_at"].endswith("Z")
    url = f"/api/v1/teams/{created['id']}"
    assert (await oncall.http.get(url)).json() == created
    assert created in (await oncall.http.get("/api/v1/teams")).json()
    name, db = unique("renamed"), unique("db")
    patched = await oncall.http.patch(url, json={"name": name, "services": [db, api]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == name and patched.json()["services"] == sorted([db, api])
    assert (await oncall.http.delete(url)).status_code == 204
    assert (await oncall.http.get(url)).status_code == 404


async def test_service_owned_by_another_team_is_a_conflict_naming_it(oncall):
    shared = unique("shared")
    owner = await oncall.team(shared)
    body = {"name": unique("team"), "services": [unique("free"), shared]}
    reply = await oncall.http.post("/api/v1/teams", json=body)
    assert reply.status_code == 409
    assert reply.json()["field"] == "services"
    assert shared in reply.json()["detail"] and owner["name"] in reply.json()["detail"]
    other = await oncall.team()
    taken = await oncall.http.patch(f"/api/v1/teams/{other['id']}", json={"services": [shared]})
    assert taken.status_code == 409 and shared in taken.json()["detail"]
    assert (await oncall.http.get(f"/api/v1/teams/{other['id']}")).json()["services"] == []


async def test_deleting_a_team_frees_its_services_and_drops_its_rotations(oncall):
    service = unique("svc")
    team = await oncall.team(service)
    rotation = await oncall.rotation(team["id"], [])
    assert (await oncall.http.delete(f"/api/v1/teams/{team['id']}")).status_code == 204
    assert (await oncall.http.get(f"/api/v1/rotations/{rotation['id']}")).status_code == 404
    assert (await oncall.team(service))["services"] == [service]


async def test_duplicate_team_name_is_a_conflict_naming_the_field(oncall):
    team = await oncall.team()
    reply = await oncall.http.post("/api/v1/teams", json={"name": team["name"]})
    assert reply.status_code == 409 and reply.json()["field"] == "name"
    other = await oncall.team()
    renamed = await oncall.http.patch(f"/api/v1/teams/{other['id']}", json={"name": team["name"]})
    assert renamed.status_code == 409 and renamed.json()["field"] == "name"


async def test_invalid_team_bodies_and_unknown_ids(oncall):
    empty = await oncall.http.post("/api/v1/teams", json={"name": unique("t"), "services": [""]})
    assert empty.status_code == 422 and empty.json()["detail"].startswith("services.0:")
    missing = f"/api/v1/teams/{uuid.uuid4()}"
    assert (await oncall.http.get(missing)).status_code == 404
    assert (await oncall.http.patch(missing, json={"name": unique("t")})).status_code == 404
    assert (await oncall.http.delete(missing)).json()["field"] == "id"
