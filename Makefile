# Homeward: `make run` (demo on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint lock bench bench-quick screenshots clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("Homeward needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## run: migrate, generate and load the synthetic system, serve it live on http://127.0.0.1:8050
run: $(STAMP)
	$(BIN)/homeward demo

## test: install and run every test (SQLite always; PostgreSQL when TEST_DATABASE_URL is set)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## lint: the layer contracts (import-linter), ruff, mypy
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app ingest models dashboards sample_data

## lock: re-pin constraints.txt from a fresh venv after a change to pyproject.toml
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '1,3p' constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .venv-lock

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf var homeward.db homeward.db-* .pytest_cache
