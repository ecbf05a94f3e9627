# govreport: `make run` sets everything up and extracts the bundled example reports; `make test` runs the tests.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
# The trained tagger when its checkpoint is bundled, else the rules baseline.
TAGGER ?= $(if $(wildcard models/tagger/config.json),model,rules)

.PHONY: setup run test test-fast lint bench labelstudio clean

$(BIN)/govreport: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned to the local CPU build, so no other requirement can pull a CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

setup: $(BIN)/govreport

run: setup
	$(BIN)/govreport extract examples --out out/examples --tagger $(TAGGER)

labelstudio: setup
	@if [ -f annotations/install_labelstudio.sh ]; then bash annotations/install_labelstudio.sh; fi

test: setup labelstudio
	$(BIN)/pytest -q -p no:cacheprovider

test-fast: setup
	$(BIN)/pytest -q -m "not slow and not labelstudio"

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python benchmarks/postprocess_speed.py

clean:
	rm -rf out build *.egg-info
