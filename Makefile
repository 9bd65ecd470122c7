# Expo — `make run` serves the demo expo, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-stamp
CATALOGUES := $(wildcard expo/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

# Debian packages Expo needs besides Python: the Noto fonts badges and PDFs print every script
# with, ICU and a compiler to build PyICU (names sorted as each language sorts them), and
# poppler-utils, whose pdftotext the tests read PDFs with.
DEBIAN_PACKAGES := fonts-noto-core fonts-noto-cjk libicu-dev pkg-config g++ poppler-utils

.PHONY: install system-packages run test test-e2e bench screenshots translations clean

install: system-packages $(STAMP) $(COMPILED)

system-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "Expo needs these Debian packages, or their equivalents on this system:" $$missing; exit 0; fi; \
	echo "Installing Debian packages:" $$missing; \
	if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null

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

# PNGs of the main pages for every role at 390 and 1280 px, in screenshots/ (README_PICTURES=1
# also refreshes the README's pictures in docs/img/).
screenshots: install
	$(BIN)/python -m tools.screenshots $(if $(README_PICTURES),--readme)

# Extract new texts and merge them into every catalogue (then translate the .po files).
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 -o expo/translations/messages.pot .
	$(BIN)/pybabel update -i expo/translations/messages.pot -d expo/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance .pytest_cache
