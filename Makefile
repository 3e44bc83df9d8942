# ML -> DL Journey. `make run` and `make test` create the environment from nothing.
PYTHON ?= python3
VENV   := ml_journey
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_WORKERS ?= auto

.PHONY: help setup setup-locked run run-quick lint format test test-slow lab bench book serve demo pipeline clean

help:
	@echo "make setup      create the venv '$(VENV)' and install requirements.txt (once)"
	@echo "make setup-locked  the same with the exact versions of requirements.lock"
	@echo "make run        run the whole journey headless, write outputs/report.md"
	@echo "make run-quick  the same with shrunk data and epochs (JOURNEY_QUICK=1)"
	@echo "make lint       ruff check + ruff format --check (make test runs it first)"
	@echo "make format     apply ruff's fixes and formatting"
	@echo "make test       lint, then the test suite (slow full-size training excluded)"
	@echo "make test-slow  only the full-size training tests"
	@echo "make lab        Jupyter Lab at the repository root"
	@echo "make bench      scratch vs library timings -> outputs/bench.md"
	@echo "make book       the journey as a static site -> outputs/book/index.html (FULL=1: full run)"
	@echo "make serve      the stage-16 inference service on http://127.0.0.1:8000"
	@echo "make demo       a page to click (Streamlit): a digit for the CNN, a tumour for the pipeline"
	@echo "make pipeline   data -> seeded training -> evaluation -> artefacts -> service -> smoke request"
	@echo "                (QUICK=1: the stand-in, seconds) -> outputs/pipeline/manifest.json"
	@echo "make clean      remove outputs/ (keeps the venv and data/)"

# The stamp is rebuilt only when requirements.txt or pyproject.toml change,
# so a second `make test` does not reinstall anything.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# The versions that passed, exactly (requirements.lock); the stamp then keeps `make` from
# reinstalling the ranges of requirements.txt over them.
setup-locked:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.lock
	$(PY) -m pip install --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m journey run

run-quick: $(STAMP)
	$(PY) -m journey run --quick

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

test: $(STAMP) lint
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not slow"

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

lab: $(STAMP)
	$(PY) -m jupyter lab

bench: $(STAMP)
	$(PY) -m benchmarks

# The book renders what one run produced: `journey run` executes the notebooks once (quick
# mode unless FULL=1) and `journey book` only reads them. A failed stage does not stop the
# book: its chapter shows the failure.
book: $(STAMP)
	-$(PY) -m journey run $(if $(FULL),,--quick)
	$(PY) -m journey book

serve: $(STAMP)
	$(PY) 16_deployment/library_impl/serve_fastapi.py --serve

demo: $(STAMP)
	$(PY) -m streamlit run demo/app.py --browser.gatherUsageStats false

pipeline: $(STAMP)
	$(PY) -m pipeline $(if $(QUICK),--quick)

clean:
	rm -rf outputs
