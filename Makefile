# The two commands of the README: `make demo` and `make test`.
# Each creates .venv when missing and installs the project into it.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint

$(PY):
	python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/jeras demo

test: $(STAMP)
	$(PY) -m ruff check jeras tests
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check jeras tests
