#!/usr/bin/env bash
# The whole delivery pipeline, locally or in any CI: install, lint, contract check, tests, then images
# when a Docker engine is reachable. Each step is a make target, so it runs the same everywhere.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n==> %s\n' "$*"; }

step "install (pinned dependencies into .venv)"
make install
step "lint (ruff check, ruff format --check)"
make lint
step "generated gRPC stubs match proto/"
make check-proto
step "tests (unit, integration, end-to-end)"
make test
step "the benchmark's tests (needs wrk: apt-get install -y wrk)"
make test-bench
if docker info >/dev/null 2>&1; then
  step "images"
  docker build -f Dockerfile.service -t oncall-platform/service:local .
  docker build -f Dockerfile.webui -t oncall-platform/webui:local .
else
  step "images skipped: no Docker engine here"
fi
