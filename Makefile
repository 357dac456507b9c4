# Each target sets itself up: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU wheel is installed first, so pip never resolves a bare multi-GB CUDA torch.
TORCH_PIN ?= torch==2.13.0
# Tests run in parallel on every core (pytest-xdist; TEST_WORKERS=0 runs them in one process),
# a test file per worker, so each module fixture (the demo run, the quick real-data run) runs once.
TEST_WORKERS ?= auto

.PHONY: install demo test test-fast bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH_PIN)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dialectgraph demo --out demo_output/

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile geodata gnn tests

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not slow" geodata gnn tests

bench: $(STAMP)
	$(BIN)/python scripts/bench.py --out bench_results.json

lint: $(STAMP)
	$(BIN)/ruff check geodata gnn tests scripts

clean:
	rm -rf $(VENV) demo_output bench_results.json .pytest_cache
