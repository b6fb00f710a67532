# `make demo` and `make test` each set up .venv/ by themselves on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit venv bench lock clean

$(STAMP): requirements.lock requirements/dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2>/dev/null \
	  || $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python seeds/demo.py

lint: $(STAMP)
	$(BIN)/ruff check guardrail tests seeds scripts $(wildcard bench)
	$(BIN)/ruff format --check guardrail tests seeds scripts $(wildcard bench)

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

# Compiled bytecode first, as the image has it (pip install compiles): with PYTHONDONTWRITEBYTECODE
# set, every module edited since its .pyc was written would be compiled again on every run.
bench: $(STAMP)
	$(BIN)/python -m compileall -q guardrail
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/api_requests.py
	$(BIN)/python bench/large_pr.py
	$(BIN)/python bench/uses_php.py
	$(BIN)/python bench/migrations_vs_squawk.py
	$(BIN)/python bench/squawk_throughput.py
	$(BIN)/python bench/image.py
	$(BIN)/python bench/trace.py

# Refresh the lock files (needs the package registry).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	cd requirements && ../$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o dev.lock ../pyproject.toml dev.in
	cd requirements && ../$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o trace.lock trace.in

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
