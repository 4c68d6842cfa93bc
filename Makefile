# `make run` starts the dashboard, `make test` runs the tests; both create and reuse .venv on their own.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup browser clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) -m streamlit run app.py --server.port 8501

# Browser tests use Debian's chromium; install it (and the Fashion-MNIST package) where we may.
browser:
	@sh scripts/ensure_system_packages.sh || echo "note: could not install chromium/dataset-fashion-mnist; those tests will say they are skipped"

test: $(STAMP) browser
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
