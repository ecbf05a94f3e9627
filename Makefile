# govreport: `make run` sets everything up and extracts the bundled example reports; `make test` runs the tests.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
# The trained tagger when its checkpoint is bundled, else the rules baseline.
TAGGER ?= $(if $(wildcard models/tagger/config.json),model,rules)

.PHONY: setup run test test-fast lint bench labelstudio fonts chromium synth-test model onnx clean

# Installs stay quiet (errors still show): no registry or setuptools notices in `make run`'s output.
PIP := PYTHONWARNINGS=ignore $(BIN)/pip install -qq

$(BIN)/govreport: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) --upgrade pip
	# torch first, pinned to the local CPU build, so no other requirement can pull a CUDA build
	$(PIP) torch==2.13.0
	# everything: the base install (extraction, ONNX Runtime tagger) and every extra (pyproject.toml)
	$(PIP) -e ".[all,dev]"
	touch $@

setup: $(BIN)/govreport

run: setup
	$(BIN)/govreport extract examples --out out/examples --tagger $(TAGGER)

labelstudio: setup
	@if [ -f annotations/install_labelstudio.sh ]; then bash annotations/install_labelstudio.sh; fi

# A CJK font for drawing synthetic report pages (the OCR family of the synthetic corpus); root only, optional.
fonts:
	@if ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei) >/dev/null 2>&1 \
	    || echo "fonts-wqy-microhei not installed: the synthetic OCR family is skipped"; fi; fi

# Debian's chromium for the review page's browser test (Playwright drives it: no browser is downloaded); root only.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 \
	    || echo "chromium could not be installed: the browser test is skipped"; \
	  else echo "chromium is missing and installing it needs root: the browser test is skipped"; fi; fi

test: setup labelstudio fonts chromium
	$(BIN)/pytest -q -p no:cacheprovider

test-fast: setup
	$(BIN)/pytest -q -m "not slow and not labelstudio"

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python benchmarks/postprocess_speed.py

# Held-out synthetic test set (600 docs + 8 OCR docs, seed 20261121) and the rules-baseline yardstick table.
synth-test: setup
	rm -rf data/synth_test
	$(BIN)/python benchmarks/synth_yardstick.py --n 600 --ocr-n 8 --seed 20261121 --tagger rules --out data/synth_test

# Reproduce the shipped tagger (models/tagger) from synthetic data in five stages (fresh reports each, falling
# learning rate), then export it for ONNX Runtime; see models/tagger/README.md for the measured time of each stage.
model: setup
	$(BIN)/govreport train --config configs/train.yaml
	$(BIN)/govreport train --config configs/train_stage2.yaml --init-from models/tagger
	$(BIN)/govreport train --config configs/train_stage3.yaml --init-from models/tagger
	$(BIN)/govreport train --config configs/train_stage4.yaml --init-from models/tagger
	$(BIN)/govreport train --config configs/train_stage5.yaml --init-from models/tagger
	$(MAKE) onnx

# models/tagger/model.onnx (int8) from the trained weights: rerun after every retrain (training removes a stale one).
onnx: setup
	$(BIN)/govreport export-onnx --model-dir models/tagger

clean:
	rm -rf out build *.egg-info
