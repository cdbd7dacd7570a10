"""Free loopback ports, for stacks that must not collide with another (tests, benchmarks)."""

import random
import socket
from pathlib import Path

from scripts.devstack.settings import MAX_REPLICAS, StackSettings

# Every port of StackSettings; the ingestion replicas take consecutive ports from the base.
PORT_FIELDS = (
    "gateway_port",
    "gateway_admin_port",
    "gateway_tls_port",
    "incident_http_port",
    "incident_grpc_port",
    "oncall_http_port",
    "oncall_grpc_port",
    "notifier_http_port",
    "notifier_grpc_port",
    "web_ui_http_port",
    "smtp_sink_port",
    "metrics_exporter_port",
    "prometheus_port",
    "postgres_port",
    "redis_port",
)


# Ports never to hand out: those already handed out by this process, so two servers of one stack never get
# the same one, and the native stack's defaults, so a test's stack never holds one when `make up` starts.
_DEFAULTS = {StackSettings.model_fields[name].default for name in PORT_FIELDS}
_BASE = StackSettings.model_fields["ingestion_base_port"].default
_handed_out: set[int] = _DEFAULTS | set(range(_BASE, _BASE + MAX_REPLICAS))


def _below_ephemeral_range() -> tuple[int, int]:
    """Ports under the kernel's ephemeral range: a port there can be taken by any outgoing connection
    (a database client, a test's HTTP client) between the moment it is picked and the server's bind."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return 15000, max(low - 1, 16000)


def free_port() -> int:
    low, high = _below_ephemeral_range()
    for _ in range(500):
        port = random.randint(low, high)
        if port not in _handed_out and _is_free(port):
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


def free_port_run(count: int) -> int:
    """A port p with p .. p+count-1 all free (for the ingestion replicas)."""
    for _ in range(50):
        port = free_port()
        following = range(port + 1, port + count)
        if all(p not in _handed_out and _is_free(p) for p in following):
            _handed_out.update(following)
            return port
    raise RuntimeError(f"no {count} consecutive free ports")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_values(replicas: int) -> dict[str, int]:
    """StackSettings values putting every process of a stack on a free port."""
    return {name: free_port() for name in PORT_FIELDS} | {"ingestion_base_port": free_port_run(replicas)}
