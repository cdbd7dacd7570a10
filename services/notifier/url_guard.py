"""SSRF guard: webhook URLs must not reach the platform's own or other internal services."""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from shared.errors import InvalidInput

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_internal(address: IpAddress) -> bool:
    """Loopback, private, link-local (cloud metadata), shared, reserved, multicast or unspecified."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def refusal(port: int, addresses: list[IpAddress], *, platform_ports: list[int]) -> str | None:
    """Why a target may not be called, or None when it may."""
    internal = [str(a) for a in addresses if is_internal(a)]
    if internal and port in platform_ports:
        return f"{internal[0]}:{port} is one of the platform's own services"
    if internal:
        return f"{internal[0]} is an internal address"
    return None


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url must be an http(s) URL with a host", field="url")
    return parts.hostname.lower(), parts.port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address the host resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


async def check_target(url: str, *, allow_internal: bool, platform_ports: list[int]) -> str:
    """The URL's `host:port` when it may be called; InvalidInput (naming why) otherwise.

    `allow_internal` is the subscription's flag already combined with WEBHOOK_ALLOW_INTERNAL_TARGETS.
    """
    host, port = host_and_port(url)
    try:
        addresses = await resolve(host, port)
    except OSError as error:
        raise InvalidInput(f"cannot resolve {host}: {error}", field="url") from error
    reason = refusal(port, addresses, platform_ports=platform_ports)
    if reason and not allow_internal:
        raise InvalidInput(
            f"refused: {reason} (set allow_internal and WEBHOOK_ALLOW_INTERNAL_TARGETS to permit it)",
            field="url",
        )
    return f"{host}:{port}"
