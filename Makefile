# Two set-up commands: `make run` and `make test`. Both create .venv and install when needed.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp
# Test workers (pytest-xdist): each test file runs whole on one; the tests marked serial run last, alone.
WORKERS ?= 2

.PHONY: install run test test-fast lint seed train demo web-vendor

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The project's bytecode, compiled ahead: where PYTHONDONTWRITEBYTECODE is set, every process would compile every
# module it imports again (about 0.6 s of a cold `yardmaster handle`). Hidden folders (.venv, .git) are left out.
install: $(STAMP)
	$(BIN)/python -m compileall -q -x '/\.' .

run: install
	$(BIN)/yardmaster seed --if-empty
	$(BIN)/yardmaster train --if-missing
	$(BIN)/yardmaster serve

test: install lint
	$(BIN)/python -m pytest -n $(WORKERS)

test-fast: install  # the quick local loop: every test that neither is slow nor needs the trained models
	$(BIN)/python -m pytest -n $(WORKERS) -m "not slow and not models"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/basedpyright --pythonpath $(BIN)/python

seed: install
	$(BIN)/yardmaster seed

web-vendor:  # refresh the console's vendored libraries from the npm registry (versions in web/package.json)
	web/vendor.sh
