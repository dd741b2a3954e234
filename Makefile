# Wardmate: `make run` starts everything, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA_DIR := $(or $(WARDMATE_DATA_DIR),.wardmate)

.PHONY: lock run run-cluster chaos test fuzz lint bench-search bench-matching bench-messaging bench-uploads bench-receipts dead-letters rebuild-matching status start stop backup restore clean

# Installs exactly requirements-dev.lock (every package pinned, hash-checked), then the
# project itself without dependencies; a missing or stale lock stops here: make lock.
DEV_LOCK := requirements-dev.lock
$(STAMP): pyproject.toml $(wildcard $(DEV_LOCK))
	@$(PYTHON) deploy/lock.py check $(DEV_LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> installing the locked dependencies into $(VENV)"
	@$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	@$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# Pin and hash every dependency of pyproject.toml (requirements.lock: the image's;
# requirements-dev.lock: with the dev tools), keeping the current pins where they still
# fit; LOCK_ARGS=--upgrade for the newest versions. Run with Python 3.11 on Linux (the image's).
PIP_COMPILE = $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links $(LOCK_ARGS)
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet "pip-tools>=7.4"
	@$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	@$(PIP_COMPILE) --extra dev --output-file $(DEV_LOCK) pyproject.toml
	@$(PYTHON) deploy/lock.py stamp requirements.lock $(DEV_LOCK)
	@echo "==> requirements.lock and $(DEV_LOCK) written: commit them"

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

# On TEST_WORKERS processes (pytest-xdist; 0: this one alone), each with its own Postgres,
# NATS and system; tests/conftest.py says how the files are shared out.
TEST_WORKERS ?= 2
test: $(STAMP)
	@$(PY) -m pytest -q -rs -p no:cacheprovider --durations=25 \
		-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# The API fuzz test at length: many examples per operation, a random seed (printed in
# the report; replay it with WARDMATE_FUZZ_SEED=<seed>). FUZZ_EXAMPLES=N to change the depth.
FUZZ_EXAMPLES ?= 300
fuzz: $(STAMP)
	@WARDMATE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) WARDMATE_FUZZ_SEED=$${WARDMATE_FUZZ_SEED:-random} \
		$(PY) -m pytest -q -s -p no:cacheprovider --timeout 3600 tests/e2e/test_fuzz.py $(PYTEST_ARGS)

# The web client's own modules are parsed too when Node is installed (it is not required:
# the browser tests load every module and fail on a syntax error as well). As modules:
# `node --check file.js` passes a module whatever its syntax.
lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check --quiet .
	@$(VENV)/bin/mypy
	@if command -v node >/dev/null; then \
		for f in $$(git ls-files 'services/gateway/static/*.js' | grep -v /vendor/); do \
			node --check --input-type=module < "$$f" || { echo "$$f: not valid JavaScript"; exit 1; }; \
		done; \
	fi

# The listing search through the gateway against a one-process baseline; last line RESULT {json}.
# ARGS="--listings 1000000 --hosts 250000" for the million-listing run.
bench-search: $(STAMP)
	@$(PY) bench/search.py $(ARGS)

# Room matches through the gateway (cold and warm) and two match rounds; ARGS=--rooms-only.
bench-matching: $(STAMP)
	@$(PY) bench/matching.py $(ARGS)

# Photo uploads: a 12-MP JPEG to three stored variants, and the search's p99 during uploads
# against its p99 without them; last line RESULT {json}.
bench-uploads: $(STAMP)
	@$(PY) bench/uploads.py $(ARGS)

# Live message delivery at 200 msg/s, then a rate sweep; last line RESULT {json}.
bench-messaging: $(STAMP)
	@$(PY) bench/messaging.py $(ARGS)

# A receipt's reads against a ledger of 100,000 paid bookings, with and without its indexes.
bench-receipts: $(STAMP)
	@$(PY) bench/receipts.py $(ARGS)

# Operators: the dead letters of one service of the running system (make run or
# make run-cluster), e.g. make dead-letters SERVICE=listings ARGS=list (or ARGS="replay --all")
# SERVICE is quoted: left out, it is an empty name (which the command names as missing),
# not ARGS's first word taken for a service ("'list' has no event consumers").
dead-letters: $(STAMP)
	@WARDMATE_DATA_DIR=$(DATA_DIR) $(PY) -m services.ops dead-letters "$(SERVICE)" $(ARGS)

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
