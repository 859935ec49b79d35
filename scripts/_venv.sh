# Shared by scripts/start and scripts/test: create .venv and install the project once, again
# only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))." >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.install-stamp"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)-$1"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "Installing dependencies into .venv (first run only) ..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$1]" >&2
  echo "$wanted" > "$stamp"
fi
