# The two commands: `make run` (set up + the demo) and `make test` (set up + the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Tests keep their own home (secret key, uploads) inside the checkout.
TEST_ENV := KAM_HOME=$(CURDIR)/.kam-test
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/kam

CODE := manage.py config kam kam_cli kam_analytics tests benchmarks

.PHONY: setup run test test-postgres lint messages clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: setup
	$(BIN)/kam demo

test: setup lint
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-postgres: setup
	$(TEST_ENV) KAM_DATABASE_URL=$(POSTGRES_URL) $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy config kam kam_cli kam_analytics

messages: setup
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete
	$(BIN)/python manage.py compilemessages

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
