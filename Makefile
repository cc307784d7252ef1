# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run    execute every notebook and export every figure (the main job): the example's
#               in notebooks/ and figures/, another project's under <project>/output/
#   make test   the import layers (lint-imports), unit tests, nbval over every notebook
# Both create the virtual environment (.venv) on first use, with the exact versions of
# requirements.lock (hash-checked), so every machine renders the same outputs.
# make lock   refresh requirements.lock (newest versions pyproject.toml allows) and write
#             environment.yml from it; then `make run`, look, and `make baselines`.

SHELL := /bin/bash
# matplotlib's font list names absolute paths into the venv that built it: one per checkout,
# so another clone's deleted venv can never leave charts without their math fonts
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lab export install lock clean browser bench bench-scale bench-bigfile bench-archive bench-estimates bench-review evaluate curve label baselines html

LOCK   := requirements.lock
# `make lock LOCK_FLAGS=` keeps the current pins and only adds what pyproject.toml newly needs
LOCK_FLAGS ?= --upgrade

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK) 2>&1 | \
	  { grep -v "^WARNING: Location .* is ignored" || true; }
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

lock: $(STAMP)
	cp $(LOCK) $(LOCK).new
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11.5 \
	  --generate-hashes $(LOCK_FLAGS) --custom-compile-command "make lock" --quiet \
	  -o $(LOCK).new
	mv $(LOCK).new $(LOCK)
	$(BIN)/python -m analysis environment
	@echo "requirements.lock refreshed: run make install, make run, look at the charts, make baselines"

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m analysis report

# the browser test (tests/test_browser.py) drives Debian's chromium; installed when missing
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { $(if $(filter 0,$(shell id -u)),,sudo -n) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo -n) \
	    apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) browser
	$(BIN)/lint-imports --no-cache
	BROWSER_TESTS=required $(BIN)/python -m pytest

# with ANALYSIS_PROJECT set: that project's executed notebooks (make run writes them first)
lab: $(STAMP)
	$(BIN)/python -m analysis lab

export: $(STAMP)
	$(BIN)/python -m analysis export

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_percall.py
	$(BIN)/python benchmarks/bench_tokenise.py
	$(BIN)/python benchmarks/bench_notebooks.py

bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py

bench-bigfile: $(STAMP)
	$(BIN)/python benchmarks/bench_bigfile.py

bench-archive: $(STAMP)
	$(BIN)/python benchmarks/bench_archive.py --notebooks

bench-review: $(STAMP)
	$(BIN)/python benchmarks/bench_review.py

bench-estimates: $(STAMP)
	$(BIN)/python benchmarks/bench_estimates.py

baselines: $(STAMP)
	$(BIN)/python -m analysis baselines

html: $(STAMP)
	$(BIN)/python -m analysis report --html

evaluate: $(STAMP)
	$(BIN)/python -m analysis evaluate

curve: $(STAMP)
	$(BIN)/python -m analysis evaluate --curve

label: $(STAMP)
	$(BIN)/python -m analysis label $(EVENT)
