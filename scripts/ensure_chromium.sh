#!/usr/bin/env bash
# The browser tests drive Debian's chromium (Playwright's own browser download is not
# reachable here). Install it with apt when missing; as non-root, say what to run.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "error: chromium is missing; install it: sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "==> Installing chromium (Debian package, about a minute)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "==> chromium $(chromium --version 2>/dev/null | awk '{print $2}') installed"
