#!/usr/bin/env bash
# Installs schemathesis (pinned in requirements.txt) into tools/schemathesis/.venv from PyPI.
# test/schemathesis.e2e-spec.ts runs it against the service's own OpenAPI document.
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$dir/.venv"
if [[ -x "$venv/bin/st" ]] && "$venv/bin/pip" freeze 2>/dev/null | grep -qxF -f "$dir/requirements.txt"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$dir/requirements.txt"
echo "schemathesis installed in $venv"
