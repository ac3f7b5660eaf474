# newswire developer loop. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
NEWSWIRE := $(BIN)/newswire
IDLE ?= 20

.DEFAULT_GOAL := help
.PHONY: help install lock stack-up stack-down run test test-unit lint format bench chaos

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

install: ## Install system pieces if missing (Java 21+, Maven) and .venv with newswire (constraints.txt)
	@scripts/install.sh

# Keeps the pins already in constraints.txt; `make lock ARGS=--upgrade` (or
# `ARGS="--upgrade-package NAME"`) moves them. Then `make install` and `make test`.
# Not after `install`: a new requirement that conflicts with a pin must be lockable.
lock: ## Re-pin constraints.txt from pyproject.toml (every transitive dependency)
	@test -x $(BIN)/pip-compile || $(BIN)/pip install -q -c constraints.txt pip-tools
	$(BIN)/pip-compile --all-extras --strip-extras --allow-unsafe --no-emit-find-links --quiet \
		--output-file constraints.txt $(ARGS) pyproject.toml

stack-up: install ## Start the local Kafka + Elasticsearch (no Docker; idempotent)
	@$(NEWSWIRE) stack up

stack-down: ## Stop the local stack
	@$(NEWSWIRE) stack down

run: stack-up ## The main job: stack up, pipeline on the default sources, then a search
	$(NEWSWIRE) run --exit-when-idle $(IDLE)
	$(NEWSWIRE) search --size 10
	$(NEWSWIRE) search "Afghanistan Iran" --size 5

test: stack-up ## All tests: unit, contract and integration on the real local stack
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

test-unit: install ## Unit and connector contract tests: no running services needed
	@$(BIN)/python -m pytest tests/unit tests/contract

lint: install ## ruff, ruff format --check, mypy, import contracts, dependency audit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/deptry .
	$(BIN)/python scripts/check_deploy.py  # hadolint; deploy/k8s rendered and schema-checked

format: install ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: stack-up ## Benchmarks (ratios against baselines measured in the same run)
	@ls bench/*.py >/dev/null 2>&1 || { echo "no benchmarks yet"; exit 0; }; \
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

chaos: install ## Chaos suite on its own stack (ports +1000): faults, then 0 lost / 0 duplicated (ARGS=--quick)
	$(BIN)/python -m tests.chaos $(ARGS)
