#!/usr/bin/env bash
# Sets ConvLab up (first run only, with Debian's Chromium) and runs the whole test suite:
# engine and visuals unit tests, AppTest page tests and Playwright browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash scripts/setup.sh test | tail -n 1)
export TF_CPP_MIN_LOG_LEVEL=2
exec "$venv/bin/python" -m pytest -n 2 --dist loadfile -p no:cacheprovider "$@" tests
