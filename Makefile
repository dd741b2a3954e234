# Wardmate: `make run` starts everything, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA_DIR := $(or $(WARDMATE_DATA_DIR),.wardmate)

.PHONY: run run-cluster chaos test fuzz lint bench-search bench-matching bench-messaging bench-uploads dead-letters rebuild-matching backup restore clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> installing the project into $(VENV)"
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# RUN_ARGS=--postgres-per-service: an embedded Postgres for each service.
run: $(STAMP)
	@$(PY) -m services $(RUN_ARGS)

# Three NATS servers in a cluster (streams replicated 3 times) and two replicas of every
# service and of the gateway; data under $(DATA_DIR)/cluster.
run-cluster: $(STAMP)
	@$(PY) -m services --cluster $(RUN_ARGS)

# The fault run on that cluster (not part of make test; tests/e2e/test_cluster.py runs a
# short one): load on both gateways, kill -9 of a NATS node and of a replica of every
# service, restarts; last line RESULT {json}.
chaos: $(STAMP)
	@$(PY) bench/chaos.py $(ARGS)

test: $(STAMP)
	@$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The API fuzz test at length: many examples per operation, a random seed (printed in
# the report; replay it with WARDMATE_FUZZ_SEED=<seed>). FUZZ_EXAMPLES=N to change the depth.
FUZZ_EXAMPLES ?= 300
fuzz: $(STAMP)
	@WARDMATE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) WARDMATE_FUZZ_SEED=$${WARDMATE_FUZZ_SEED:-random} \
		$(PY) -m pytest -q -s -p no:cacheprovider --timeout 3600 tests/e2e/test_fuzz.py $(PYTEST_ARGS)

lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check --quiet .
	@$(VENV)/bin/mypy

bench-search: $(STAMP)
	@$(PY) bench/search.py

bench-matching: $(STAMP)
	@$(PY) bench/matching.py

# Photo uploads: a 12-MP JPEG to three stored variants, and the search's p99 during uploads
# against its p99 without them; last line RESULT {json}.
bench-uploads: $(STAMP)
	@$(PY) bench/uploads.py $(ARGS)

bench-messaging: $(STAMP)
	@$(PY) bench/messaging.py

# Operators: the dead letters of one service of the running `make run` system, e.g.
# make dead-letters SERVICE=listings ARGS=list   (or ARGS="replay --all")
dead-letters: $(STAMP)
	@test -f $(DATA_DIR)/env/$(SERVICE).env || { echo "start the system with make run first (SERVICE=accounts|listings|messaging|matching)"; exit 2; }
	@env $$(cat $(DATA_DIR)/env/$(SERVICE).env) $(PY) -m services.$(SERVICE) dead-letters $(ARGS)

# Operators: replay the event stream into fresh matching projections (make run running).
rebuild-matching: $(STAMP)
	@test -f $(DATA_DIR)/env/matching.env || { echo "start the system with make run first"; exit 2; }
	@env $$(cat $(DATA_DIR)/env/matching.env) $(PY) -m services.matching rebuild

# Operators: back up every service's schema of the running `make run` system (into
# $(DATA_DIR)/backups/<UTC time>, or BACKUP=<folder>); restore one with the system stopped.
backup: $(STAMP)
	@WARDMATE_DATA_DIR=$(DATA_DIR) $(PY) -m services.backup create $(BACKUP)

restore: $(STAMP)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=<folder made by make backup>"; exit 2; }
	@WARDMATE_DATA_DIR=$(DATA_DIR) $(PY) -m services.backup restore $(BACKUP)

clean:
	rm -rf .wardmate
