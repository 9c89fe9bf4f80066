# The two commands a newcomer needs are `make run` and `make test`; both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Two workers (the machines have 2 cores). The browser tests run after, in one process of their own:
# Playwright's event loop and the Pulumi mocks' cannot share a process.
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: setup run test lint format bench build-lambda sample clean

$(STAMP): requirements.txt requirements-dev.txt requirements-lambda.txt
	@test -x $(BIN)/python || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed: make PYTHON=python3.12 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

setup: $(STAMP)

run: setup ## Run the whole stack locally on http://127.0.0.1:8000
	$(BIN)/python -m devserver $(ARGS)

test: setup ## Lint and type-check, then the whole test suite (the browser tests in a process of their own)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS) --ignore=tests/browser
	$(BIN)/python -m pytest tests/browser

lint: setup ## ruff (lint and format) and mypy over every production package
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup ## Speed and memory of the engine and the listings, against baselines in the same run
	$(BIN)/python -m bench

build-lambda: setup ## The Lambda archive's pinned deps (build/deps, boto3 included) before `pulumi up`; STACK=dev reads its target
	$(BIN)/python scripts/build_lambda.py $(if $(STACK),--stack $(STACK)) $(ARGS)

sample: setup ## Regenerate the bundled sample recording (needs only the pip-installed ffmpeg)
	$(BIN)/python scripts/make_sample_recording.py

clean:
	rm -rf build .pytest_cache .ruff_cache .hypothesis
