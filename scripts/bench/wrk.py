"""Closed-loop saturation runs with wrk (Debian package `wrk`) and the traffic script beside this file."""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("traffic.lua")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: int  # non-2xx answers plus socket errors
    latency_ms: dict[str, float]  # p50, p75, p90, p99

    @property
    def rate(self) -> float:
        return (self.requests - self.errors) / self.seconds


def available() -> bool:
    return shutil.which("wrk") is not None


def run(url: str, *, mode: str, keys_file: Path, seconds: int, connections: int, batch: int = 1) -> WrkResult:
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_KEYS": str(keys_file), "BENCH_BATCH": str(batch)}
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(SCRIPT), url]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    return parse(out)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * _UNITS[unit]


def parse(out: str) -> WrkResult:
    """Figures from wrk's text report."""
    total = re.search(r"(\d+) requests in ([\d.]+)(s|m)", out)
    seconds = float(total.group(2)) * (60 if total.group(3) == "m" else 1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(g) for g in socket.groups()) if socket else 0
    latency = {f"p{p}": _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    return WrkResult(int(total.group(1)), seconds, errors, latency)
