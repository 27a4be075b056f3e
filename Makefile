# Every target sets up what it needs: a fresh machine runs `make test` or `make demo` directly.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CELERY_STAMP := $(VENV)/.installed-celery

.PHONY: install build-deps system-deps test test-e2e lint demo bench clean test-matrix test-wheel test-distributed constraints

# Debian packages pip needs to build the venv (a C compiler, Python's headers, MariaDB's client headers and
# pkg-config for mysqlclient of the mysql extra): all that make install and make demo need.
build-deps:
	@PYTHON=$(PYTHON) bash scripts/system-deps.sh build

# build-deps plus the servers and browser the test suites run for real (Redis, PostgreSQL 15, MariaDB, Chromium).
system-deps:
	@PYTHON=$(PYTHON) bash scripts/system-deps.sh all

# build-deps first (order only). The snowflake extra resolves snowflake-sqlalchemy (2.1.0); the one override,
# snowflake-connector-python 4.x instead of the 5.x that snowflake-sqlalchemy 2.1 declares, is for fakesnow
# 0.12.1 (the test extra), which imports modules connector 5 removed. Users of the extra get connector 5.x:
# make test-wheel installs exactly that (no override) and syncs with it through a fakesnow server
# (docs/warehouse.md#snowflake).
$(STAMP): pyproject.toml | build-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q -p $(BIN)/python --override <(echo 'snowflake-connector-python>=4.8,<5') \
		-e '.[test,redis,postgres,openlineage,duckdb,mysql,snowflake]'
	touch $@

install: $(STAMP)

# ruff (lint and the one formatter) and mypy (the package; api/ with strict flags): see pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

# Every suite but those that start Airflow processes (about 25 minutes). Those (airflow dags test,
# a scheduler and triggerer, the API server and a browser) are make test-e2e, which .ci/run runs right after.
E2E := tests/e2e tests/compat tests/deployment
test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest --durations=40 $(addprefix --ignore=,$(E2E))

# Real Airflow processes against the sandbox: the example DAGs end to end, make demo, the README quickstart,
# the connection form in headless Chromium, provider discovery, a scheduler + triggerer deployment.
test-e2e: $(STAMP) system-deps
	$(BIN)/python -m pytest --durations=20 $(E2E)

# The other declared Airflow minors (make test runs the newest, 3.3), each in its own virtualenv under
# .cache/matrix/<minor>, installed from constraints/airflow-<minor>.txt and reused while that file is
# unchanged: provider discovery, an import of every module, the connection form and one DAG per family.
MATRIX ?= 3.1 3.2
test-matrix: $(STAMP)
	$(BIN)/python scripts/test_matrix.py run $(MATRIX)

# python -m build, the wheel (no test extra) in a clean venv, then snovio-sandbox and the reporting DAG; then
# the wheel with the snowflake extra by plain resolution (connector 5.x, printed) in a second venv, syncing
# campaign_replies through SnovioToSqlOperator into a fakesnow server on 127.0.0.1 (run from this venv).
test-wheel: $(STAMP)
	$(BIN)/python scripts/test_matrix.py wheel

# The celery extra's requirements (the Celery provider; the project itself stays installed as it is).
$(CELERY_STAMP): pyproject.toml $(STAMP)
	$(BIN)/uv pip install -q -p $(BIN)/python -r pyproject.toml --extra celery
	touch $@

# A CeleryExecutor deployment (tests/distributed, ~4 min): Redis as broker and rate-limit backend, two
# workers with homes of their own, one triggerer; the account's limit and token are shared through Redis.
test-distributed: $(CELERY_STAMP) system-deps
	$(BIN)/python -m pytest -m distributed tests/distributed

# Regenerate constraints/airflow-<minor>.txt from PyPI (see scripts/test_matrix.py for how).
constraints: $(STAMP)
	$(BIN)/python scripts/test_matrix.py compile

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# Measured targets of the design (bench/, outside pytest's testpaths): prints a table and writes
# bench-results.json; a missed target is reported, not failed.
bench: $(STAMP) system-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info .cache
