# Set-up is part of every target: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser demo test bench clean

setup: $(STAMP) browser

# Reinstalls when pyproject.toml changes. pyproject pins torch==2.13.0; the CPU build comes from where
# pip looks (find-links to a local wheel on our machines, or PIP_EXTRA_INDEX_URL: see README).
$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "fagmatch needs Python 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check pip==25.3
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# The browser tests (tests/test_browser.py) drive Debian's Chromium; playwright, from the test extra,
# brings no browser. Installed when /usr/bin/chromium is missing: as root, or with sudo where it needs
# no password; otherwise set-up says what to run and goes on (the browser tests then skip, or fail in CI).
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	  else echo "warning: $(CHROMIUM) is missing and set-up cannot install it; as root run: apt-get install -y chromium" >&2; exit 0; fi; \
	  echo "installing chromium for the browser tests (apt-get, about a minute)"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

demo: setup
	$(BIN)/fagmatch demo

test: setup
	$(BIN)/python -m pytest

bench: setup
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
