# The two commands of the README: `make run` and `make test`. Every install step lives here.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup run test bench clean

$(STAMP): setup.cfg pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/gridsafe init
	$(BIN)/gridsafe demo
	$(BIN)/gridsafe serve --with-scheduler

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/engine_overhead.py

clean:
	rm -rf $(VENV) instance .pytest_cache
