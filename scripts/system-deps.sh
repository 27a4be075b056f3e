#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real, when they are missing.
# CI machines start clean and run as root; a developer without root gets a clear message instead.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# PostgreSQL 15 for the warehouse-sync tests (scripts/pg-test-cluster.sh starts a private cluster).
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
# MariaDB for the MySQL warehouse tests (scripts/mariadb-test-server.sh); its client headers build mysqlclient.
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
[ -f /usr/include/mariadb/mysql.h ] || need+=(libmariadb-dev pkg-config)
# Debian's Chromium for the connection-form browser test (Playwright drives it; it never downloads a browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} (run: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
