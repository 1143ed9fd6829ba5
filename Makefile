# Snip — every command creates or updates the virtual environment first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := .lambda-runtime
LAMBDA_DEPS := .lambda-deps
# Each function's third-party packages, exact pins (infra/function_bundling.py installs them
# into its asset at synth time).
FUNCTION_REQUIREMENTS := $(sort $(wildcard functions/*/requirements.txt))
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

CDK_CLI := .cdk-cli

.PHONY: venv venv-run runtime cdk-cli axe-core browser test lint run synth deploy destroy bench api-docs clean

# Two steps: `make run` needs only the package (the runtime, moto and the client) and the
# functions' pinned requirements (its workers import the handlers from their folders in this
# venv); tests, synth, deploy, lint and bench add the dev extras (the CDK alone is ~430 MB),
# resolved together with those pins. uv installs both: the run set (~140 MB) in about ten seconds
# where pip took a minute; bytecode is compiled at install, as pip does, so that no worker compiles
# botocore at its cold start (PYTHONDONTWRITEBYTECODE above keeps the repository free of caches).
# uv reads no pip.conf: another package index is UV_DEFAULT_INDEX=<url> (uv's own settings).
UV := $(BIN)/uv
UV_INSTALL := $(UV) pip install --python $(BIN)/python -q --compile-bytecode

# uv itself, from PyPI, into the venv: with the system's pip (`pip --python`, pip >= 22.3), else
# with the venv's own pip.
$(UV):
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install -q --disable-pip-version-check uv || \
	  { $(BIN)/python -m ensurepip -q && $(BIN)/python -m pip install -q --disable-pip-version-check uv; }

venv-run: $(VENV)/.run-installed
$(VENV)/.run-installed: pyproject.toml $(FUNCTION_REQUIREMENTS) | $(UV)
	$(UV_INSTALL) -e . $(addprefix -r ,$(FUNCTION_REQUIREMENTS))
	touch $@

# pip too: the runtime and function-deps targets below, `make bench` and synth's bundling use it.
venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml $(FUNCTION_REQUIREMENTS) | $(VENV)/.run-installed
	$(UV_INSTALL) -e '.[dev]' pip $(addprefix -r ,$(FUNCTION_REQUIREMENTS))
	touch $@

# The Lambda Python runtime's boto3 plus the Powertools layer, and nothing else: handlers are
# imported from their deployable folders with only this on the path (tests, benchmarks); a
# function with a requirements.txt also gets its own .lambda-deps/<name>/ (what its asset holds).
runtime: $(RUNTIME)/.installed $(LAMBDA_DEPS)/.installed
$(RUNTIME)/.installed: functions/runtime-requirements.txt | $(VENV)/.installed
	rm -rf $(RUNTIME)
	$(BIN)/pip install -q --disable-pip-version-check --target $(RUNTIME) -r functions/runtime-requirements.txt
	touch $@

$(LAMBDA_DEPS)/.installed: $(FUNCTION_REQUIREMENTS) | $(VENV)/.installed
	rm -rf $(LAMBDA_DEPS)
	for requirements in $(FUNCTION_REQUIREMENTS); do \
	  name=$$(basename $$(dirname $$requirements)); \
	  $(BIN)/pip install -q --disable-pip-version-check --no-compile --target $(LAMBDA_DEPS)/$$name \
	    -r $$requirements || exit 1; \
	done
	touch $@

# The CDK CLI that `make deploy` runs, for the test that synthesizes with it (npm only, ~5 s);
# without npm that test is skipped and says why.
cdk-cli:
	@if command -v npm >/dev/null; then \
	  test -x $(CDK_CLI)/node_modules/.bin/cdk || \
	  npm install -q --no-save --no-audit --no-fund --prefix $(CDK_CLI) aws-cdk@2 >/dev/null; \
	else echo "npm not found: the CDK CLI synth test will be skipped (Node.js 20+ is needed)"; fi

# axe-core for the console's browser tests (npm, never committed or served; ~2 s): the exact
# release tests/e2e/console_browser.py checks the digest of. Without npm those tests are skipped.
AXE_CORE := .axe-core
AXE_CORE_VERSION := 4.14.1
axe-core:
	@if command -v npm >/dev/null; then \
	  grep -qs '"version": "$(AXE_CORE_VERSION)"' $(AXE_CORE)/node_modules/axe-core/package.json || \
	  npm install -q --no-save --no-audit --no-fund --prefix $(AXE_CORE) axe-core@$(AXE_CORE_VERSION) >/dev/null; \
	else echo "npm not found: the console's browser tests will be skipped (they need axe-core from npm)"; fi

# Debian's chromium for the console's browser tests (Playwright drives it; its own browser download
# is never used). Installed only when missing; needs root (or sudo) and the Debian archive.
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

test: venv runtime cdk-cli axe-core browser
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# `make run FRESH=1` starts with empty tables: the saved ones and the raw events of earlier runs
# are removed (docs/local.md, "What it keeps across restarts").
FRESH ?=
run: venv-run
	$(if $(filter-out 0 off no false,$(FRESH)),SNIP_FRESH=on )$(BIN)/snip serve

# CDK context for synth/deploy/destroy, e.g. CDK_ARGS="-c domainName=sho.rt -c certificateArn=arn:..."
# (docs/deploy.md). synth needs no AWS account, no Docker and no CDK CLI; deploy uses the CLI via npx.
# synth installs the functions' requirements with pip (PyPI), cached in .build/lambda-deps/.
CDK_ARGS ?=

synth: venv
	$(BIN)/python -m infra.synth $(CDK_ARGS)

deploy: venv
	npx --yes aws-cdk@2 deploy --all --require-approval never --outputs-file cdk.out/outputs.json $(CDK_ARGS)

destroy: venv
	npx --yes aws-cdk@2 destroy --all --force $(CDK_ARGS)

# docs/openapi.json from the routes and models (a test checks it equals what /openapi.json serves).
api-docs: venv
	$(BIN)/python -m tests.service.test_api_reference

bench: venv runtime
	$(BIN)/pip install -q --disable-pip-version-check -r bench/requirements.txt
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(RUNTIME) $(LAMBDA_DEPS) $(CDK_CLI) $(AXE_CORE) .build cdk.out .pytest_cache .mypy_cache .ruff_cache
