"""Compose's gateway on the real Traefik: the rendered compose files, with the Docker provider reading the
alert-ingestion labels of docker-compose.yml from a fake Docker Engine API (no Docker here), in front of
stub replicas that, as compose's containers do, share one port at addresses of their own."""

import asyncio
import contextlib
import dataclasses
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from scripts.devstack import runner, traefik
from scripts.devstack.ports import free_port
from scripts.devstack.settings import ROOT
from shared.http import install_common
from tests.integration.fake_docker import Container, FakeDocker
from tests.integration.servers import running_uvicorn

pytestmark = pytest.mark.integration

LABELS = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["alert-ingestion"]["labels"]
PORT_LABEL = "traefik.http.services.alert-ingestion.loadbalancer.server.port"
REPLICA_ADDRESSES = ("127.0.0.2", "127.0.0.3")  # two containers' addresses on the compose network
POOL = traefik.DOCKER_INGESTION_SERVICE


def stub_app(name: str) -> FastAPI:
    """A replica's routes that the gateway uses: health, the error pages, and alerts naming who took them."""
    app = FastAPI()
    install_common(app)

    @app.get("/health/ready")
    @app.get("/health/live")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/alerts")
    async def alert() -> JSONResponse:
        return JSONResponse({"result": "created"}, headers={"X-Replica": name})

    return app


def same_port_sockets(addresses: tuple[str, ...]) -> list[socket.socket]:
    """One bound socket per address, all on one port (the label's), as each container listens."""
    for _ in range(20):
        first = socket.socket()
        first.bind((addresses[0], 0))
        sockets = [first]
        try:
            for address in addresses[1:]:
                sockets.append(socket.socket())
                sockets[-1].bind((address, first.getsockname()[1]))
        except OSError:
            for sock in sockets:
                sock.close()
            continue
        return sockets
    raise RuntimeError("no port free on every replica address")


@dataclasses.dataclass
class Gateway:
    url: str
    admin: str
    docker: FakeDocker
    containers: list[Container]
    replica_urls: list[str]
    log: Path


def write_config(home: Path, pages: str, docker_socket: Path) -> tuple[Path, str, str]:
    """The compose files, on free loopback ports, their single services at `pages`, Docker at the socket."""
    config = dataclasses.replace(
        traefik.compose_config(),
        listen_host="127.0.0.1",
        gateway_port=free_port(),
        admin_port=free_port(),
        dynamic_dir=str(home / "dynamic"),
        incident_url=pages,
        oncall_url=pages,
        notifier_url=pages,
        web_ui_url=pages,
        ingestion_urls=[pages],
    )
    files = traefik.render(config)
    static = yaml.safe_load(files["traefik.yml"])
    static["providers"]["docker"]["endpoint"] = f"unix://{docker_socket}"
    (home / "dynamic").mkdir()
    (home / "dynamic" / "routes.yml").write_text(files["dynamic.yml"])
    (home / "traefik.yml").write_text(yaml.safe_dump(static))
    return (
        home / "traefik.yml",
        f"http://127.0.0.1:{config.gateway_port}",
        f"http://127.0.0.1:{config.admin_port}",
    )


async def pool_servers(admin: str) -> dict[str, str] | None:
    """The pool's servers and their health as Traefik's API shows them; None while it has no such pool."""
    async with httpx.AsyncClient(timeout=2.0) as client:
        reply = await client.get(f"{admin}/api/http/services/{POOL}")
    return reply.json().get("serverStatus", {}) if reply.status_code == 200 else None


async def wait_for_pool(gateway_admin: str, expected: dict[str, str] | None, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if await pool_servers(gateway_admin) == expected:
                return
        await asyncio.sleep(0.1)
    logged = await asyncio.to_thread(log.read_text)
    raise AssertionError(f"pool is {await pool_servers(gateway_admin)}, not {expected}\n{logged}")


def start_traefik(config_file: Path, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [runner.traefik_binary(), f"--configFile={config_file}"], stdout=out, stderr=subprocess.STDOUT
        )


@pytest.fixture(scope="module")
async def gateway() -> AsyncIterator[Gateway]:
    with tempfile.TemporaryDirectory(prefix="gw") as tmp:  # short: a unix socket's path has ~100 bytes
        home = Path(tmp)
        async with contextlib.AsyncExitStack() as stack:
            urls = [
                await stack.enter_async_context(running_uvicorn(stub_app(f"replica-{i}"), sock=sock))
                for i, sock in enumerate(same_port_sockets(REPLICA_ADDRESSES))
            ]
            pages = await stack.enter_async_context(running_uvicorn(stub_app("pages")))
            # The compose labels, but for the port: the stubs share a free one where replicas share 8001.
            labels = LABELS | {PORT_LABEL: urls[0].rsplit(":", 1)[1]}
            containers = [
                Container(id=f"{i + 1:x}" * 64, service="alert-ingestion", address=address, labels=labels)
                for i, address in enumerate(REPLICA_ADDRESSES)
            ]
            docker = FakeDocker(home / "docker.sock", containers)
            threading.Thread(target=docker.serve_forever, daemon=True).start()
            stack.callback(docker.close)
            config_file, url, admin = write_config(home, pages, home / "docker.sock")
            log = home / "traefik.log"
            process = start_traefik(config_file, log)
            stack.callback(process.wait, 10)
            stack.callback(process.terminate)
            await wait_for_pool(admin, {u: "UP" for u in urls}, log)
            yield Gateway(url, admin, docker, containers, urls, log)


async def send_alerts(gateway: Gateway, count: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=5.0) as client:
        return [await client.post("/api/v1/alerts", json={"summary": f"a{i}"}) for i in range(count)]


async def test_alerts_are_spread_over_every_container_the_docker_provider_finds(gateway: Gateway):
    replies = await send_alerts(gateway, 20)
    assert {r.status_code for r in replies} == {200}
    assert {r.headers["x-replica"] for r in replies} == {"replica-0", "replica-1"}


async def test_a_replica_is_reached_only_through_the_alert_routes_middlewares(gateway: Gateway):
    """Traefik gives each labelled container a router of its own (Host: alert-ingestion-<project>); its
    default rule matches nothing, so such a request gets the gateway's 404, not a replica's answer."""
    async with httpx.AsyncClient(timeout=5.0) as client:
        routers = (await client.get(f"{gateway.admin}/api/http/routers")).json()
        own = [r for r in routers if r["provider"] == "docker"]
        reply = await client.get(f"{gateway.url}/health/ready", headers={"Host": "alert-ingestion-oncall"})
    # Enabled: a rule Traefik refused would also serve nothing, with an error logged for every container.
    assert [(r["rule"], r["status"]) for r in own] == [("PathPrefix(`/`) && !PathPrefix(`/`)", "enabled")]
    assert (reply.status_code, reply.json()) == (404, {"detail": "not found: no API at this path"})
    assert "x-replica" not in reply.headers


async def test_a_stopped_container_leaves_the_pool_and_with_none_alerts_get_the_json_503(gateway: Gateway):
    first = gateway.containers[0]
    gateway.docker.replace([first])
    await wait_for_pool(gateway.admin, {gateway.replica_urls[0]: "UP"}, gateway.log)
    replies = await send_alerts(gateway, 6)
    assert {(r.status_code, r.headers["x-replica"]) for r in replies} == {(200, "replica-0")}

    gateway.docker.replace([])
    await wait_for_pool(gateway.admin, None, gateway.log)
    [reply] = await send_alerts(gateway, 1)
    assert reply.status_code == 503
    assert reply.headers["retry-after"] == "1" and "unavailable" in reply.json()["detail"]
