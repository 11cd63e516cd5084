# Two commands matter: `make run` serves the installation, `make test` tests it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
PORT ?= 8000
POSTGRES_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export PATH := $(BIN):$(PATH)

.PHONY: help install run lan test test-sqlite test-postgres lint bench bench-quick bench-scaleout bench-wall chaos ci clean

help:
	@echo "make run    serve the installation on port $(PORT) (SQLite, in-memory layer)"
	@echo "make lan    the same: serve the local network, print the address for phones"
	@echo "make test   run the whole test suite (SQLite, then PostgreSQL)"
	@echo "make bench  run the crowd benchmark (make bench-quick: under a minute)"
	@echo "make chaos  run the fault scenarios' long forms, print the table for the README"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The laptop deploy: debug off, plain http on the local network, migrations, static
# files and a curator first; prints the address phones join at (see installation/serve.py).
run: lan

lan: install
	$(BIN)/python -m installation.serve --lan --port $(PORT)

test: install lint test-sqlite test-postgres

test-sqlite: install
	$(BIN)/python -m pytest

# The database-facing tests again, on the machine's PostgreSQL server.
test-postgres: install
	DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/python -m pytest -m database

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench.crowd

bench-quick: install
	$(BIN)/python -m bench.crowd --quick

bench-scaleout: install
	$(BIN)/python -m bench.crowd --scale-out

# The wall page's own ceiling: points a second at 55 fps, 1920x1080, headless Chromium.
bench-wall: install
	$(BIN)/python -m bench.wall_ceiling

# The fault suite's scenarios (tests/faults/) in long forms, on PostgreSQL and Redis.
chaos: install
	$(BIN)/python -m tests.faults.chaos

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
