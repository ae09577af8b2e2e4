# The two commands of the README: `make up` runs loglens, `make test` runs every test.
# Both install what they need into this checkout on first use (.venv, node_modules).

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The first Python 3.11+ found on PATH.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: up test lint typecheck pytest bench clean

up: $(STAMP)
	$(BIN)/loglens up $(ARGS)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check collector agent bots tests bench exporters/python
	$(BIN)/ruff format --check collector agent bots tests bench exporters/python

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

$(STAMP): pyproject.toml exporters/python/pyproject.toml
	@test -n "$(PYTHON)" || { echo "loglens needs Python 3.11 or newer on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e 'exporters/python[grpc]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
