# The two commands of the README: `make demo` and `make test`.
# Each creates .venv when missing and installs the project into it.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint graphviz bench bench-gpu

$(PY):
	python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# plot_model draws with Graphviz's `dot`, a system package: installed here when
# missing and running as root; otherwise plot_model says what to install.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq graphviz >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq graphviz >/dev/null 2>&1; } || \
	    echo "note: installing Graphviz failed; plot_model and the demo's model.png need it"; \
	  else echo "note: Graphviz is not installed; plot_model and the demo's model.png need it"; fi; }

demo: $(STAMP) graphviz
	$(VENV)/bin/jeras demo

test: $(STAMP) graphviz
	$(PY) -m ruff check jeras tests
	$(PY) -m pytest -q

# Benchmarks (not part of the README's two commands): extra systems to compare against.
$(VENV)/.bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(PY) bench/run.py

bench-gpu: $(VENV)/.bench
	$(PY) bench/run.py --gpu --out bench/results_gpu.json

lint: $(STAMP)
	$(PY) -m ruff check jeras tests
