# Two set-up commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/demo

.PHONY: demo test check install install-test bench clean data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"

## make demo: create .venv, install, run the full tasking cycle on the embedded data set
demo: install
	$(BIN)/hotspot demo --out $(OUT)

## make test: install with test extras, check the architecture, lint, type-check, run the tests
test: install-test check
	$(BIN)/python -m pytest -q

## the static checks make test runs first: import layering, ruff, mypy
check: install-test
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: install-test
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

## regenerate the embedded data set (byte-identical to the committed files)
data: install
	$(BIN)/python -m hotspot.synth --out data

clean:
	rm -rf $(VENV) out .pytest_cache
