#!/usr/bin/env bash
# The delivery pipeline in stages, locally or in any CI: quality, security, config, tests, build, deploy.
# Each stage prints PASS, FAIL or SKIP (with why) and its time; the first failure stops the run (exit 1).
# `./pipeline.sh config build` runs only the stages named, in the order given.
set -uo pipefail
cd "$(dirname "$0")"
PY=.venv/bin/python
ALL_STAGES=(quality security config tests build deploy)
SKIPPED=75  # a stage's exit code for "could not run here", with the reason printed

quality() {  # `make lint` (ruff check, ruff format --check, mypy), then the stubs against proto/
  make lint && make check-proto
}

security() {  # secret scan, bandit, dependency audit (skipped, saying why, when its database is unreachable)
  make security
}

config() {  # compose against the Compose schema, hadolint, Traefik's files, promtool on Prometheus's
  REQUIRE_PROMETHEUS=1 "$PY" -m pytest -q -p no:cacheprovider tests/unit/test_compose_file.py \
    tests/unit/test_dockerfiles.py tests/unit/test_traefik_config.py tests/unit/test_prometheus_config.py \
    tests/integration/test_compose_gateway.py
}

tests() {  # unit, integration and end-to-end, then the benchmark's (needs wrk)
  make test && make test-bench
}

build() {  # the images, when a Docker engine answers
  if ! command -v docker >/dev/null 2>&1; then
    echo "no docker command on this machine"; return $SKIPPED
  fi
  if ! docker info >/dev/null 2>&1; then
    echo "docker is installed but no Docker engine answers (docker info failed)"; return $SKIPPED
  fi
  docker build -f Dockerfile.service -t oncall-platform/service:local . \
    && docker build -f Dockerfile.webui -t oncall-platform/web-ui:local .
}

deploy() {  # the native stack up, one alert through the gateway end to end, then down again
  # A stack that already ran (any process not stopped) is used as it is and left running.
  local ours=1 rc
  if "$PY" -m scripts.stack status 2>/dev/null | grep -qv ' stopped$'; then
    ours=0; echo "a native stack is running already: verifying it, leaving it up"
  fi
  make up && "$PY" -m scripts.smoke
  rc=$?
  if [ "$ours" = 1 ]; then make down; fi
  return $rc
}

run_stage() {
  local name=$1 started rc
  started=$(date +%s)
  printf '\n==> %s\n' "$name"
  "$name"
  rc=$?
  local took=$(( $(date +%s) - started ))
  if [ "$rc" = 0 ]; then
    printf '<== PASS %s (%d s)\n' "$name" "$took"
  elif [ "$rc" = "$SKIPPED" ]; then
    printf '<== SKIP %s (%d s): the reason is above\n' "$name" "$took"
  else
    printf '<== FAIL %s (%d s, exit %d): stopping here\n' "$name" "$took" "$rc"
    exit 1
  fi
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${ALL_STAGES[@]}")
for stage in "${stages[@]}"; do
  if [[ ! " ${ALL_STAGES[*]} " == *" $stage "* ]]; then
    echo "unknown stage '$stage'; stages: ${ALL_STAGES[*]}" >&2; exit 2
  fi
done
make install || { echo "FAIL install: stopping here"; exit 1; }
for stage in "${stages[@]}"; do run_stage "$stage"; done
printf '\npipeline passed: %s\n' "${stages[*]}"
