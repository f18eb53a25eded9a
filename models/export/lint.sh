#!/usr/bin/env bash
# Lints the exporter's Python with flake8 (settings: .flake8 here); exits non-zero on any finding.
# flake8 comes from Debian (apt-get install flake8); it is installed here when missing and we are root.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v flake8 >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q flake8
  else
    echo "flake8 not found: apt-get install flake8" >&2
    exit 2
  fi
fi

flake8 --config .flake8 .
echo "flake8: no findings in models/export"
