# `make demo` sets everything up and serves the demo; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Elsewhere, a CPU-only machine gets a CPU build of torch with
#   make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=

.PHONY: setup demo test chromium bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install --quiet -e '.[test,ray]'
	touch $@

demo: setup
	$(VENV)/bin/stance demo

# Browser tests drive Debian's Chromium; install it where it is missing (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver; }

test: setup chromium
	$(PY) -m pytest

# The benchmark suite at small sizes (minutes); the full run is `$(PY) -m bench --out bench.json`.
bench: setup
	$(PY) -m bench --quick --out bench-quick.json

clean:
	rm -rf $(VENV) *.egg-info stance-demo.duckdb* stance-demo.lake
