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

.PHONY: help venv lab app test unit notebooks-test notebooks notebooks-update bench evaluate model sample clean

help:
	@echo "make lab    set up .venv, generate the sample dataset if DFEXPLORE_DATA is unset, start JupyterLab"
	@echo "make test   set up .venv and run the whole test suite (unit tests and notebooks)"
	@echo "make app    the video explorer as a web page (Voila) on http://127.0.0.1:$(APP_PORT)/"
	@echo "make notebooks          executed HTML copies of the notebooks in build/notebooks"
	@echo "make notebooks-update   refresh the notebooks' stored outputs on the sample dataset"
	@echo "make bench [BENCH_DIR=folder] [BENCH_ARGS=...]   dfexplore vs the seed's method vs decoding alone"
	@echo "make evaluate           scan -> evaluate -> train: the learned model vs the seed's rule on the sample (and the real clips)"
	@echo "make model [MODEL_SECONDS=1200]   retrain, calibrate and install the shipped frame model (needs ../shared/data)"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[notebooks,dev]"
	touch $(STAMP)

venv: $(STAMP)

sample: $(STAMP)
	$(PY) -c "from dfexplore.config import data_dir; print('dataset:', data_dir())"

lab: sample
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG)

# The explorer (notebooks/06_explorer.ipynb) as a web page without code, on this machine only;
# app/voila.json leaves out JupyterLab extensions that fail outside JupyterLab.
APP_PORT ?= 8866
app: sample
	$(VENV)/bin/voila notebooks/06_explorer.ipynb --Voila.ip=127.0.0.1 --port=$(APP_PORT) --no-browser \
	  --Voila.config_file_paths=app

unit: $(STAMP)
	$(PY) -m pytest tests

# Notebooks run twice: on the embedded sample, and on the real clips when ../shared is there.
notebooks-test: $(STAMP)
ifneq ($(NOTEBOOKS),)
	env -u DFEXPLORE_DATA $(PY) -m pytest --nbval-cell-timeout=600 --nbval --nbval-sanitize-with notebooks/sanitize.cfg $(NOTEBOOKS)
	if [ -f $(SHARED_SAMPLE)/metadata.json ]; then \
	  DFEXPLORE_DATA=$(abspath $(SHARED_SAMPLE)) $(PY) -m pytest --nbval-cell-timeout=600 --nbval-lax $(NOTEBOOKS); \
	else echo "skipping notebooks on real clips: $(SHARED_SAMPLE) not found"; fi
else
	@echo "no notebooks yet"
endif

test: unit notebooks-test

# Executed HTML copies of the notebooks, for reading (on DFEXPLORE_DATA or the sample).
notebooks: sample
	mkdir -p build/notebooks
	$(VENV)/bin/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=600 --output-dir build/notebooks $(NOTEBOOKS)

# Re-execute the notebooks in place on the embedded sample (the stored outputs nbval checks),
# clear the outputs nbval ignores, and sync the paired py:percent scripts.
notebooks-update: $(STAMP)
	env -u DFEXPLORE_DATA $(VENV)/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 --inplace $(NOTEBOOKS)
	$(PY) tools/clear_ignored_outputs.py $(NOTEBOOKS)
	$(VENV)/bin/jupytext --sync $(NOTEBOOKS)

# Speed and memory: the seed's per-video method, dfexplore's pipeline and the decode-only floor
# on the same clips (the embedded sample unless BENCH_DIR names a DFDC-layout folder), plus the
# largest of them played six times in a row (--long 6) for the memory target.
BENCH_DIR ?=
BENCH_ARGS ?= --markdown --long 6
bench: sample
	$(PY) -m benchmarks $(BENCH_DIR) $(BENCH_ARGS)

# scan -> evaluate -> train on the embedded sample, and on the real clips when ../shared is there:
# the README's evaluation tables (nested cross-validation), then a model trained on all videos
# (results tables and models in build/eval/; the scan is cached, so a re-run is quick).
evaluate: sample
	mkdir -p build/eval
	$(PY) -m dfexplore scan "$$(env -u DFEXPLORE_DATA $(PY) -c 'from dfexplore.config import ensure_sample; print(ensure_sample())')" --out build/eval/sample.parquet --quiet
	$(PY) -m dfexplore evaluate build/eval/sample.parquet --markdown
	$(PY) -m dfexplore train build/eval/sample.parquet --out build/eval/sample-model.dfmodel
	if [ -f $(SHARED_SAMPLE)/metadata.json ]; then \
	  $(PY) -m dfexplore scan $(SHARED_SAMPLE) --out build/eval/dfdc_sample.parquet --quiet && \
	  $(PY) -m dfexplore evaluate build/eval/dfdc_sample.parquet --markdown && \
	  $(PY) -m dfexplore train build/eval/dfdc_sample.parquet --out build/eval/dfdc_sample-model.dfmodel; \
	else echo "skipping the real clips: $(SHARED_SAMPLE) not found"; fi

# The frame model dfexplore ships (dfexplore/models/frame.tflite and its card): real face crops of
# ../shared/data (real_faces, lfw_faces) and the sample's REAL clips -> self-blend training for
# MODEL_SECONDS (seed 0) -> calibration and leave-one-out evaluation on ../shared/data/dfdc_sample.
# About 11 min of face detection the first time (cached after), then the budget, then ~3 min.
SHARED_DATA ?= ../shared/data
MODEL_SECONDS ?= 1200
model: $(STAMP)
	test -d $(SHARED_DATA)/real_faces || { echo "make model needs $(SHARED_DATA) (real_faces/, lfw_faces/, dfdc_sample/)"; exit 1; }
	$(PY) tools/make_model.py train --data $(SHARED_DATA) --build build/model --seconds $(MODEL_SECONDS)
	$(PY) tools/make_model.py calibrate --data $(SHARED_DATA) --build build/model --install dfexplore/models

clean:
	rm -rf build .pytest_cache
