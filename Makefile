# Health Equity Atlas: set-up, run and test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LA     ?= E06000032
PORT   ?= 8501
LOCK   := requirements.lock
STAMP  := $(VENV)/.installed

.PHONY: setup run build test test-fast lint benchmark lock clean

## setup: create .venv and install the exact versions of requirements.lock, then the atlas (idempotent)
setup: $(STAMP)

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## build: build the atlas for $(LA) from the source directory
build: setup
	$(BIN)/atlas build --la $(LA)

## run: set up, build Luton (or LA=...) and serve the app on PORT (default 8501)
run: setup
	$(BIN)/atlas app --la $(LA) --port $(PORT)

## lint: ruff over the code and the tests
lint: setup
	$(BIN)/ruff check .

## test: set up, lint, then run the whole test suite
test: lint
	$(BIN)/python -m pytest

## test-fast: the unit tests (synthetic data, no source directory; seconds)
test-fast: setup
	$(BIN)/python -m pytest tests/unit

## benchmark: print the speed figures
benchmark: setup
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

## lock: refresh requirements.lock to the newest versions pyproject.toml allows (then run make test)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --upgrade \
	    --quiet -o $(LOCK)

clean:
	rm -rf output artefacts
