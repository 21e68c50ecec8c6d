#!/usr/bin/env bash
# Sets up ConvLab on a fresh Linux machine with Python 3.11 and prints the virtualenv's path last.
#   bash scripts/setup.sh app    runtime packages only
#   bash scripts/setup.sh test   runtime + test packages, Debian's Chromium for the browser tests and
#                                nginx for the two-replica test
# The virtualenv lives outside the clone, keyed by the requirement files' hash, so a fresh
# clone reuses an identical one. CONVLAB_VENV overrides its location.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-app}
python=${PYTHON:-python3}
hash=$(cat requirements.txt requirements-test.txt | sha256sum | cut -c1-16)
venv=${CONVLAB_VENV:-$HOME/.cache/convlab/venv-$hash}
req=requirements.txt
[ "$kind" = test ] && req=requirements-test.txt

if [ ! -f "$venv/.ready-$kind" ]; then
  echo "Installing ConvLab's packages into $venv ..." >&2
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$venv/.ready-$kind"
fi

if [ "$kind" = test ] && ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's Chromium for the browser tests ..." >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium fonts-noto-cjk >&2
fi

if [ "$kind" = test ] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "Installing Debian's nginx for the replica tests (tests/browser/test_replicas_nginx.py) ..." >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq nginx >&2
fi
echo "$venv"
