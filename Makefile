# RegionHub: `make run` sets up and starts the demo; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STATIC := build/static
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench assets setup migrate demo lint typecheck format clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(STATIC)/.built: node_modules/.installed assets/regionhub.scss
	mkdir -p $(STATIC)/css $(STATIC)/js $(STATIC)/govuk
	npx sass --pkg-importer=node --style=compressed --no-source-map assets/regionhub.scss $(STATIC)/css/regionhub.css
	# The footer's copyright crest belongs to GOV.UK: drop its image (and the file, below).
	sed -i 's#url("/static/govuk/assets/images/govuk-crest.svg")#none#g' $(STATIC)/css/regionhub.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(STATIC)/js/
	cp node_modules/htmx.org/dist/htmx.min.js $(STATIC)/js/
	rm -rf $(STATIC)/govuk/assets
	cp -r node_modules/govuk-frontend/dist/govuk/assets $(STATIC)/govuk/assets
	rm -f $(STATIC)/govuk/assets/images/govuk-* $(STATIC)/govuk/assets/images/favicon*
	rm -rf $(STATIC)/govuk/assets/fonts $(STATIC)/govuk/assets/rebrand
	touch $@

setup: $(VENV)/.installed $(STATIC)/.built

assets: $(STATIC)/.built

migrate: setup
	$(MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) load_demo

run: demo
	$(MANAGE) run_dev --host $(HOST) --port $(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# Pages first (it starts results.json afresh), then the write paths, which add their figures.
bench: setup
	$(PY) manage.py bench $(BENCH_ARGS)
	$(PY) manage.py bench_bookings
	$(PY) manage.py bench_mailing

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

# Every app's services and selectors are type-checked (and what they import).
typecheck: setup
	$(VENV)/bin/mypy regionhub/core/audit.py regionhub/core/permissions.py regionhub/core/pagecache.py regionhub/core/privacy.py \
		regionhub/mailing/sending.py regionhub/mailing/campaign_selectors.py regionhub/mailing/tasks.py \
		$(wildcard regionhub/*/services.py regionhub/*/services/*.py regionhub/*/selectors.py)

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf build var $(VENV) node_modules
