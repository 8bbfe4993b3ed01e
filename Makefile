# Two commands do all the set-up on a fresh machine:
#   make run    the main job (install, then tokenize the shipped examples and prove their round trip)
#   make test   the test suite (install, lint, pytest)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

.PHONY: install run test bench
install: $(STAMP)

run: $(STAMP)
	$(BIN)/symtok demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/tokenizer.py
