# camtag: `make demo` sets up and runs the main job; `make test` sets up and runs the tests.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
WHEELS  ?= $(HOME)/.cache/camtag/wheels
PYTEST_ARGS ?=
# test files run in this many worker processes (pytest-xdist; a file's tests stay together so its
# fixtures are made once); 0 runs them in this process, one after another
TEST_JOBS ?= 2

.PHONY: demo test test-core setup setup-full bench bundle clean lint first-run

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# base install: the app and the geometric engine (+ scikit-image, whose photos make the demo clip)
$(VENV)/.base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[demo]'
	touch $@

# everything the test suite exercises: TransNetV2 (torch), llama.cpp (cached CPU wheel),
# transformers, the OpenAI-compatible server, test tools and independent readers
$(VENV)/.full: $(VENV)/.base installers/linux/system-deps.sh installers/linux/llamacpp-wheel.sh
	bash installers/linux/system-deps.sh
	$(BIN)/pip install -q torch==2.14.1 torchvision==0.29.1
	WHEELS=$(WHEELS) bash installers/linux/llamacpp-wheel.sh $(BIN)/pip
	$(BIN)/pip install -q -e '.[dev,transnet,transformers,models,server,scale]'
	touch $@

setup: $(VENV)/.base
setup-full: $(VENV)/.full

demo: $(VENV)/.base
	$(BIN)/camtag demo

test: $(VENV)/.full
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile $(PYTEST_ARGS)

test-core: $(VENV)/.full
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile tests/core $(PYTEST_ARGS)

lint: $(VENV)/.full
	$(BIN)/ruff check app/camtag .ci
	$(BIN)/python .ci/check_private_imports.py
	PYTHONPATH=app $(BIN)/lint-imports
	$(BIN)/mypy

# what a new user gets: a fresh clone, a fresh HOME, no ../shared (installers/linux/first-run-test.sh)
first-run:
	bash installers/linux/first-run-test.sh

bench: $(VENV)/.full
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

# the Linux onedir bundle (its own throwaway venv; see installers/README.md)
bundle:
	bash installers/linux/build-bundle.sh

clean:
	rm -rf $(VENV) demo build dist
