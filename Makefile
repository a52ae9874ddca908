# The two commands: `make run` (the product, embedded) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# The Hightouch Python SDK pins requests, urllib3 and typing-extensions far below ours: the test that
# drives syncapp with it runs it in an environment of its own, as an orchestrator would.
SDK_VENV := var/hightouch-sdk
SDK_INSTALLED := $(SDK_VENV)/.installed

$(SDK_INSTALLED): tests/hightouch_sdk/requirements.txt
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install --quiet -r tests/hightouch_sdk/requirements.txt
	touch $(SDK_INSTALLED)

run: export PATH := $(BIN):$(PATH)
run: export SYNCAPP_HTTPS ?= false
run: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo
	@echo "syncapp is starting at http://127.0.0.1:8000/ (stop with Ctrl-C)"
	$(BIN)/honcho start -f Procfile

test: export PATH := $(BIN):$(PATH)
test: install $(SDK_INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
