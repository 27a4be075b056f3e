#!/usr/bin/env bash
# A throw-away MariaDB server for tests: private data directory, private port, 127.0.0.1 only.
#
#   scripts/mariadb-test-server.sh start DIR PORT   # install the system tables in DIR/data (once), start;
#                                                   # prints the SQLAlchemy URL (user root, no password)
#   scripts/mariadb-test-server.sh stop DIR         # shutdown (the data directory stays; delete DIR yourself)
#
# root has no password, acceptable only because the server listens on 127.0.0.1 alone and its unix socket
# lives in DIR. mariadbd refuses to run as root, so as root the server runs as the `mysql` system user
# (created by Debian's mariadb-server package) and DIR is handed to that user. Binaries: Debian's
# mariadb-server (scripts/system-deps.sh installs it).
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 2
fi
if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  echo "MariaDB server not found (run: bash scripts/system-deps.sh)" >&2
  exit 1
fi
PATH="$PATH:/usr/sbin"
user=()
if [ "$(id -u)" -eq 0 ]; then
  user=(--user=mysql)
fi
case "$cmd" in
  start)
    port="${3:?port required}"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown -R mysql: "$dir"; fi
    if [ ! -d "$dir/data/mysql" ]; then
      mariadb-install-db --no-defaults "${user[@]}" --datadir="$dir/data" --auth-root-authentication-method=normal \
        --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
    fi
    # --no-defaults: none of /etc/mysql's settings (its socket, port, log paths); no fsync of test data.
    mariadbd --no-defaults "${user[@]}" --datadir="$dir/data" --bind-address=127.0.0.1 --port="$port" \
      --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/server.log" \
      --skip-name-resolve --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-buffer-pool-size=64M \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_bin --default-time-zone=+00:00 \
      >/dev/null 2>&1 &
    for _ in $(seq 1 600); do
      if mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1; then
        # root over TCP: with --skip-name-resolve 127.0.0.1 is not "localhost"
        mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot -e \
          "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
        echo "mysql://root@127.0.0.1:$port/mysql"
        exit 0
      fi
      sleep 0.1
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/mysqld.pid" ]; then
      pid="$(cat "$dir/mysqld.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || exit 0
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
    fi
    ;;
  *)
    echo "unknown command $cmd (start|stop)" >&2
    exit 2
    ;;
esac
