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

.PHONY: run test migrate demo bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

migrate: $(VENV)/.installed
	$(PY) -m shared.db.migrate

run: migrate
	$(PY) -m shared.devhost --host $(HOST) --port $(PORT)

test: $(VENV)/.installed node_modules/.installed
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
	rm -rf $(VENV) node_modules .data .pytest_cache
