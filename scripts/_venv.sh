# Shared by scripts/start and scripts/test: make .venv hold exactly requirements.lock (plus the
# project itself, editable). It is built anew whenever the lock or pyproject.toml changes, so
# nothing of an earlier set of packages survives.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))." >&2
  exit 2
fi
"$PYTHON" scripts/check_lock.py
stamp=".venv/.install-stamp"
wanted="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "Installing the locked dependencies into .venv (first run, or the lock changed) ..." >&2
  rm -rf .venv
  "$PYTHON" -m venv .venv
  pip_install=(.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps)
  "${pip_install[@]}" --require-hashes -r requirements.lock >&2
  "${pip_install[@]}" --no-build-isolation -e . >&2
  echo "$wanted" > "$stamp"
fi
