# Community Voice: every set-up step a fresh machine needs.
#   make run    install, migrate, load reference and demo data, serve on :5000
#   make test   install and run the whole test suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := FLASK_APP=wsgi $(BIN)/flask
CSS := app/static/build/app.css
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint typecheck check assets install db demo bench clean

# The virtualenv is rebuilt only when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# GOV.UK Frontend compiled with Arial and no GDS Transport font faces.
$(CSS): node_modules/.installed $(wildcard app/assets_src/*.scss)
	mkdir -p $(dir $@)
	npx sass --pkg-importer=node --style=compressed --no-source-map --quiet \
		app/assets_src/app.scss $@

assets: $(CSS)

db: install
	$(FLASK) db upgrade
	$(FLASK) reference load

demo: db
	$(FLASK) demo load

run: install assets demo
	@echo
	@echo "Community Voice is starting on http://$(HOST):$(PORT)"
	@echo "Sign in with one of the demo sign-ins above (press Ctrl+C to stop)."
	@echo
	$(FLASK) run --host $(HOST) --port $(PORT) --no-reload

# The suite, after the linters: code that ruff or mypy rejects does not pass.
test: install assets lint typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app analysis surveys bench tests config.py wsgi.py

typecheck: install
	$(BIN)/mypy

check: test

bench: install assets
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_code_on_save.py
	$(BIN)/python bench/bench_survey_load.py
	$(BIN)/python bench/bench_dashboard.py

clean:
	rm -rf $(VENV) node_modules app/static/build instance/test.db
