#!/usr/bin/env bash
# Installs the Debian packages a make target needs, when they are missing. Two sets:
#   build  what `make install` needs to build the .venv (make demo needs no more): a C compiler, the
#          interpreter's headers and venv module, and MariaDB's client headers + pkg-config, against which
#          pip builds mysqlclient (extra mysql; it has no Linux wheel).
#   all    build, plus the servers and the browser the test suites run for real (make test, test-e2e,
#          bench, test-distributed): Redis, PostgreSQL 15, MariaDB, Chromium.
# Usage: system-deps.sh [build|all] (default all); PYTHON names the interpreter of the venv (default python3).
# CI machines start clean and run as root; a developer without root gets a clear message instead.
set -euo pipefail
set_name=${1:-all}
case "$set_name" in build | all) ;; *)
  echo "usage: $0 [build|all]" >&2
  exit 2
  ;;
esac
python=${PYTHON:-python3}
need=()
# --- build: what pip needs to install the project with its extras ---
{ command -v cc >/dev/null 2>&1 && [ -f /usr/include/stdio.h ]; } || need+=(build-essential)
if command -v "$python" >/dev/null 2>&1; then
  include=$("$python" -c 'import sysconfig; print(sysconfig.get_path("include"))' 2>/dev/null || true)
  [ -f "$include/Python.h" ] || need+=(python3-dev)
  "$python" -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
fi
[ -f /usr/include/mariadb/mysql.h ] || need+=(libmariadb-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if [ "$set_name" = all ]; then
  # --- servers and browser of the test suites ---
  # Redis for the shared rate-limit backend (tests/integration, tests/distributed).
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  # PostgreSQL 15 for the warehouse-sync tests (scripts/pg-test-cluster.sh starts a private cluster).
  [ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
  # MariaDB for the MySQL warehouse tests (scripts/mariadb-test-server.sh).
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
  # Debian's Chromium for the connection-form browser test (Playwright drives it; it never downloads a browser).
  [ -x /usr/bin/chromium ] || need+=(chromium)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} (run: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "installing Debian packages ($set_name set): ${need[*]}"
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
