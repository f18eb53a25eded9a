#!/usr/bin/env bash
# Prints the path of the exporter's Python, first making its virtual environment from requirements.txt when it is
# missing or was made from another requirements.txt (bin/export and test.sh call it).
#
#   OMNISCRIBE_EXPORT_VENV   where (default ${XDG_CACHE_HOME:-$HOME/.cache}/omniscribe/export-venv)
#   OMNISCRIBE_PIP_ARGS      extra pip arguments (default: --extra-index-url https://download.pytorch.org/whl/cpu
#                            when that index answers within 5 s, so torch comes as the CPU build, not PyPI's CUDA
#                            one; nothing when it does not answer, e.g. offline with a local index)
#
# Needs python3 with the venv module (Debian: apt-get install python3 python3-venv). pip's own settings
# (PIP_INDEX_URL, pip.conf) apply. Progress goes to stderr; stdout is the Python path alone.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$here/requirements.txt"
venv="${OMNISCRIBE_EXPORT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/omniscribe/export-venv}"
want="$(sha256sum "$req" | cut -d' ' -f1)"
stamp="$venv/.requirements.sha256"

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "venv.sh: python3 not found (Debian: apt-get install python3 python3-venv)" >&2
    exit 2
  fi
  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  flock 9
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "venv.sh: making the exporter's Python environment in $venv (models/export/requirements.txt)" >&2
    rm -f "$stamp"
    if ! python3 -m venv "$venv" >&2; then
      echo "venv.sh: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
      exit 2
    fi
    torch_index=https://download.pytorch.org/whl/cpu
    if [ -z "${OMNISCRIBE_PIP_ARGS+set}" ]; then
      if "$venv/bin/python" -c "import urllib.request as u; u.urlopen('$torch_index/', timeout=5)" 2>/dev/null; then
        OMNISCRIBE_PIP_ARGS="--extra-index-url $torch_index"
      else
        OMNISCRIBE_PIP_ARGS=""
      fi
    fi
    # shellcheck disable=SC2086  # word splitting of the extra arguments is intended
    "$venv/bin/python" -m pip install --disable-pip-version-check -q $OMNISCRIBE_PIP_ARGS -r "$req" >&2
    echo "$want" >"$stamp"
  fi
fi
echo "$venv/bin/python"
