# impl-sim — every target bootstraps its own virtual environment (.venv) first.
#   make demo        set up (the package only) and run the leadership-vs-support scenario
#   make test        run the whole test suite
#   make lint        ruff
#   make docs        regenerate docs/parameters.md from the schema
#   make docs-site   build the documentation site into site/ (offline; open site/index.html)
#   make bench       timing benchmarks (not part of the tests)
#   make validation  regenerate docs/validation.md and docs/validation-community.md (held out)
#   make sensitivity Sobol' indices of the determinants (scenarios/sensitivity_determinants.yaml)
#   make experiments regenerate the figures for S1–S10 into experiments/output/
#   make dashboard   serve the what-if dashboard on http://127.0.0.1:8765/
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORE_STAMP := $(VENV)/.installed-core
PYTEST_ARGS ?=

.PHONY: demo test lint docs docs-site bench bench-sweep dashboard experiments clean validation sensitivity

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q hatchling
	$(BIN)/python -m pip install -q -e ".[dashboard,dev]"
	touch $(STAMP) $(CORE_STAMP)

# the demo needs only the package itself (no test, browser or documentation tools)
$(CORE_STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(CORE_STAMP)

demo: $(CORE_STAMP)
	$(BIN)/impl-sim run scenarios/leadership_vs_support.yaml

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks experiments dashboard)

docs: $(STAMP)
	$(BIN)/impl-sim params --markdown > docs/parameters.md

docs-site: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_dashboard.py
	$(BIN)/python benchmarks/bench_engine.py

validation: $(STAMP)
	$(BIN)/impl-sim validate --markdown --workers 2 > docs/validation.md.tmp
	mv docs/validation.md.tmp docs/validation.md
	$(BIN)/impl-sim validate --targets scenarios/targets/community.yaml --markdown --workers 2 \
		--no-plausibility > docs/validation-community.md.tmp
	mv docs/validation-community.md.tmp docs/validation-community.md

sensitivity: $(STAMP)
	$(BIN)/impl-sim sensitivity scenarios/sensitivity_determinants.yaml --workers 2

bench-sweep: $(STAMP)
	$(BIN)/python benchmarks/bench_sweep.py

experiments: $(STAMP)
	@for script in experiments/[0-9][0-9]_*.py; do \
	  echo "== $$script"; $(BIN)/python $$script || exit 1; done

dashboard: $(STAMP)
	$(BIN)/impl-sim dashboard

clean:
	rm -rf $(VENV) results .pytest_cache
