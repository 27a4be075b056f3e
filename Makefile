# Every target sets up what it needs: a fresh machine runs `make test` or `make demo` directly.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps test lint demo bench clean

# System packages the test suite runs for real (a Redis server for the shared rate-limit backend).
system-deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q -p $(BIN)/python -e '.[test,redis,postgres,openlineage]'
	touch $@

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# Measured targets of the design (bench/, outside pytest's testpaths): prints a table and writes
# bench-results.json; a missed target is reported, not failed.
bench: $(STAMP) system-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
