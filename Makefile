# Pacte — two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
BIN     := $(VENV)/bin
PORT    ?= 8000
HOST    ?= 127.0.0.1
WORKERS ?= 2
QUICK   ?=
# Test processes for the SQLite and PostgreSQL suites (pytest-xdist): one per core.
JOBS    ?= auto

# A Python 3.12 or newer: on PATH first, then in pyenv's versions folder (its shims may refuse a
# version that is installed but not enabled).
PYTHON_CANDIDATES := python3.14 python3.13 python3.12 python3
PYTHON ?= $(shell for c in $(PYTHON_CANDIDATES); do \
	  p=$$(command -v $$c 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { echo $$p; exit 0; }; \
	done; \
	for p in $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { echo $$p; exit 0; }; \
	done)

.PHONY: help run check static test lint types migrations-check messages-check test-sqlite test-postgres test-browser bench messages install install-dev clean

help:
	@echo "make run    set up everything, load the demo company, serve http://$(HOST):$(PORT)"
	@echo "make check  the fast gate: static checks, then the SQLite tests (no browser)"
	@echo "make test   static checks, tests on SQLite and PostgreSQL, browser tests"
	@echo "make bench  benchmarks (QUICK=1 for reduced sizes)"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Pacte needs Python 3.12 or newer. None was found on PATH (python3.13, python3.12, python3)"; \
	  echo "nor in pyenv's versions folder. Install one (e.g. 'pyenv install 3.13') and run make again."; \
	  exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

locale/fr/LC_MESSAGES/django.mo: locale/fr/LC_MESSAGES/django.po
	$(BIN)/pacte compilemessages -v0

run: install locale/fr/LC_MESSAGES/django.mo
	$(BIN)/pacte migrate --no-input -v0
	$(BIN)/pacte collectstatic --no-input -v0
	$(BIN)/pacte demo
	@echo ""
	@echo "Pacte is serving http://$(HOST):$(PORT) with one background worker (Ctrl-C to stop)"
	@rm -rf "$${PACTE_METRICS_DIR:-$${PACTE_VAR_DIR:-var}/metrics}"
	@# The worker (and its scheduler) runs in a process group of its own, stopped when granian is.
	@setsid $(BIN)/pacte worker --with-scheduler & worker=$$!; \
	trap 'kill -TERM -- -$$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(BIN)/granian --interface wsgi --host $(HOST) --port $(PORT) --workers $(WORKERS) --blocking-threads 4 --backpressure 16 --log-level warning pacte.wsgi:application

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install-dev
	$(BIN)/mypy pacte bench tools

migrations-check: install-dev
	$(BIN)/pacte makemigrations --check --dry-run -v1

messages-check: install-dev locale/fr/LC_MESSAGES/django.mo
	$(BIN)/pytest -q -p no:randomly pacte/tests/test_translations.py

# Everything that fails in seconds, before any suite runs.
static: lint types migrations-check messages-check

check: static
	$(BIN)/pytest -m "not browser" -p no:randomly -n $(JOBS) -q
	@echo "make check passed."

# The whole suite on SQLite, the browser tests included (they run last on each worker).
test-sqlite: install-dev locale/fr/LC_MESSAGES/django.mo
	$(BIN)/pytest -p no:randomly -n $(JOBS) -q

# The tests that use a database, again on PostgreSQL (docs/development/testing.md).
test-postgres: install-dev locale/fr/LC_MESSAGES/django.mo
	$(BIN)/python tools/with_postgres.py -- $(BIN)/pytest -m "not browser and not sqlite_only and not no_database" -n $(JOBS) -q

# The browser tests alone (test-sqlite runs them too).
test-browser: install-dev locale/fr/LC_MESSAGES/django.mo
	$(BIN)/pytest -m browser

test: static test-sqlite test-postgres
	@echo "All checks passed."

bench: install-dev
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

messages: install-dev
	$(BIN)/pacte makemessages -l fr --no-location --no-obsolete -i ".venv/*" -i "var/*" -i "bench/*" -i "tools/*"
	$(BIN)/pacte compilemessages -v0

clean:
	rm -rf $(VENV) var
