"""Users over REST against real PostgreSQL."""

import uuid

import pytest

from tests.integration.oncall_fixtures import unique

pytestmark = pytest.mark.integration


async def test_user_is_created_read_listed_patched_and_deleted(oncall):
    email = f"{unique('bob')}@Example.com"
    created = await oncall.user("Bob", email=email, time_zone="America/New_York")
    assert created["email"] == email.lower() and created["time_zone"] == "America/New_York"
    assert created["created_at"].endswith("Z")
    url = f"/api/v1/users/{created['id']}"
    assert (await oncall.http.get(url)).json() == created
    listed = (await oncall.http.get("/api/v1/users")).json()
    assert created in listed
    patched = await oncall.http.patch(url, json={"name": "Robert", "time_zone": "Asia/Tokyo"})
    assert patched.status_code == 200, patched.text
    assert patched.json() | {"name": "Bob", "time_zone": "America/New_York"} == created
    assert (await oncall.http.delete(url)).status_code == 204
    assert (await oncall.http.get(url)).status_code == 404


async def test_time_zone_defaults_to_utc(oncall):
    assert (await oncall.user())["time_zone"] == "UTC"


async def test_duplicate_email_is_a_conflict_naming_the_field(oncall):
    first = await oncall.user()
    again = await oncall.http.post("/api/v1/users", json={"name": "Other", "email": first["email"].upper()})
    assert again.status_code == 409
    assert again.json()["field"] == "email" and first["email"] in again.json()["detail"]
    other = await oncall.user()
    taken = await oncall.http.patch(f"/api/v1/users/{other['id']}", json={"email": first["email"]})
    assert taken.status_code == 409 and taken.json()["field"] == "email"
    same = await oncall.http.patch(f"/api/v1/users/{first['id']}", json={"email": first["email"]})
    assert same.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "X", "email": "a@b.c", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "", "email": "a@b.c"}, "name"),
        ({"email": "a@b.c"}, "name"),
        ({"name": "X", "email": "a@b.c", "role": "superuser"}, "role"),
    ],
)
async def test_invalid_user_bodies_are_422_naming_the_field(oncall, body, field):
    reply = await oncall.http.post("/api/v1/users", json=body)
    assert reply.status_code == 422
    assert reply.json()["detail"].startswith(f"{field}:")


async def test_unknown_and_malformed_user_ids(oncall):
    missing = f"/api/v1/users/{uuid.uuid4()}"
    for method in ("GET", "DELETE"):
        reply = await oncall.http.request(method, missing)
        assert reply.status_code == 404 and "not found" in reply.json()["detail"]
    assert (await oncall.http.patch(missing, json={"name": "X"})).status_code == 404
    assert (await oncall.http.get("/api/v1/users/nope")).status_code == 422


async def test_user_in_a_rotation_cannot_be_deleted(oncall):
    user = await oncall.user()
    team = await oncall.team()
    rotation = await oncall.rotation(team["id"], [user["id"]], name=unique("primary"))
    refused = await oncall.http.delete(f"/api/v1/users/{user['id']}")
    assert refused.status_code == 409
    assert rotation["name"] in refused.json()["detail"] and "member" in refused.json()["detail"]
    await oncall.http.patch(f"/api/v1/rotations/{rotation['id']}", json={"member_ids": []})
    assert (await oncall.http.delete(f"/api/v1/users/{user['id']}")).status_code == 204


async def test_simultaneous_creates_with_one_email_give_one_user_and_conflicts_not_errors(oncall):
    import asyncio

    email = f"{unique('race')}@example.com"
    replies = await asyncio.gather(
        *(oncall.http.post("/api/v1/users", json={"name": "Racer", "email": email}) for _ in range(8))
    )
    assert sorted(r.status_code for r in replies) == [201] + [409] * 7
    listed = (await oncall.http.get("/api/v1/users")).json()
    assert [u["email"] for u in listed].count(email) == 1


async def test_the_last_admin_can_be_neither_demoted_nor_deleted(oncall):
    admins = [u for u in (await oncall.http.get("/api/v1/users")).json() if u["role"] == "admin"]
    assert len(admins) == 1  # the tests' admin
    only = admins[0]["id"]
    demoted = await oncall.http.patch(f"/api/v1/users/{only}", json={"role": "viewer"})
    assert demoted.status_code == 409 and "last admin" in demoted.json()["detail"]
    assert (await oncall.http.delete(f"/api/v1/users/{only}")).status_code == 409
    second = await oncall.user("Second Admin", role="admin")
    demoted = await oncall.http.patch(f"/api/v1/users/{second['id']}", json={"role": "responder"})
    assert demoted.status_code == 200 and demoted.json()["role"] == "responder"
