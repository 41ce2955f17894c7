# One entry point for maintainers and CI. Every target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

SPEC := specs/procore.yaml
CONFIG := specs/procore.config.yaml
OUT := generated/procore-mcp
# The generated server's runtime: plain Python, copied into every package (see CONTRIBUTING.md).
RUNTIME := templates/package/src/__package__

.PHONY: venv generate check-generated lint typecheck quality test check corpus dist bench profile format clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

generate: $(STAMP)
	$(PY) -m generator generate --spec $(SPEC) --config $(CONFIG) --out $(OUT)

check-generated: $(STAMP)
	$(PY) -m generator generate --spec $(SPEC) --config $(CONFIG) --out $(OUT) --check

lint: $(STAMP)
	$(PY) -m ruff check generator tests specs/tools bench $(RUNTIME)
	$(PY) -m ruff format --check generator tests specs/tools bench $(RUNTIME)
	$(PY) -m ruff check --no-cache --select F,E9,B $(OUT)/src

typecheck: $(STAMP)
	$(PY) -m mypy

quality: $(STAMP)
	$(PY) -m generator lint --spec $(SPEC) --config $(CONFIG)

# CI's entry point (.ci/run); test_golden.py compares generated/ too.
# Two workers: the suite spawns servers and waits on them, and this machine has two cores.
test: lint typecheck quality
	$(PY) -m pytest -n 2 --dist worksteal

# Everything CI runs, plus the explicit generated/ check: run it before pushing.
check: lint typecheck quality check-generated
	$(PY) -m pytest -n 2 --dist worksteal

# Every operation of every ../shared/corpus spec and of the Procore catalog through the request-conformance check
# (make test samples 50 a corpus spec and every eighth catalog operation).
corpus: $(STAMP)
	CORPUS_FULL=1 $(PY) -m pytest -n 2 tests/corpus tests/conformance/test_requests.py

# An sdist and a wheel of the generated package in dist/ (ignored by git), built offline with .venv's hatchling.
dist: check-generated
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist $(OUT)

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py
	$(PY) bench/footprint.py >> bench/RESULTS.md

profile: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/profile.py

format: $(STAMP)
	$(PY) -m ruff format generator tests specs/tools bench $(RUNTIME)
	$(PY) -m ruff check --fix generator tests specs/tools bench $(RUNTIME)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
