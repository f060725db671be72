# Health Equity Atlas: set-up, run and test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LA     ?= E06000032
STAMP  := $(VENV)/.installed

.PHONY: setup run build test benchmark clean

## setup: create .venv and install the atlas with its dependencies (idempotent)
setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## build: build the atlas for $(LA) from the source directory
build: setup
	$(BIN)/atlas build --la $(LA)

## run: set up, build Luton (or LA=...) and start the Streamlit app
run: build
	ATLAS_DEFAULT_LA=$(LA) $(BIN)/streamlit run app.py --server.headless true --browser.gatherUsageStats false

## test: set up, then run the whole test suite
test: setup
	$(BIN)/python -m pytest

## benchmark: print the speed figures
benchmark: setup
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf output artefacts
