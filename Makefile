# The two commands of the README: `make run` and `make test`. Each builds or updates .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The locked dependencies (exact versions and hashes): runtime alone, and runtime plus the
# development tools. `make lock` refreshes both from pyproject.toml.
RUNTIME_LOCK := requirements/runtime.txt
DEV_LOCK := requirements/dev.txt
# Re-install only when the dependencies change.
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help run run-empty test bench lint typecheck pytest venv translations system-packages lock clean

help:
	@echo "make run    start Linli (web, worker, scheduler, Redis) on http://127.0.0.1:$${PORT:-8000}"
	@echo "make run-empty  the same, without the demo: an empty database for a real community"
	@echo "make test   lint, type-check and run every test"
	@echo "make bench  measure broadcast send rates, a 100,000-recipient fan-out, visit pages at district scale, reply latency, pages under 16 clients and the street's pages at district scale; writes docs/performance.md"
	@echo "make lock   refresh the locked dependencies (requirements/) to the newest pyproject.toml allows"

# Everything comes from the lock, checked against its hashes (pip and setuptools too); Linli
# itself is then installed editable, without its dependencies and with the locked setuptools.
$(STAMP): pyproject.toml $(RUNTIME_LOCK) $(DEV_LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Linli needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1)." >&2; exit 1; }
	@PYTHON=$(PYTHON) .ci/system-packages venv
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

venv: $(STAMP)

# Compiled catalogs (.mo) are build products, not kept in git.
translations: $(STAMP)
	@if [ -d pwa/translations ] && find pwa/translations -name '*.po' | grep -q .; then \
		$(BIN)/pybabel -q compile -d pwa/translations; \
	fi

run: translations
	$(BIN)/python -m pwa.launcher

# No demo community: README "Starting a real community". (`LINLI_DEMO=0 make run` is the same.)
run-empty: translations
	LINLI_DEMO=0 $(BIN)/python -m pwa.launcher

system-packages:
	@PYTHON=$(PYTHON) .ci/system-packages venv redis chromium

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Two pytest processes (pytest-xdist): much of the suite waits on workers, servers and the
# browser, and each process has its own Redis and database. PYTEST_WORKERS=0 runs one.
PYTEST_WORKERS ?= 2
pytest: translations
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

test: system-packages lint typecheck pytest

# Real processes (Redis, the Procfile's worker and cron, a fake Twilio): a few minutes.
bench: $(STAMP)
	$(BIN)/python -m bench.broadcast --write docs/performance.md
	$(BIN)/python -m bench.visits --write docs/performance.md
	$(BIN)/python -m bench.fanout --write docs/performance.md
	$(BIN)/python -m bench.replies --write docs/performance.md
	$(BIN)/python -m bench.pages --write docs/performance.md
	$(BIN)/python -m bench.district --write docs/performance.md

# pip-compile resolves on this interpreter and platform: the lock is for CPython 3.11 on Linux
# x86_64 (glibc). Each pin carries the hashes of every file the indexes serve for that version.
# `make lock LOCK_UPGRADE=` re-resolves for a pyproject.toml change and keeps the other pins.
LOCK_UPGRADE ?= --upgrade
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet $(LOCK_UPGRADE) \
	--generate-hashes --allow-unsafe --strip-extras --all-build-deps \
	--no-emit-index-url --no-emit-find-links
lock: $(STAMP)
	$(PIP_COMPILE) -o $(RUNTIME_LOCK) pyproject.toml
	$(PIP_COMPILE) --extra dev -c $(RUNTIME_LOCK) -o $(DEV_LOCK) pyproject.toml
	@for lock in $(RUNTIME_LOCK) $(DEV_LOCK); do \
		{ echo '# Locked for CPython 3.11 on Linux x86_64 (glibc, manylinux wheels): environment'; \
		  echo '# markers were evaluated there. Each pin has the hashes of every file the package'; \
		  echo '# indexes serve for its version. Refresh with `make lock`; do not edit by hand.'; \
		  cat $$lock; } > $$lock.new && mv $$lock.new $$lock; \
	done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .import_linter_cache linli.egg-info
