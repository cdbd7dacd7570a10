# OnCall Platform — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install proto check-proto fmt lint test test-unit test-integration test-e2e test-faults test-fuzz test-bench up full-demo down status render-compose backup restore bench bench-median bench-memory

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,native]'
	touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install pinned dependencies

proto: $(STAMP) ## regenerate gRPC stubs into shared/gen/
	PYTHON=$(PY) scripts/gen_proto.sh

check-proto: $(STAMP) ## fail when committed stubs differ from proto/
	PYTHON=$(PY) $(PY) -m pytest -q tests/unit/test_generated_stubs.py

fmt: $(STAMP) ## format the code
	$(VENV)/bin/ruff format shared services scripts tests && $(VENV)/bin/ruff check --fix shared services scripts tests

lint: $(STAMP) ## ruff check and format check
	$(VENV)/bin/ruff check shared services scripts tests && $(VENV)/bin/ruff format --check shared services scripts tests

test: $(STAMP) ## unit, integration and end-to-end tests (embedded PostgreSQL, Redis, Traefik); the benchmark's: test-bench
	$(PY) scripts/run_tests.py

test-unit: $(STAMP) ## unit tests only
	$(PY) scripts/run_tests.py tests/unit

test-integration: $(STAMP) ## integration tests only
	$(PY) scripts/run_tests.py tests/integration

test-e2e: $(STAMP) ## end-to-end tests through Traefik
	$(PY) scripts/run_tests.py tests/e2e

test-bench: $(STAMP) ## the benchmark's tests: its unit tests and a short run on its own stack (needs wrk; ~3 min)
	$(PY) scripts/run_tests.py tests/bench

test-faults: $(STAMP) ## kill -9 of each service, Redis and PostgreSQL stopped, under re-sent alerts; a verdict each (~3 min)
	$(PY) -m scripts.faults
test-fuzz: $(STAMP) ## the fuzz tests with FUZZ_EXAMPLES (default 200) cases per operation (~6 min)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PY) scripts/run_tests.py --timeout 3600 tests/integration/test_fuzz_apis.py tests/integration/test_fuzz_dashboard.py

up: $(STAMP) ## start the native stack (PostgreSQL, Redis, Traefik, services) under ./var
	$(PY) -m scripts.stack up

full-demo: $(STAMP) ## `make up`, then seed a demo (team, rotation, policy, service, dashboard account) and fire alerts
	$(PY) -m scripts.demo

down: ## stop everything `make up` started
	@if [ -x $(PY) ]; then $(PY) -m scripts.stack down; else echo "nothing to stop"; fi

status: $(STAMP) ## show each process of the native stack and its health
	$(PY) -m scripts.stack status

backup: $(STAMP) ## dump the database (consistent, while running) to var/backups/oncall-<UTC time>.dump
	$(PY) -m scripts.backup dump

restore: $(STAMP) ## restore FILE=var/backups/….dump into the stopped stack (`make down` first)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/oncall-….dump"; exit 2; }
	$(PY) -m scripts.backup restore "$(FILE)"

render-compose: $(STAMP) ## regenerate config/traefik/compose/ from the Traefik templates
	$(PY) -m scripts.stack render-compose

bench: $(STAMP) ## benchmark ingestion through Traefik (needs wrk: apt-get install -y wrk); JSON in var/bench/
	$(PY) -m scripts.bench

bench-median: $(STAMP) ## the benchmark three times, with the targets' verdicts on the median of the runs (~6 min)
	$(PY) -m scripts.bench --repeat 3

bench-memory: $(STAMP) ## the benchmark, then two rounds of 100,000 alerts with RSS after each (~4 min)
	$(PY) -m scripts.bench --volume 100000
