# Two commands for a new user:  make lab  (JupyterLab on the notebooks)  and  make test  (whole suite).
# Everything runs from ./.venv, created on first use and refreshed when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.dfexplore-installed
# JupyterLab refuses to run as root without this flag (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
SHARED_SAMPLE ?= ../shared/data/dfdc_sample
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: help venv lab test unit notebooks-test sample clean

help:
	@echo "make lab    set up .venv, generate the sample dataset if DFEXPLORE_DATA is unset, start JupyterLab"
	@echo "make test   set up .venv and run the whole test suite (unit tests and notebooks)"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

sample: $(STAMP)
	$(PY) -c "from dfexplore.config import data_dir; print('dataset:', data_dir())"

lab: sample
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG)

unit: $(STAMP)
	$(PY) -m pytest tests

# Notebooks run twice: on the embedded sample, and on the real clips when ../shared is there.
notebooks-test: $(STAMP)
ifneq ($(NOTEBOOKS),)
	env -u DFEXPLORE_DATA $(PY) -m pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg $(NOTEBOOKS)
	if [ -f $(SHARED_SAMPLE)/metadata.json ]; then \
	  DFEXPLORE_DATA=$(abspath $(SHARED_SAMPLE)) $(PY) -m pytest --nbval-lax $(NOTEBOOKS); \
	else echo "skipping notebooks on real clips: $(SHARED_SAMPLE) not found"; fi
else
	@echo "no notebooks yet"
endif

test: unit notebooks-test

clean:
	rm -rf build .pytest_cache
