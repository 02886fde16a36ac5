# `make dev` runs the embedded stack; `make test` runs the tests. Both set up what they need.
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PY := .venv/bin/python

.PHONY: setup setup-sip setup-browser dev test test-unit test-integration test-e2e lint format clean

setup: .venv/.synced .bin/livekit-server web/static/dist/.built

.tools/bin/uv:
	@echo "setup: installing uv $(UV_VERSION) into .tools/"
	@python3 -m venv .tools && .tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	@echo "setup: installing Python dependencies from uv.lock"
	@$(UV) sync --frozen --quiet
	@touch $@

.bin/livekit-server: scripts/setup-livekit-server.sh
	@bash scripts/setup-livekit-server.sh

# The widget and console bundles are built here, not committed: npm ci + esbuild take ~15 s (docs/web.md).
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@echo "setup: installing the web packages from web/package-lock.json"
	@cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

web/static/dist/.built: web/node_modules/.package-lock.json web/build.mjs $(wildcard web/src/*.js)
	@echo "setup: bundling the call widget and the operator console (esbuild)"
	@cd web && node build.mjs && touch static/dist/.built

# Debian's Chromium for the browser tests (tests/e2e); well under a second when present.
setup-browser:
	@bash scripts/setup-browser.sh

# SIP (Redis, SIPp, livekit-sip built from its Go module): only `make test` and `dev --sip` need it.
# The script is idempotent and takes well under a second when everything is present.
setup-sip:
	@bash scripts/setup-sip.sh

dev: setup
	@$(PY) -m agent.cli dev --no-setup

test: setup setup-sip setup-browser
	@$(PY) -m pytest tests

test-unit: setup
	@$(PY) -m pytest tests/unit

test-integration: setup
	@$(PY) -m pytest tests/integration

test-e2e: setup setup-sip setup-browser
	@$(PY) -m pytest tests/e2e

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format: setup
	@.venv/bin/ruff check --fix . && .venv/bin/ruff format .

clean:
	rm -rf .venv .tools .bin .pytest_cache web/node_modules web/static/dist
