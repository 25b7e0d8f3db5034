# The README's quickstart is exactly `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint fmt typecheck system-packages setup migrate demo bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（找不到 $(PYTHON)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(BIN)/yimen migrate --noinput

# The demo runs in debug mode (YIMEN_DEBUG=1: local random keys in .yimen-dev-keys.json, no
# secure-cookie/TOTP requirement). Production never uses `make run`: see docs/operations.md.
# The demo network (outlets, windows, catalog, staff) in the local database; --if-empty keeps an
# existing one. `make run` does this and starts the server.
demo: migrate
	YIMEN_DEBUG=$${YIMEN_DEBUG:-1} $(BIN)/yimen demo --if-empty

run: migrate
	@echo "make run：演示模式（YIMEN_DEBUG=$${YIMEN_DEBUG:-1}，调试开启，仅供本机演示；生产部署见 docs/operations.md）"
	YIMEN_DEBUG=$${YIMEN_DEBUG:-1} $(BIN)/yimen demo --if-empty
	@# one worker beside the server (outbox with the `log` SMS backend, periodic chores);
	@# Ctrl-C reaches both, and the trap stops the worker whenever the server ends
	@# and the exchange SIMULATOR (模拟器: 好差评 / 12345 / 电子证照, docs/exchange.md) on port 8765,
	@# unless YIMEN_EXCHANGE_SIMULATOR=0 or real URLs are set
	@export YIMEN_DEBUG=$${YIMEN_DEBUG:-1} YIMEN_SMS_BACKEND=$${YIMEN_SMS_BACKEND:-log}; \
	SIM=; if [ "$${YIMEN_EXCHANGE_SIMULATOR:-1}" = 1 ] && [ -z "$$YIMEN_EXCHANGE_HCP_URL" ]; then \
	  $(BIN)/python -m yimen.exchange.simulator --port 8765 & SIM=$$!; \
	  export YIMEN_EXCHANGE_HCP_URL=http://127.0.0.1:8765/hcp YIMEN_EXCHANGE_HCP_SECRET=sim-hcp-secret \
	    YIMEN_EXCHANGE_12345_URL=http://127.0.0.1:8765/12345 YIMEN_EXCHANGE_12345_SECRET=sim-12345-secret \
	    YIMEN_EXCHANGE_LICENCE_URL=http://127.0.0.1:8765/licence YIMEN_EXCHANGE_LICENCE_SECRET=sim-licence \
	    YIMEN_EXCHANGE_SIMULATOR_ON=1; fi; \
	$(BIN)/yimen worker & WORKER=$$!; \
	trap 'kill -TERM $$WORKER $$SIM 2>/dev/null; wait $$WORKER' INT TERM EXIT; \
	$(BIN)/yimen serve --port 8000

# Chromium, CJK fonts, Pango and poppler for the browser and PDF tests: installed when missing
# (as root), otherwise the exact install line is printed and the run stops.
system-packages:
	@scripts/ensure-system-packages

test: setup system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# For developers, the quick loop: no browser, no slow tests, no system packages needed.
test-fast: setup
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

# Lint and format check (ruff, configured in pyproject.toml); `make fmt` rewrites.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# mypy with django-stubs: strict on the modules listed in pyproject ([tool.mypy] files).
typecheck: setup
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/queue_load.py
	$(BIN)/python bench/triage.py

clean:
	rm -rf $(VENV) yimen.sqlite3* .yimen-dev-keys.json
