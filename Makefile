# Two commands for a fresh machine: `make run` and `make test`. Everything they need is
# installed from here: Debian packages with apt-get, Python packages with pip into .venv.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export ATTUNELY_DATA_DIR ?= $(CURDIR)/var

# Debian packages the tests use: a PostgreSQL server, Chromium for browser tests,
# and FFmpeg / espeak-ng / sox to generate test films and voices.
TEST_DEBS := postgresql chromium ffmpeg espeak-ng sox

.PHONY: run test lint unit venv system-deps clean

$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,vision]'
	touch $@

venv: $(BIN)/.installed

run: venv
	$(BIN)/attunely db upgrade
	$(BIN)/attunely demo
	$(BIN)/attunely serve

system-deps:
	@scripts/system-deps.sh $(TEST_DEBS)

lint: venv
	scripts/lint.sh

test: system-deps venv
	scripts/lint.sh
	scripts/test.sh

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
