#!/usr/bin/env bash
# Installs Debian's mariadb-server for the MySQL test suite without starting its service (the tests start their own server); does nothing when it is already installed.
set -euo pipefail
if [ -x /usr/sbin/mariadbd ] && command -v mariadb-install-db >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# The package starts a server on port 3306 after installing unless policy-rc.d says no (exit 101):
# say no for the length of the install when nothing else decides it already.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
if ! $SUDO apt-get install -y -q --no-install-recommends mariadb-server; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends mariadb-server
fi
