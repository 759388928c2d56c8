# Two entry points: `make demo` runs deputyguard on the bundled examples, `make test` runs
# every check. Both create .venv on first use and install the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-simulate test lint typecheck unit bench oracle clean

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

bench: $(STAMP) oracle
	$(BIN)/python -m benchmarks.engine
	$(BIN)/python -m benchmarks.check

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
