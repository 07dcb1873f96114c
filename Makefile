# The two commands a deployer needs: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help install widget train run run-prod shell sms console console-user test lint validate clean bench cv compare-languages screenshots

help:
	@echo "make run    - set up, train if needed, start the assistant (Ctrl-C stops it)"
	@echo "make shell  - chat with the running assistant in this terminal"
	@echo "make sms    - text the running assistant like Twilio would (needs TWILIO_AUTH_TOKEN)"
	@echo "make run-prod - production profile: PostgreSQL, nginx, 2 Rasa replicas (deploy/)"
	@echo "make console - only the staff console, at http://localhost:5010 (make run starts it too)"
	@echo "make console-user NAME=alice ROLE=admin - add a console account (password prompted)"
	@echo "make test   - set up and run the whole test suite"
	@echo "make lint   - ruff and mypy"
	@echo "make train  - train now if no model matches the data (make run does this)"
	@echo "make bench  - benchmark against stock Rasa (about 1 h; SOAK_S=60 for a shorter soak)"
	@echo "make cv     - fallback thresholds by cross-validation on the training data"
	@echo "make compare-languages - one intent model for en+es or one per language (docs/languages.md)"

$(STAMP): pyproject.toml constraints.txt scripts/bootstrap.sh
	scripts/bootstrap.sh
	@touch $@

install: $(STAMP)

# The browser libraries the widget loads (marked, DOMPurify, axe-core) are committed in
# widget/vendor/ with their versions and sha256 (VERSIONS.json), so running needs no Node.
# After changing widget/package.json, re-vendor them (needs Node 20+ and the npm registry):
widget:
	@echo "==> Re-vendoring the widget's browser libraries from widget/package-lock.json"
	cd widget && npm ci --no-audit --no-fund && node vendor.mjs

train: install
	$(PY) -m assistant.ops.train

run: install
	$(PY) -m assistant.ops.run

run-prod: install
	scripts/ensure_prod_packages.sh
	$(PY) -m assistant.ops.prod

shell: install
	$(PY) -m assistant.ops.chat

sms: install
	$(PY) -m assistant.ops.sms_try

validate: install
	$(VENV)/bin/rasa data validate --fail-on-warnings \
	  --domain domain.yml --config config.yml --data data/nlu data/rules data/stories

console: install
	$(PY) -m assistant.console serve

console-user: install
	@test -n "$(NAME)" || (echo "usage: make console-user NAME=alice ROLE=reviewer|admin" >&2; exit 2)
	$(PY) -m assistant.console users add "$(NAME)" --role "$(or $(ROLE),reviewer)"

test: install lint
	scripts/ensure_chromium.sh
	scripts/ensure_prod_packages.sh
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: install
	$(PY) -m bench.run_bench

cv: install
	$(PY) -m assistant.ops.cross_validate

compare-languages: install
	$(PY) -m assistant.ops.compare_language_models

# The README's screenshots (docs/images/): the widget and the console, on free ports.
screenshots: install
	scripts/ensure_chromium.sh
	$(PY) scripts/screenshots.py

clean:
	rm -rf .state reports .pytest_cache .mypy_cache .ruff_cache
