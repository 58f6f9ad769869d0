# The workshop's entry points. `make workshop` and `make test` are the README's two commands.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: workshop app test browser sync notebooks lessons-alone pytest readme prepare colab web-runtime workshop-notebook workshop-times

# One virtual environment, installed from the repo's own files (exact torch pins in requirements-dev.txt).
$(VENV)/.installed: pyproject.toml setup.py requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	# jmd_imagescraper without its dependencies: it lists PyPI's obsolete `pathlib`, which could shadow Python's own.
	$(BIN)/python -m pip install -q --no-deps jmd_imagescraper==1.0.2
	touch $@

# Run every notebook on the settings in settings.ini, then serve the app on 127.0.0.1:8866.
workshop: $(VENV)/.installed
	$(BIN)/primer workshop
	$(BIN)/primer app

app: $(VENV)/.installed
	$(BIN)/primer app

# The tests: primer_lib matches the notebooks, every notebook runs (offline, CPU), each lesson runs alone as in a
# fresh Colab runtime, then pytest (with the browser tests).
test: browser sync notebooks lessons-alone pytest

# Debian's Chromium for the browser tests (playwright's own browser download can't work here), and axe-core from npm
# for their accessibility check, in .axe/ (gitignored; the tests inject it into the page, which never fetches it).
AXE_VERSION ?= 4.14.1
browser:
	@test -x /usr/bin/chromium || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "No /usr/bin/chromium: install Debian's chromium package (as root: apt-get install chromium) for the browser tests."; fi; }
	@test -f .axe/node_modules/axe-core/package.json && grep -q '"version": "$(AXE_VERSION)"' .axe/node_modules/axe-core/package.json || \
	  npm install -q --no-audit --no-fund --prefix .axe axe-core@$(AXE_VERSION) >/dev/null

sync: $(VENV)/.installed
	@before=$$(mktemp -d) && cp -r primer_lib $$before/ && $(BIN)/nbdev-export && \
	if diff -r -x __pycache__ $$before/primer_lib primer_lib >/dev/null; then echo "primer_lib matches the notebooks."; \
	else echo "primer_lib differed from the notebooks in nbs/; nbdev-export has now rewritten it. Review and commit primer_lib/."; exit 1; fi
	@$(BIN)/python scripts/build_workshop_notebook.py --check

# workshop.ipynb: the whole workshop in one notebook, for Colab, made from the lessons (make sync checks it is up to date).
workshop-notebook: $(VENV)/.installed
	$(BIN)/python scripts/build_workshop_notebook.py

# PRIMER_UNATTENDED=1: the lessons' stand-in cells (cleaner marks, an upload) act, as they never do for a learner.
notebooks: $(VENV)/.installed
	PRIMER_UNATTENDED=1 $(BIN)/nbdev-test --n-workers 1 --timing

# A second environment like a Colab runtime: Colab's fastai, IPython, ipywidgets 7.7.1 and more (pinned in the file), no Voilà,
# and no primer (each lesson's first cell installs it).
COLAB_VENV := .venv-colab
$(COLAB_VENV)/.installed: scripts/requirements-colab.txt
	test -x $(COLAB_VENV)/bin/python || $(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install -q -r scripts/requirements-colab.txt
	touch $@

# Every lesson alone, each in a new empty folder, in that environment, primer installed by the lesson's own first cell;
# then workshop.ipynb alone the same way, with labels 1, 4 set in its labels cell.
lessons-alone: $(VENV)/.installed $(COLAB_VENV)/.installed
	$(BIN)/python scripts/run_lessons_alone.py --python $(COLAB_VENV)/bin/python

# The README's run time of each lesson: workshop.ipynb alone, as above, its section times kept in scripts/workshop_times.json.
workshop-times: $(VENV)/.installed $(COLAB_VENV)/.installed
	$(BIN)/python scripts/run_lessons_alone.py --python $(COLAB_VENV)/bin/python --record scripts/workshop_times.json workshop.ipynb
	$(MAKE) readme

pytest: $(VENV)/.installed
	$(BIN)/python -m pytest -ra

# README.md is index.ipynb rendered by nbconvert (nbdev's own README step needs Quarto).
readme: $(VENV)/.installed
	$(BIN)/python scripts/lesson_stats.py --readme >/dev/null
	$(BIN)/jupyter nbconvert --to markdown --stdout --log-level=ERROR nbs/index.ipynb > README.md

# The published page's runtime, vendored in primer_lib/web/ (committed, so pip installs from git have it and publishing
# works offline): onnxruntime-web's CPU (WebAssembly) build from npm, the .wasm xz-compressed, sha256s in ONNXRUNTIME_WEB.txt.
ORT_WEB_VERSION ?= 1.30.0
web-runtime: $(VENV)/.installed
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack -q onnxruntime-web@$(ORT_WEB_VERSION) >/dev/null) && \
	$(BIN)/python -c "import sys; from primer_lib.publish import vendor_runtime; print('onnxruntime-web', vendor_runtime(sys.argv[1]))" \
	  $$tmp/onnxruntime-web-$(ORT_WEB_VERSION).tgz && rm -rf $$tmp

# For a fork: the address the lessons' install cell (and workshop.ipynb's) installs from, and the README's "Open in Colab" links.
colab: $(VENV)/.installed
	$(BIN)/python scripts/set_repo.py "$(REPO)"
	$(MAKE) readme

prepare: $(VENV)/.installed
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean && $(BIN)/python scripts/build_workshop_notebook.py && $(MAKE) readme
