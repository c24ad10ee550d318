# The two commands of the README: `make run` and `make test`. Each builds or updates .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when the dependencies change.
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help run test bench lint typecheck pytest venv translations system-packages clean

help:
	@echo "make run    start Linli (web, worker, scheduler, Redis) on http://127.0.0.1:$${PORT:-8000}"
	@echo "make test   lint, type-check and run every test"
	@echo "make bench  measure broadcast send rates, visit pages at district scale and reply latency; writes docs/performance.md"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Linli needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1)." >&2; exit 1; }
	@PYTHON=$(PYTHON) .ci/system-packages venv
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(STAMP)

# Compiled catalogs (.mo) are build products, not kept in git.
translations: $(STAMP)
	@if [ -d pwa/translations ] && find pwa/translations -name '*.po' | grep -q .; then \
		$(BIN)/pybabel -q compile -d pwa/translations; \
	fi

run: translations
	$(BIN)/python -m pwa.launcher

system-packages:
	@PYTHON=$(PYTHON) .ci/system-packages venv redis chromium

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: translations
	$(BIN)/pytest

test: system-packages lint typecheck pytest

# Real processes (Redis, the Procfile's worker and cron, a fake Twilio): a few minutes.
bench: $(STAMP)
	$(BIN)/python -m bench.broadcast --write docs/performance.md
	$(BIN)/python -m bench.visits --write docs/performance.md
	$(BIN)/python -m bench.replies --write docs/performance.md

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache linli.egg-info
