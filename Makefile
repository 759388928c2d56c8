# Two entry points: `make demo` runs deputyguard on the bundled examples, `make test` runs
# every check. Both create .venv on first use and install the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-simulate test test-compiled compiled lint typecheck unit bench oracle clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The main job: check the bundled example policies against the example organization. `check`
# exits 1 when it finds high/critical weaknesses, which the demo is meant to show.
demo: $(STAMP)
	$(BIN)/deputyguard check examples/ --org examples/org.yaml || test $$? -eq 1

# The authorization engine on the bundled request cases (each with its expected decision).
demo-simulate: $(STAMP)
	$(BIN)/deputyguard simulate examples/cases.yaml --org examples/org.yaml --explain --lint --format text

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

# Installs the differential oracle (npm, test-only) into build/oracle; tests use it when present.
oracle:
	bash benchmarks/install_oracle.sh

# The same package with its evaluation path compiled by mypyc (setup.py), in its own
# environment: a regular (not editable) install, so compiled modules never shadow sources.
COMPILED := build/compiled
COMPILED_STAMP := $(COMPILED)/.installed

$(COMPILED_STAMP): pyproject.toml setup.py $(shell find src -name '*.py')
	test -x $(COMPILED)/bin/python || $(PYTHON) -m venv $(COMPILED)
	$(COMPILED)/bin/python -m pip install --quiet --upgrade pip==25.3
	$(COMPILED)/bin/python -m pip install --quiet setuptools==80.9.0
	$(COMPILED)/bin/python -m pip install --quiet --no-build-isolation '.[dev]'
	# mypyc type-checks the whole package, so it needs the dependencies installed first.
	DEPUTYGUARD_MYPYC=1 $(COMPILED)/bin/python -m pip install --quiet --no-build-isolation \
		--force-reinstall --no-deps .
	touch $(COMPILED_STAMP)

compiled: $(COMPILED_STAMP)

# Every test again, against the compiled build (a test checks that it is the compiled one).
test-compiled: compiled
	DEPUTYGUARD_EXPECT_COMPILED=1 $(COMPILED)/bin/python -m pytest -q

# Throughput against the oracle, for the compiled build (what `pip install` of a wheel built
# with DEPUTYGUARD_MYPYC=1 ships); `$(BIN)/python -m benchmarks.engine` measures the
# interpreted one.
bench: oracle compiled
	$(COMPILED)/bin/python -m benchmarks.engine
	$(COMPILED)/bin/python -m benchmarks.check

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
