"""Free loopback ports, for stacks that must not collide with another (tests, benchmarks)."""

import socket

# Every port of StackSettings; the ingestion replicas take consecutive ports from the base.
PORT_FIELDS = (
    "gateway_port",
    "gateway_admin_port",
    "incident_http_port",
    "incident_grpc_port",
    "oncall_http_port",
    "oncall_grpc_port",
    "notifier_http_port",
    "smtp_sink_port",
    "postgres_port",
    "redis_port",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_run(count: int) -> int:
    """A port p with p .. p+count-1 all free (for the ingestion replicas)."""
    for _ in range(50):
        port = free_port()
        if all(_is_free(port + i) for i in range(1, count)):
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
