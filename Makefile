# Expo — `make run` serves the demo expo, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-stamp
CATALOGUES := $(wildcard expo/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: install run test test-e2e bench translations clean

install: $(STAMP) $(COMPILED)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Expo needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

run: install
	$(FLASK) db upgrade
	$(FLASK) expo demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench.run

# Extract new texts and merge them into every catalogue (then translate the .po files).
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 -o expo/translations/messages.pot .
	$(BIN)/pybabel update -i expo/translations/messages.pot -d expo/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance .pytest_cache
