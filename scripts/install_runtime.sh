#!/usr/bin/env bash
# Production install: .venv with the app's runtime dependencies only, at the pinned versions
# (pyproject.toml's `dependencies` + constraints.txt); no test, lint or browser tools (those are
# the `dev` extra that `make install` adds). Run it in the deployed copy, e.g. /opt/assistant.
set -euo pipefail
exec "$(dirname "$0")/bootstrap.sh" --runtime
