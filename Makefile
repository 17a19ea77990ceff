# CareCase: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: run install test test-calendar test-real-clock lint imports typecheck migrations-check compose-check deploy-check check messages compilemessages clean bench bench-web bench-load bench-deps vendor

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Run the app with no services: SQLite, a filesystem Celery broker, demo data, worker + beat.
run: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo
	DEBUG=1 BIN=$(BIN) ./scripts/run-dev

## The test suite (SQLite by default; PostgreSQL when DATABASE_URL is set), with "now" frozen at
## the suite's instant (tests/clock.py) and the tests in random order (pytest-randomly).
test: $(STAMP)
	$(BIN)/pytest

## The date-sensitive tests with "today" moved to year and quarter ends, a leap day and the
## real date (scripts/test-calendar; CALENDAR_DATES="..." for a chosen few).
test-calendar: $(STAMP)
	PYTEST=$(BIN)/pytest ./scripts/test-calendar

## The whole suite with the machine's real, running clock: no test may depend on the day.
test-real-clock: $(STAMP)
	CARECASE_TEST_NOW=real $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## The import contracts of ARCHITECTURE.md (import-linter, configured in pyproject.toml; it
## reads function-level imports too), and the budget of function-level imports (96 before the
## layers of issue 13; most left are in Celery tasks, context processors and the middleware).
imports: $(STAMP)
	$(BIN)/lint-imports
	$(PY) scripts/local-imports --max 28

typecheck: $(STAMP)
	$(BIN)/mypy core carecase org children training visits notifications reports stats exports supervision casefile duplicates fieldapp matching providers caseplans activities transfers demo

migrations-check: $(STAMP)
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

## Django's deployment checks on the production settings (DEBUG off, HTTPS), failing on any
## warning; keys made up for the run (a real deployment brings its own, see .env.example).
deploy-check: $(STAMP)
	DEBUG=0 ALLOWED_HOSTS=carecase.example.cn \
	  SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(50))") \
	  IDENTIFIER_KEYS=$$($(PY) -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") \
	  IDENTIFIER_HASH_KEY=$$($(PY) -c "import secrets; print(secrets.token_hex(32))") \
	  $(PY) manage.py check --deploy --fail-level WARNING

## Every quality gate: lint, types, migrations, tests.
check: lint imports typecheck migrations-check compose-check deploy-check test test-calendar

## docker-compose.yml is valid (Debian's docker-compose validates it; no engine needed), with
## .env.example as its .env.
compose-check:
	@tmp=$$(mktemp -d) && cp docker-compose.yml $$tmp/ && cp .env.example $$tmp/.env \
	  && docker-compose -f $$tmp/docker-compose.yml config -q && rm -rf $$tmp \
	  && echo "docker-compose.yml: valid"

## Refresh the Chinese catalogue after changing user-facing strings (needs gettext).
messages: $(STAMP)
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=tests --no-obsolete
compilemessages: $(STAMP)
	DEBUG=1 $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

## Refresh static/vendor (Workbox, idb, Bootstrap, htmx, ECharts) from the npm registry at the
## versions pinned in scripts/vendor/package-lock.json (npm ci into var/npm); see
## static/vendor/VERSIONS.md.
vendor:
	./scripts/vendor-js

clean:
	rm -rf var test-artifacts .pytest_cache .mypy_cache .ruff_cache

## Every bench at 100,000, 300,000 and 1,000,000 children (BENCH_SIZES), each size in its own
## database (BENCH_DATABASE_URL for the largest, <name>_<size> for the others; SQLite in
## var/bench at 10,000 / 30,000 / 100,000 without it), then one table of the headline figures
## at each size with their growth (bench/growth.py). BENCH_ONLY=sweep,stats runs some only.
bench: $(STAMP) bench-deps
	$(PY) bench/growth.py
	$(PY) bench/bench_load.py

## The `bench` extra of pyproject.toml (Locust), into the venv.
bench-deps: $(STAMP)
	$(BIN)/pip install --quiet $$($(PY) -c "import tomllib; print(' '.join(repr(d) for d in tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['bench']))")

## A district's working day under load (bench/bench_load.py): a private PostgreSQL cluster and
## redis-server, the population (BENCH_LOAD_CHILDREN, 1,000,000), gunicorn in the production
## configuration, Celery workers and beat, Locust headless for BENCH_LOAD_MINUTES (10) with
## 335 users; requests/s and p50/p95/p99 per page, then the checks (no visit lost or doubled,
## due dates as the rule computes them, backlog drained). BENCH_LOAD_FAULTS=1: PostgreSQL
## restarted and Redis stopped for 20 s during the run. Non-zero exit on a missed target.
bench-load: $(STAMP) bench-deps
	$(PY) bench/bench_load.py

## A director's pages on a weak network (400 kbps, 400 ms round trip) in the production
## configuration: the demo in var/bench/web, collectstatic, gunicorn with DEBUG=0, Debian's
## chromium; bytes cold and warm and the time to a usable page, median of BENCH_WEB_RUNS (3).
bench-web: $(STAMP)
	$(PY) bench/bench_web.py
