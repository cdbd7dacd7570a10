"""SSRF guard: which addresses are refused, and what a refusal says."""

import ipaddress

import pytest

from services.notifier import url_guard
from shared.errors import InvalidInput

PLATFORM_PORTS = [8002]

# One address in each range the guard refuses (IANA special-purpose registries, multicast, deprecated).
SPECIAL = [
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "this network"),
    ("10.0.0.5", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT, last"),
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback, not .1"),
    ("169.254.169.254", "cloud metadata"),
    ("172.17.0.2", "private"),
    ("192.0.0.9", "IETF protocol assignments"),
    ("192.0.2.10", "TEST-NET-1"),
    ("192.31.196.1", "AS112-v4"),
    ("192.52.193.1", "AMT"),
    ("192.88.99.1", "6to4 relay anycast"),
    ("192.168.1.1", "private"),
    ("192.175.48.1", "AS112 direct delegation"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking, last"),
    ("198.51.100.7", "TEST-NET-2"),
    ("203.0.113.7", "TEST-NET-3"),
    ("224.0.0.251", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("::127.0.0.1", "IPv4-compatible loopback"),
    ("::8.8.8.8", "IPv4-compatible, even of a public address"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:8.8.8.8", "IPv4-mapped, even of a public address"),
    ("::ffff:0:7f00:1", "IPv4-translated"),
    ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
    ("64:ff9b::808:808", "NAT64 of a public address"),
    ("64:ff9b:1::1", "NAT64 local-use"),
    ("100::1", "discard-only"),
    ("2001::1", "Teredo"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo, as clients use it"),
    ("2001:2::1", "IPv6 benchmarking"),
    ("2001:db8::1", "documentation"),
    ("2002:7f00:1::1", "6to4 of 127.0.0.1"),
    ("2002:808:808::1", "6to4 of a public address"),
    ("2620:4f:8000::1", "AS112 direct delegation"),
    ("3fff::1", "documentation"),
    ("5f00::1", "SRv6 SIDs"),
    ("fc00::1", "unique local"),
    ("fd00::1", "unique local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local with a zone"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:830::200e"]


@pytest.mark.parametrize(("address", "kind"), SPECIAL)
def test_special_purpose_addresses_are_refused(address, kind):
    assert url_guard.is_internal(ipaddress.ip_address(address)), kind
    reason = url_guard.refusal(address, 443, [ipaddress.ip_address(address)], platform_ports=PLATFORM_PORTS)
    assert reason == f"{address} is an internal address"


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert not url_guard.is_internal(ipaddress.ip_address(address))
    assert url_guard.refusal(address, 443, [ipaddress.ip_address(address)], platform_ports=[443]) is None


def test_every_range_of_the_table_is_exercised():
    exercised = [ipaddress.ip_address(address) for address, _ in SPECIAL]
    untested = [n for n in url_guard.SPECIAL_PURPOSE if not any(a in n for a in exercised)]
    assert not untested


def test_a_name_is_refused_when_any_of_its_addresses_is_internal_without_naming_them():
    addresses = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.20.30.40")]
    reason = url_guard.refusal("hooks.example.com", 443, addresses, platform_ports=PLATFORM_PORTS)
    assert reason == "hooks.example.com resolves to an internal address"
    assert "10.20.30.40" not in reason and "93.184.216.34" not in reason


def test_platform_ports_are_named_without_the_address():
    loopback = [ipaddress.ip_address("127.0.0.1")]
    by_name = url_guard.refusal("localhost", 8002, loopback, platform_ports=PLATFORM_PORTS)
    assert by_name == "localhost:8002 resolves to one of the platform's own services"
    by_literal = url_guard.refusal("::1", 8002, [ipaddress.ip_address("::1")], platform_ports=PLATFORM_PORTS)
    assert by_literal == "[::1]:8002 is one of the platform's own services"


def test_a_refused_name_raises_with_the_hint_and_no_address():
    with pytest.raises(url_guard.Refused) as refused:
        url_guard.check_addresses(
            "rebind.example", 80, [ipaddress.ip_address("127.0.0.1")], platform_ports=PLATFORM_PORTS
        )
    assert str(refused.value).startswith("refused: rebind.example resolves to an internal address (set ")
    assert "127.0.0.1" not in str(refused.value)


def test_internal_ip_literals_are_refused_before_connecting_and_names_left_to_the_resolver():
    with pytest.raises(url_guard.Refused):
        url_guard.check_literal("http://[::ffff:169.254.169.254]/latest", platform_ports=PLATFORM_PORTS)
    with pytest.raises(url_guard.Refused):
        url_guard.check_literal("http://100.64.0.1/hook", platform_ports=PLATFORM_PORTS)
    url_guard.check_literal("https://93.184.216.34/hook", platform_ports=PLATFORM_PORTS)
    url_guard.check_literal("https://hooks.example.com/hook", platform_ports=PLATFORM_PORTS)


async def test_subscribing_to_an_internal_literal_is_invalid_input_unless_allowed():
    url = "http://[::127.0.0.1]:9000/hook"
    with pytest.raises(InvalidInput) as refused:
        await url_guard.check_target(url, allow_internal=False, platform_ports=PLATFORM_PORTS)
    assert refused.value.message.startswith("refused: ::127.0.0.1 is an internal address")
    assert await url_guard.check_target(url, allow_internal=True, platform_ports=[]) == "::127.0.0.1:9000"


def test_only_http_urls_with_a_host():
    assert url_guard.host_and_port("https://hooks.example.com/x") == ("hooks.example.com", 443)
    with pytest.raises(InvalidInput):
        url_guard.host_and_port("file:///etc/passwd")
