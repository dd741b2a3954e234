# Wardmate: `make run` starts everything, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA_DIR := $(or $(WARDMATE_DATA_DIR),.wardmate)

.PHONY: run run-cluster chaos test fuzz lint bench-search bench-matching bench-messaging dead-letters rebuild-matching status start stop backup restore clean

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

bench-messaging: $(STAMP)
	@$(PY) bench/messaging.py

# Operators: the dead letters of one service of the running system (make run or
# make run-cluster), e.g. make dead-letters SERVICE=listings ARGS=list (or ARGS="replay --all")
dead-letters: $(STAMP)
	@WARDMATE_DATA_DIR=$(DATA_DIR) $(PY) -m services.ops dead-letters $(SERVICE) $(ARGS)

# Operators: replay the event stream into fresh matching projections (the system running).
rebuild-matching: $(STAMP)
	@WARDMATE_DATA_DIR=$(DATA_DIR) $(PY) -m services.ops rebuild-matching

# Operators: what runs, where, and whether it is ready (exit 0 when ready).
status: $(STAMP)
	@WARDMATE_DATA_DIR=$(DATA_DIR) $(PY) -m services.ops status

# Operators: make run in the background (output in $(DATA_DIR)/run.out); make stop ends it.
start: $(STAMP)
	@mkdir -p $(DATA_DIR)
	@WARDMATE_DATA_DIR=$(DATA_DIR) setsid $(PY) -m services --background $(RUN_ARGS) > $(DATA_DIR)/run.out 2>&1 < /dev/null & \
		WARDMATE_DATA_DIR=$(DATA_DIR) $(PY) -m services.ops wait $$! $(DATA_DIR)/run.out

stop: $(STAMP)
	@WARDMATE_DATA_DIR=$(DATA_DIR) $(PY) -m services.ops stop

# Operators: back up every service's schema and the stream's position of the running system
# (into $(DATA_DIR)/backups/<UTC time>, or BACKUP=<new folder>); restore one with the system
# stopped. ARGS="--admin-url URL --nats-url URL" for a deployment of your own (compose).
backup: $(STAMP)
	@WARDMATE_DATA_DIR=$(DATA_DIR) $(PY) -m services.backup create $(BACKUP) $(ARGS)

restore: $(STAMP)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=<folder made by make backup>"; exit 2; }
	@WARDMATE_DATA_DIR=$(DATA_DIR) $(PY) -m services.backup restore $(BACKUP) $(ARGS)

# Everything make run keeps, except the backups ($(DATA_DIR)/backups).
clean:
	@if [ -d .wardmate ]; then find .wardmate -mindepth 1 -maxdepth 1 ! -name backups -exec rm -rf {} +; fi
	@if [ -d .wardmate/backups ]; then echo "kept .wardmate/backups (remove it yourself if you mean to)"; fi
