# make run   - set up and start the development server on http://127.0.0.1:5000
# make test  - set up and run the whole test suite
# make test-fast - the tests that need no npm, browser or service (quick, on a fresh clone)
# make env   - write .env for production: fresh secrets, the provider and URL asked for, then what is missing
# make serve - run gunicorn with gunicorn.conf.py (settings from the environment or .env)
# make lint  - ruff check and format check
# make bench - benchmark /mcp against a bare-Flask floor, FastMCP and the MCP SDK (needs wrk)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OIDC_PROVIDER := tests/support/oidc_provider
# The MCP conformance suites, their Node 22 runtime and MCP Inspector's CLI (tests/mcp/).
NPM_TOOLS := tests/support/conformance/v0.1 tests/support/conformance/v0.2 tests/support/conformance/node22 \
	tests/support/inspector tests/support/axe
NPM_TOOL_INSTALLS := $(NPM_TOOLS:%=%/node_modules/.package-lock.json)

.PHONY: run test test-fast env serve lint format migrate bench
# What `make test-fast` leaves out: tests that need more than Python, and the fuzzers.
SLOW_MARKERS := not browser and not services and not node and not live and not fuzz

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

$(OIDC_PROVIDER)/node_modules/.package-lock.json: $(OIDC_PROVIDER)/package-lock.json
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error

$(NPM_TOOL_INSTALLS): %/node_modules/.package-lock.json: %/package-lock.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error

run: $(VENV)/.run-deps
	APP_ENV=development $(BIN)/flask --app wsgi db upgrade
	APP_ENV=development $(BIN)/flask --app wsgi run --debug --host 127.0.0.1 --port 5000

env: $(VENV)/.run-deps
	$(BIN)/python scripts/make_env.py $(ENV_ARGS)

migrate: $(VENV)/.run-deps
	$(BIN)/flask --app wsgi db upgrade

serve: $(VENV)/.run-deps
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

test: $(VENV)/.dev-deps $(OIDC_PROVIDER)/node_modules/.package-lock.json $(NPM_TOOL_INSTALLS)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.dev-deps
	$(BIN)/pytest -m "$(SLOW_MARKERS)" $(PYTEST_ARGS)

bench: $(VENV)/.dev-deps
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
