"""A Docker Engine API on a unix socket, as much of it as Traefik's Docker provider reads: the version,
the containers (listed, then each inspected) and the event stream that makes it list them again. It lets
a test run the real Traefik against compose's labels on a machine without Docker."""

import json
import queue
import re
import socketserver
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

API_VERSION = "1.47"
_VERSIONED = re.compile(r"^/v[0-9.]+(/[^?]*)")


@dataclass(frozen=True)
class Container:
    """A running, healthy container of a compose service, at `address` on the project's network."""

    id: str
    service: str
    address: str
    labels: dict[str, str]
    project: str = "oncall"

    def inspected(self) -> dict:
        labels = {
            **self.labels,
            "com.docker.compose.project": self.project,
            "com.docker.compose.service": self.service,
        }
        network = f"{self.project}_default"
        return {
            "Id": self.id,
            "Name": f"/{self.project}-{self.service}-{self.id[:4]}",
            "State": {"Status": "running", "Running": True, "Health": {"Status": "healthy"}},
            "Config": {"Labels": labels, "Hostname": self.id[:12]},
            "HostConfig": {"NetworkMode": network},
            "NetworkSettings": {"Networks": {network: {"IPAddress": self.address, "NetworkID": "n" * 64}}},
        }


class FakeDocker(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Serves `containers`; `replace` changes them and tells every event stream, as a stop would."""

    daemon_threads = True

    def __init__(self, path: Path, containers: list[Container]) -> None:
        self.containers = {c.id: c for c in containers}
        self.streams: list[queue.Queue] = []
        self.closing = threading.Event()
        super().__init__(str(path), _Handler)

    def replace(self, containers: list[Container]) -> None:
        gone = set(self.containers) - {c.id for c in containers}
        self.containers = {c.id: c for c in containers}
        for container_id in gone:
            event = {"Type": "container", "Action": "die", "Actor": {"ID": container_id, "Attributes": {}}}
            for stream in self.streams:
                stream.put(event)

    def close(self) -> None:
        self.closing.set()
        for stream in self.streams:
            stream.put(None)
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FakeDocker

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        """Quiet: a unix socket has no client address to log."""

    def do_HEAD(self) -> None:
        self._send(b"")

    def do_GET(self) -> None:
        if self.path.startswith("/_ping"):
            self._send(b"OK", "text/plain")
            return
        match = _VERSIONED.match(self.path)
        route = match.group(1) if match else self.path
        if route == "/version":
            self._json(
                {"Version": "27.0.0", "ApiVersion": API_VERSION, "MinAPIVersion": "1.24", "Os": "linux"}
            )
        elif route == "/containers/json":
            containers = self.server.containers.values()
            self._json(
                [{"Id": c.id, "Names": [c.inspected()["Name"]], "State": "running"} for c in containers]
            )
        elif route.startswith("/containers/") and route.endswith("/json"):
            container = self.server.containers.get(route.split("/")[2])
            if container is None:
                self._json({"message": "No such container"}, status=404)
            else:
                self._json(container.inspected())
        elif route == "/events":
            self._stream_events()
        else:
            self._json({"message": f"not faked: {route}"}, status=404)

    def _stream_events(self) -> None:
        events: queue.Queue = queue.Queue()
        self.server.streams.append(events)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self._api_headers()
        self.end_headers()
        self.wfile.flush()
        while not self.server.closing.is_set():
            event = events.get()
            if event is None:
                return
            self.wfile.write(json.dumps(event).encode() + b"\n")
            self.wfile.flush()

    def _json(self, body: object, *, status: int = 200) -> None:
        self._send(json.dumps(body).encode(), "application/json", status=status)

    def _send(self, body: bytes, content_type: str = "text/plain", *, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self._api_headers()
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _api_headers(self) -> None:
        self.send_header("Api-Version", API_VERSION)
        self.send_header("Server", "Docker/27.0.0 (linux)")
