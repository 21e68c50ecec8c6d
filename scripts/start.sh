#!/usr/bin/env bash
# Sets ConvLab up (first run only) and starts it on http://localhost:8501 with its embedded data.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash scripts/setup.sh app | tail -n 1)
exec "$venv/bin/python" scripts/serve.py "$@"
