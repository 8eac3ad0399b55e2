# `make run` starts CreditGate on the embedded default; `make test` runs every test.
# Both create or update the virtualenv (and the npm tools the tests use) when the requirements change.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 7071
# Idle OpenMP threads sleep instead of spinning: model fitting shares the cores with the HTTP
# host (and, in tests, with other processes), where spinning threads slow everything many times over.
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: run test migrate demo bench clean console

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --editable '.[parquet]'  # the creditgate client
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The console (console/, DESIGN §10): built into shared/console_dist/, which the function app serves.
CONSOLE_SOURCES := $(shell find console -path console/node_modules -prune -o -type f -print)

console/node_modules/.installed: console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $@

shared/console_dist/index.html: $(CONSOLE_SOURCES) console/node_modules/.installed
	cd console && npm run --silent build

console: shared/console_dist/index.html

migrate: $(VENV)/.installed
	$(PY) -m shared.db.migrate

run: migrate console
	$(PY) -m shared.devhost --host $(HOST) --port $(PORT)

test: $(VENV)/.installed node_modules/.installed console
	$(PY) -m pytest

demo: $(VENV)/.installed
	$(PY) -m shared.demo

bench: $(VENV)/.installed
	$(PY) bench/ingest.py
	$(PY) bench/train.py
	$(PY) bench/predict.py
	$(PY) bench/cold_start.py
	$(PY) bench/load.py
	$(PY) bench/monitoring.py

clean:
	rm -rf $(VENV) node_modules console/node_modules shared/console_dist .data .pytest_cache
