# The README's two commands: `make run` (quick profile of every notebook, then the PDF) and `make test`.
# Each first does the set-up: Debian packages (scripts/setup_system.sh) and .venv with pinned packages.
# Both steps are idempotent and quiet when already done.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROFILE ?= quick
export PYTHONUNBUFFERED := 1

# set-up also builds the Wasm canisters of kernels/requests (clang, wasm-ld; quiet when up to date)
.PHONY: setup system run test report lab bench target clean-results

setup: system $(STAMP)
	@$(PY) -m kernels.requests.canisters.build

system:
	@bash scripts/setup_system.sh

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

run: setup
	$(PY) -m kernels run --profile $(PROFILE)

report: setup
	$(PY) -m kernels report

test: setup
	$(PY) -m pytest -q

lab: setup
	$(PY) -m kernels lab

target: setup
	$(PY) -m kernels target sha256
