# The two commands are `make run` and `make test`; the rest is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Development defaults; production sets DEBUG=false and a real SECRET_KEY (see README).
export DEBUG ?= true

.PHONY: run test bench bench-reliability bench-hotpaths serve

# The virtualenv, rebuilt whenever a requirements file changes.
$(VENV)/installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "fnweb needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(VENV)/installed
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest

# Speed figures as ratios against baselines measured in the same run (see bench/).
bench: $(VENV)/installed
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/bench_purge.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_admin.py
	$(BIN)/python bench/bench_hotpaths.py

# Production: gunicorn (fnweb/gunicorn.conf.py) with settings from the environment; see the
# README's "Production" section. DEBUG is off here whatever the environment says.
serve: export DEBUG = false
serve: $(VENV)/installed
	# A migration may rewrite a big table: no statement timeout for it.
	DATABASE_STATEMENT_TIMEOUT=0 $(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn --config fnweb/gunicorn.conf.py

# gunicorn on a throwaway PostgreSQL under resends, races, a purge and an outage (see its header).
bench-reliability: $(VENV)/installed
	$(BIN)/python bench/bench_reliability.py

# Ingest and single-call reads against the database client and a bare WSGI app (see its header).
bench-hotpaths: $(VENV)/installed
	$(BIN)/python bench/bench_hotpaths.py
