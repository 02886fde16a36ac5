# `make dev` runs the embedded stack; `make test` runs the tests. Both set up what they need.
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PY := .venv/bin/python

.PHONY: setup dev test test-unit test-integration lint format clean

setup: .venv/.synced .bin/livekit-server

.tools/bin/uv:
	@echo "setup: installing uv $(UV_VERSION) into .tools/"
	@python3 -m venv .tools && .tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	@echo "setup: installing Python dependencies from uv.lock"
	@$(UV) sync --frozen --quiet
	@touch $@

.bin/livekit-server: scripts/setup-livekit-server.sh
	@bash scripts/setup-livekit-server.sh

dev: setup
	@$(PY) -m agent.cli dev --no-setup

test: setup
	@$(PY) -m pytest tests

test-unit: setup
	@$(PY) -m pytest tests/unit

test-integration: setup
	@$(PY) -m pytest tests/integration

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format: setup
	@.venv/bin/ruff check --fix . && .venv/bin/ruff format .

clean:
	rm -rf .venv .tools .bin .pytest_cache
