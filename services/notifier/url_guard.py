"""SSRF guard: webhook URLs must not reach the platform's own or other internal services.

A delivery resolves its host once, in `GuardedResolver`, and connects to the addresses checked there: a
second lookup between the check and the connection would let a DNS answer that changes in between
(rebinding) send the signed POST to an internal address.
"""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from shared.errors import InvalidInput

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
HINT = "set allow_internal and WEBHOOK_ALLOW_INTERNAL_TARGETS to permit it"

# Never webhook targets: the entries of IANA's IPv4 and IPv6 Special-Purpose Address Registries
# (iana.org/assignments/iana-ipv4-special-registry, iana-ipv6-special-registry), the globally reachable
# ones too (none is a webhook receiver), plus multicast and the deprecated IPv4-compatible, IPv4-translated
# and site-local ranges. A prefix embedding an IPv4 address (mapped, compatible, translated, NAT64, 6to4,
# Teredo) is refused whole: the embedded address may be internal, and some hosts route to it.
SPECIAL_PURPOSE = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254) included
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.31.196.0/24",  # AS112-v4
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # private
        "192.175.48.0/24",  # direct delegation AS112
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved
        "255.255.255.255/32",  # limited broadcast
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::/96",  # IPv4-compatible (deprecated), e.g. ::127.0.0.1
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT, RFC 2765)
        "64:ff9b::/96",  # NAT64 well-known prefix
        "64:ff9b:1::/48",  # NAT64 local-use
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments
        "2001::/32",  # Teredo
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "2620:4f:8000::/48",  # direct delegation AS112
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing (SRv6) SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)


class Refused(OSError):
    """A target the guard refuses; an OSError, so aiohttp reports it as the connection's failure."""


def is_internal(address: IpAddress) -> bool:
    """In a special-purpose range of the table, or not global by Python's own copy of the registries."""
    return any(address in network for network in SPECIAL_PURPOSE) or not address.is_global


def literal(host: str) -> IpAddress | None:
    """The address a host written as an IP literal is; None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def refusal(host: str, port: int, addresses: list[IpAddress], *, platform_ports: list[int]) -> str | None:
    """Why a target may not be called, or None when it may.

    Names the host as given, never an address a name resolved to: the refusal would otherwise tell
    whoever subscribes what the platform's network answers for any name.
    """
    if not any(is_internal(address) for address in addresses):
        return None
    named = literal(host) is None
    endpoint = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if port in platform_ports:
        return f"{endpoint} {'resolves to' if named else 'is'} one of the platform's own services"
    return f"{host} {'resolves to' if named else 'is'} an internal address"


def check_addresses(host: str, port: int, addresses: list[IpAddress], *, platform_ports: list[int]) -> None:
    """Raise Refused when any of the addresses is internal."""
    reason = refusal(host, port, addresses, platform_ports=platform_ports)
    if reason:
        raise Refused(f"refused: {reason} ({HINT})")


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url must be an http(s) URL with a host", field="url")
    return parts.hostname.lower(), parts.port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address the host resolves to (an IP literal resolves to itself)."""
    if (address := literal(host)) is not None:
        return [address]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check_target(url: str, *, allow_internal: bool, platform_ports: list[int]) -> str:
    """The URL's `host:port` when it may be called; InvalidInput (naming why) otherwise.

    `allow_internal` is the subscription's flag already combined with WEBHOOK_ALLOW_INTERNAL_TARGETS.
    This checks a URL when it is subscribed; deliveries are checked again, at connection, by
    `GuardedResolver` and `check_literal`.
    """
    host, port = host_and_port(url)
    try:
        addresses = await resolve(host, port)
    except OSError as error:
        raise InvalidInput(f"cannot resolve {host}: {error}", field="url") from error
    if not allow_internal:
        try:
            check_addresses(host, port, addresses, platform_ports=platform_ports)
        except Refused as refused:
            raise InvalidInput(str(refused), field="url") from refused
    return f"{host}:{port}"


def check_literal(url: str, *, platform_ports: list[int]) -> None:
    """Raise Refused when the URL's host is an internal IP literal: aiohttp dials a literal without asking
    its resolver, so `GuardedResolver` never sees it."""
    host, port = host_and_port(url)
    if (address := literal(host)) is not None:
        check_addresses(host, port, [address], platform_ports=platform_ports)


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, handing the connector only addresses the guard passed.

    The connection goes to exactly what was checked, while TLS (SNI, certificate verification) and the
    Host header still use the name. aiohttp caches the answer per host and port (10 s by default): the
    cache holds checked answers only.
    """

    def __init__(self, *, platform_ports: list[int]) -> None:
        self._resolver = ThreadedResolver()
        self._platform_ports = platform_ports

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Every address of the host, or Refused when any of them is internal."""
        results = await self._resolver.resolve(host, port, family)
        addresses = [ipaddress.ip_address(result["host"]) for result in results]
        check_addresses(host, port, addresses, platform_ports=self._platform_ports)
        return results

    async def close(self) -> None:
        await self._resolver.close()
