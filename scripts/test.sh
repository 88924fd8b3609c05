#!/usr/bin/env bash
# Installs vinopy with its test dependencies into .venv and runs lint and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
pip install -q --upgrade pip
pip install -q -e ".[test]"
ruff check .
ruff format --check .
python -m pytest -n 2 "$@"
