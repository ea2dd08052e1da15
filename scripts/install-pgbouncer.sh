#!/usr/bin/env bash
# Installs Debian's pgbouncer for the PgBouncer test suite; does nothing when it is already installed.
set -euo pipefail
if command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! $SUDO apt-get install -y --no-install-recommends pgbouncer; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends pgbouncer
fi
