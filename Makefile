# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run    execute every notebook in place and export every figure (the main job)
#   make test   unit tests plus nbval over every notebook
# Both create the virtual environment (.venv) and install the project on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lab export install clean browser bench bench-scale bench-bigfile bench-archive evaluate curve label baselines html

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

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
	BROWSER_TESTS=required $(BIN)/python -m pytest

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

export: $(STAMP)
	$(BIN)/python -m analysis export --out exports

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
