#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the pinned set (pyproject.toml + constraints.txt).
# Rasa 3.6 does not install on Python 3.11+, so an interpreter 3.10 is required.
#   scripts/bootstrap.sh            the app and the dev tools (`.[dev]`: tests, lint, browser)
#   scripts/bootstrap.sh --runtime  the app's runtime dependencies only (production;
#                                   scripts/install_runtime.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  "") TARGET=".[dev]" ;;
  --runtime) TARGET="." ;;
  *) echo "usage: scripts/bootstrap.sh [--runtime]" >&2; exit 2 ;;
esac

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 \
                   /usr/local/bin/python3.10 /usr/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 \
       && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  if ! PY=$(find_python); then
    echo "error: Python 3.10 not found (Rasa 3.6 needs it). Install it, e.g. 'pyenv install 3.10'," >&2
    echo "       or point PYTHON=/path/to/python3.10 at one." >&2
    exit 1
  fi
  echo "==> Creating .venv with $PY"
  "$PY" -m venv .venv
fi

echo "==> Installing the pinned packages into .venv (a few minutes the first time)"
.venv/bin/python -m pip install --progress-bar on --disable-pip-version-check -q "pip==24.0"
.venv/bin/python -m pip install --progress-bar on --disable-pip-version-check \
  -c constraints.txt -e "$TARGET"
echo "==> .venv is ready ($TARGET)"
