# The two commands: `make run` (a working portal with demo data) and `make test` (the suite,
# JUnit XML under build/test-results/). Everything else is a step they call.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# The virtual environment's interpreter: the system's python3 when it is 3.11 or later and can
# make one, else the first python3 on the PATH. Debian builds its python3 with profile-guided and
# link-time optimisation: WeasyPrint renders invoices about 15 % faster with it than with an
# unoptimised build such as pyenv's default (`make bench`). An existing .venv is kept.
PYTHON ?= $(shell /usr/bin/python3 -c 'import ensurepip, sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)
# Debian packages the portal needs to render PDFs fast (WeasyPrint subsets fonts with HarfBuzz;
# without it, fontTools: invoices about 9 x slower), installed by every target through `install`.
RUN_DEBS := libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
# And those the tests need: the browser, PDF to PNG, the translation tools, zbar (QR codes).
TEST_DEBS := $(RUN_DEBS) chromium poppler-utils gettext libzbar0

.PHONY: run test test-serial test-clocks install run-packages system-packages static lint format migrations-check bench lock messages

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP) run-packages

# A laptop: SQLite, eager tasks and runserver unless DATABASE_URL / CELERY_BROKER_URL say
# otherwise; with DATABASE_URL the web server is gunicorn (deploy/gunicorn.conf.py), as in
# production.
# The port is PORT's (`make run PORT=8001`), 8000 by default.
PORT ?= 8000
run: export DEBUG ?= true
run: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py grid_load
	@echo "Demo logins (login, password):"
	@$(BIN)/python manage.py load_demo
	@echo "Portal:  http://127.0.0.1:$(PORT)/      Back office: http://127.0.0.1:$(PORT)/admin/"
	@trap 'kill 0' EXIT; \
	if [ -n "$${CELERY_BROKER_URL:-}" ]; then \
	  $(BIN)/celery -A portal worker -Q celery,documents -l info --concurrency 2 & \
	  $(BIN)/celery -A portal beat -l info & \
	else echo "No CELERY_BROKER_URL: tasks run in the web process."; fi; \
	if [ -n "$${DATABASE_URL:-}" ]; then \
	  PORT=$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py; \
	else $(BIN)/python manage.py runserver 127.0.0.1:$(PORT); fi

# Installs the Debian packages that are missing (as root, or with sudo), once. Where neither
# works (no apt-get, no root, no sudo), it says what to install and goes on: the portal's start-up
# check (portal/checks.py) warns while HarfBuzz subsetting is missing.
define debs_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo -n"; \
	  if command -v apt-get >/dev/null && { [ -z "$$sudo" ] || $$sudo true 2>/dev/null; }; then \
	    $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	  else echo "Please install these Debian packages (as root):$$missing"; fi; \
	fi
endef

run-packages:
	$(call debs_install,$(RUN_DEBS))

system-packages:
	$(call debs_install,$(TEST_DEBS))

static: install
	DEBUG=false $(BIN)/python manage.py collectstatic --noinput -v0

# The suite in two halves at once, one per core, each with its own test database, Redis
# database and files, each writing its JUnit XML (tests/halves.py); `make test-serial` runs it in
# one process.
test: install system-packages static
	$(BIN)/python -m tests.halves

test-serial: install system-packages static
	mkdir -p build/test-results
	$(BIN)/pytest --junitxml=build/test-results/junit.xml

# The suite with its clock moved (`--clock`, tests/conftest.py `suite_clock`), Africa/Tunis: a
# month's last day (28 February 2027), 29 February 2028, a year's last half hour. Every clock
# runs, each with its JUnit XML; any failure fails the target.
TEST_CLOCKS := 2027-02-28T12:00 2028-02-29T12:00 2026-12-31T23:30

test-clocks: install system-packages static
	mkdir -p build/test-results
	@failed=""; for clock in $(TEST_CLOCKS); do \
	  echo "== clock $$clock (Africa/Tunis)"; \
	  $(BIN)/pytest --clock=$$clock --junitxml=build/test-results/junit-clock-$${clock%%T*}.xml \
	    || failed="$$failed $$clock"; \
	done; \
	if [ -n "$$failed" ]; then echo "Failed with the clock at:$$failed"; exit 1; fi

# Dead code: vulture over the apps and portal (pyproject.toml, [tool.vulture]); a service that
# only the tests call fails here (lint/dead_code.py says what is reported and why). Then the
# import contracts (pyproject.toml, [tool.importlinter]): no app imports one above it, lib no app.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m lint.dead_code
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

messages: install
	DEBUG=true $(BIN)/python manage.py makemessages -l fr -l ar -l en --no-obsolete \
	  --ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'bench/*' \
	  --ignore 'build/*' --ignore 'var/*' --ignore '*.egg-info/*'
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore '.venv/*'

# Figures are measured on PostgreSQL, as in production (a throw-away test database).
bench: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
bench: install static
	$(BIN)/python -m bench

# Refresh the committed lock after changing pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable --all | grep -vE '^(pip|setuptools|wheel)==' > requirements.lock
