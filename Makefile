# OnCall Platform — `make help` lists the targets. Each (but install) runs the same command of the ops CLI,
# `python -m scripts.ops COMMAND`; its arguments: N=, S= (a service), URL=, FILE=, MODE=compose, ARGS=….
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OPS = $(PY) -m scripts.ops $(if $(MODE),--mode $(MODE))

.DEFAULT_GOAL := help
.PHONY: help install deploy up build down restart clean status health logs test-alert test-batch demo \
	full-demo scale scale-down webhook-add webhooks analytics proto check-proto fmt lint security test \
	test-unit test-integration test-e2e test-bench test-faults test-fuzz backup restore render-compose bench \
	bench-median bench-memory bench-live

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,native]'
	touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install pinned dependencies

# The stack
deploy: $(STAMP) ## start the stack under ./var, wait until healthy, print the URLs and the first admin
	$(OPS) deploy $(ARGS)
up: $(STAMP) ## the same as deploy
	$(OPS) up $(ARGS)
build: $(STAMP) ## build the images when a Docker engine answers (else says so)
	$(OPS) build $(ARGS)
down: ## stop everything the stack started
	@if [ -x $(PY) ]; then $(OPS) down $(ARGS); else echo "nothing to stop"; fi
restart: $(STAMP) ## restart S=service (or the whole stack)
	$(OPS) restart $(S) $(ARGS)
clean: ## stop the stack and delete var/ (asks unless ARGS=--yes)
	@if [ -x $(PY) ]; then $(OPS) clean $(ARGS); else rm -rf var; fi
status: $(STAMP) ## each process of the stack and its health
	$(OPS) status $(ARGS)
health: $(STAMP) ## every component, PostgreSQL/Redis/Traefik included; fails naming any not healthy
	$(OPS) health $(ARGS)
logs: $(STAMP) ## the logs of the stack or of S=service; ARGS=-f follows
	$(OPS) logs $(S) $(ARGS)
scale: $(STAMP) ## live: N alert-ingestion replicas (default 3), no request lost
	$(OPS) scale $(N) $(ARGS)
scale-down: $(STAMP) ## live: back to one alert-ingestion replica
	$(OPS) scale-down $(ARGS)

# Using it
test-alert: $(STAMP) ## send one alert through the gateway and show its incident
	$(OPS) test-alert $(ARGS)
test-batch: $(STAMP) ## send N alerts (default 100) in batches; stored count and rate
	$(OPS) test-batch $(N) $(ARGS)
webhook-add: $(STAMP) ## subscribe URL=… to incident events (prints its signing secret once)
	@test -n "$(URL)" || { echo "usage: make webhook-add URL=https://…"; exit 2; }
	$(OPS) webhook-add "$(URL)" $(ARGS)
webhooks: $(STAMP) ## list the webhook subscriptions
	$(OPS) webhooks $(ARGS)
analytics: $(STAMP) ## incident counts, MTTA and MTTR per service
	$(OPS) analytics $(ARGS)
demo: $(STAMP) ## seed a demo on-call setup and fire a few alerts; prints the dashboard login
	$(OPS) demo $(ARGS)
full-demo: $(STAMP) ## the platform in seven narrated steps, with evidence and a summary (<2 min)
	$(OPS) full-demo $(ARGS)
backup: $(STAMP) ## dump the database (consistent, while running) to var/backups/oncall-<UTC time>.dump
	$(OPS) backup $(ARGS)
restore: $(STAMP) ## restore FILE=var/backups/….dump into the stopped stack (`make down` first)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/oncall-….dump"; exit 2; }
	$(OPS) restore "$(FILE)"

# Development
proto: $(STAMP) ## regenerate gRPC stubs into shared/gen/
	$(OPS) proto $(ARGS)
check-proto: $(STAMP) ## fail when committed stubs differ from proto/
	$(OPS) check-proto $(ARGS)
fmt: $(STAMP) ## format the code
	$(OPS) fmt $(ARGS)
lint: $(STAMP) ## ruff check, ruff format --check, mypy (strict on shared/ and services/)
	$(OPS) lint $(ARGS)
security: $(STAMP) ## secret scan (against .secrets.baseline), bandit, dependency audit (skipped offline)
	$(OPS) security
test: $(STAMP) ## unit, integration and end-to-end tests (embedded PostgreSQL, Redis, Traefik); the benchmark's: test-bench
	$(OPS) test $(ARGS)
test-unit: $(STAMP) ## unit tests only
	$(OPS) test-unit $(ARGS)
test-integration: $(STAMP) ## integration tests only
	$(OPS) test-integration $(ARGS)
test-e2e: $(STAMP) ## end-to-end tests through Traefik
	$(OPS) test-e2e $(ARGS)
test-bench: $(STAMP) ## the benchmark's tests: its unit tests and a short run on its own stack (needs wrk; ~3 min)
	$(OPS) test-bench $(ARGS)
test-faults: $(STAMP) ## kill -9 of each service, Redis and PostgreSQL stopped, under re-sent alerts; a verdict each (~3 min)
	$(OPS) test-faults $(ARGS)
test-fuzz: $(STAMP) ## the fuzz tests with FUZZ_EXAMPLES (default 200) cases per operation (~6 min)
	$(OPS) test-fuzz $(ARGS)
render-compose: $(STAMP) ## regenerate config/traefik/compose/ from the Traefik templates
	$(OPS) render-compose $(ARGS)
bench: $(STAMP) ## benchmark ingestion through Traefik (needs wrk: apt-get install -y wrk); JSON in var/bench/
	$(OPS) bench $(ARGS)
bench-median: $(STAMP) ## the benchmark three times, with the targets' verdicts on the median of the runs (~6 min)
	$(OPS) bench-median $(ARGS)
bench-memory: $(STAMP) ## the benchmark, then two rounds of 100,000 alerts with RSS after each (~4 min)
	$(OPS) bench-memory $(ARGS)
bench-live: $(STAMP) ## the console's live feed: 200 browsers on one web UI, 100 incident changes/s (~1 min)
	$(OPS) bench-live $(ARGS)
