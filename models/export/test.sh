#!/usr/bin/env bash
# The exporter's Python tests, in the exporter's environment (venv.sh makes it from requirements.txt when missing):
# the AWQ repack proof, exports of the tiny model and of the published layout (test_export.py), bin/export against a
# local server in the hub's URL layout (test_hub.py). Offline; ~1 min once the environment exists.
set -euo pipefail
cd "$(dirname "$0")"
python="$(./venv.sh)"
export OMNISCRIBE_EXPORT_VENV="$("$python" -c 'import sys; print(sys.prefix)')"
"$python" -m unittest -v test_awq_repack test_export test_hub "$@"
