"""Benchmark of the ingestion hot path through Traefik: `make bench` (or `python -m scripts.bench`).

Starts its own native stack under var/bench-stack, from empty data each time, its ingestion replicas run
from noop_replica.py (the product's app plus a no-op route). It creates services with routing keys, owned
by teams with a rotation of two people each (owners.py: every new incident is assigned and emailed to the
person on call, as in a real deployment; `--unowned` leaves them to no team, which neither pages nor
emails), then measures in one run: the no-op route behind the same Traefik, the issue's minimal prototype
of the hop (prototype.py), single alerts and batches at saturation (wrk; single alerts twice: the storm's
start, which opens its incidents and pages them, then the storm going on, its incidents open already),
open-loop latency at fixed fractions of saturation (and the no-op's at the same offered rates), alert ->
signed webhook latency, CPU per alert per process, memory, the cost of the credential check
(credentials.py) and the incident list on a seeded history of 100,000 incidents; on a machine slower than
the issue's (by the prototype), open loop and webhook again at the issue's rates scaled to it
(targets.py). Prints a table and writes JSON under var/bench/. It calls the API as the stack's first admin,
with an access token; alerts carry the integrations' keys.

Or it measures a stack that is already running, and starts and stops nothing: `--running` for the native
stack of this environment's settings (VAR_DIR, ports, .env: the one `make up` started), with every figure;
`--gateway URL` for any other (docker compose, say), with the figures seen through its gateway only (its
admin given as ADMIN_EMAIL and ADMIN_PASSWORD). The services, keys, teams, people, incidents and
subscription the run creates stay there (and its emails go to addresses under example.com): point it at a
test deployment. A phase the stack does not allow is skipped and says why: the no-op ceiling needs
replicas started with INGESTION_MODULE=scripts.bench.noop_replica, the webhook phase a notifier with
WEBHOOK_ALLOW_INTERNAL_TARGETS=true (its receiver listens on 127.0.0.1).
"""

import argparse
import sys
from pathlib import Path

from scripts.bench import runs, wrk
from scripts.bench.phases import run_once
from shared.serve import settle_heap


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=int, default=6, help="length of each phase (default 6)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument(
        "--unowned",
        action="store_true",
        help="leave the services to no team, so no one is paged; by default teams own them and each new "
        "incident is emailed to the person on call",
    )
    parser.add_argument(
        "--webhook-rate",
        type=float,
        default=100,
        help="new incidents/s offered in the alert → webhook phase (default 100, the issue's target)",
    )
    parser.add_argument(
        "--incidents",
        type=int,
        help="after the phases, seed this many incidents and time the incident list on them (0: skip; "
        "default 100,000 on the benchmark's own stack, 0 on a running one)",
    )
    parser.add_argument(
        "--volume",
        type=int,
        default=0,
        help="after the phases, send this many alerts twice (e.g. 100000) and report RSS after each round",
    )
    running = parser.add_mutually_exclusive_group()
    running.add_argument(
        "--running",
        action="store_true",
        help="measure the native stack already running with this environment's settings (VAR_DIR, ports, "
        ".env) instead of starting one",
    )
    running.add_argument(
        "--gateway", help="measure the running stack behind this gateway URL (figures through it only)"
    )
    parser.add_argument(
        "--out", type=Path, help="write the JSON report here (default: var/bench/bench-<time>.json)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run it this many times (each on a fresh stack) and end with the targets' verdicts on the"
        " median of the runs, as the issue's figures are (make bench-median: 3)",
    )
    args = parser.parse_args()
    if not wrk.available():
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    if args.gateway and args.incidents:
        parser.error("--incidents needs the stack's database: use --running for a native stack")
    if args.repeat < 1:
        parser.error("--repeat takes 1 or more")
    if args.repeat > 1 and args.out:
        parser.error("--out names one report: leave it out with --repeat")
    # The load generators share the machine with the stack and time every answer: like the services, they
    # run on uvloop and keep the garbage collector's pauses out of the latencies they measure.
    settle_heap()
    reports, names = [], []
    for run in range(1, args.repeat + 1):
        if args.repeat > 1:
            print(f"\nrun {run} of {args.repeat}", flush=True)
        report, out = run_once(args)
        if report is None:
            return 2
        reports.append(report)
        names.append(out.stem)
    if args.repeat > 1:
        runs.print_summary(reports, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
