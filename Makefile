# Two entry points: `make run` (the embedded demo) and `make test` (everything CI checks).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

run: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/receptionist serve

# The example plugin is installed like a vendor's would be, so the tests prove that
# entry-point discovery and the conformance kit work end to end.
test: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]' -e examples/inmemory_pms
	$(BIN)/python bench/o200k.py "fetch the tokenizer now, so the tests need no network" >/dev/null
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python bench/diary_availability.py
