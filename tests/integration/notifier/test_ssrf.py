"""DNS rebinding against a real notifier: a delivery connects to the very address the guard checked."""

import asyncio
import errno
import os
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from tests.integration.notifier.conftest import eventually, trigger

pytestmark = pytest.mark.integration

NAME = "rebind.test"
PUBLIC = "93.184.216.34"


@dataclass
class Rebinding:
    """Answers NAME with PUBLIC for the first `public_answers` lookups, then with 127.0.0.1; records every
    connection to the receiver's port, and refuses (as an unroutable network would) those not to 127.0.0.1,
    so the test sends nothing off this machine."""

    port: int = 0
    public_answers: int = 1
    lookups: int = 0
    dialled: list[str] = field(default_factory=list)


@pytest.fixture
async def rebinding(monkeypatch):
    """Patches the running loop's getaddrinfo (the one lookup both the API's check and aiohttp's resolver
    use) and sock_connect (where every connection is dialled); other names and ports pass through."""
    loop, state = asyncio.get_running_loop(), Rebinding()
    real_getaddrinfo, real_sock_connect = loop.getaddrinfo, loop.sock_connect

    async def getaddrinfo(host, port, *, family=0, type=0, proto=0, flags=0):
        if host != NAME:
            return await real_getaddrinfo(host, port, family=family, type=type, proto=proto, flags=flags)
        state.lookups += 1
        address = PUBLIC if state.lookups <= state.public_answers else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    async def sock_connect(sock, address):
        if address[1] == state.port:
            state.dialled.append(address[0])
            if address[0] != "127.0.0.1":  # asyncio's own wording, which names the address
                raise OSError(errno.ENETUNREACH, f"Connect call failed {address}")
        return await real_sock_connect(sock, address)

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(loop, "sock_connect", sock_connect)
    return state


async def first_attempt(notifier, webhook_id: str) -> dict:
    async def attempted():
        deliveries = await notifier.deliveries(webhook_id)
        return deliveries[0] if deliveries and deliveries[0]["attempt_log"] else None

    return await eventually(attempted, within=10)


async def test_a_name_rebound_to_loopback_after_subscribing_never_reaches_the_local_receiver(
    pair, start_receiver, rebinding
):
    incidents, notifier = pair
    receiver = await start_receiver()
    rebinding.port = urlsplit(receiver.url).port
    rebinding.public_answers = 1  # the subscription's check sees a public address, deliveries 127.0.0.1
    url = f"http://{NAME}:{rebinding.port}/hook"
    webhook = await notifier.subscribe(receiver, url=url, allow_internal=False)
    await trigger(incidents)
    delivery = await first_attempt(notifier, webhook["id"])
    error = delivery["attempt_log"][0]["error"]
    assert error.startswith(f"refused: {NAME} resolves to an internal address")
    assert "127.0.0.1" not in str(delivery)
    assert receiver.requests == [] and rebinding.dialled == []


async def test_a_delivery_connects_to_the_address_its_lookup_checked(pair, start_receiver, rebinding):
    """The check and the connection share one lookup: were the name looked up again to connect, the
    later answer (127.0.0.1) would reach the receiver."""
    incidents, notifier = pair
    receiver = await start_receiver()
    rebinding.port = urlsplit(receiver.url).port
    rebinding.public_answers = 2  # the subscription's check and the delivery's lookup
    url = f"http://{NAME}:{rebinding.port}/hook"
    webhook = await notifier.subscribe(receiver, url=url, allow_internal=False)
    await trigger(incidents)
    delivery = await first_attempt(notifier, webhook["id"])
    error = delivery["attempt_log"][0]["error"]
    assert error == f"cannot connect to {NAME}:{rebinding.port}: {os.strerror(errno.ENETUNREACH)}"
    assert PUBLIC not in str(delivery)
    assert rebinding.dialled and set(rebinding.dialled) == {PUBLIC}
    assert receiver.requests == []
