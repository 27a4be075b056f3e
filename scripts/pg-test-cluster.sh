#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for tests: private data directory, private port, 127.0.0.1 only.
#
#   scripts/pg-test-cluster.sh start DIR PORT   # initdb DIR/data (once) and start; prints the SQLAlchemy URL
#   scripts/pg-test-cluster.sh stop DIR         # fast shutdown (the data directory stays; delete DIR yourself)
#
# Authentication is "trust", acceptable only because the server listens on 127.0.0.1 alone and its unix
# socket lives in DIR. initdb refuses to run as root, so as root every server command runs as the
# `postgres` system user (runuser) and DIR is handed to that user. Binaries: $PG_BIN, default
# /usr/lib/postgresql/15/bin (scripts/system-deps.sh installs them).
set -euo pipefail
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
cmd="${1:-}"
dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 2
fi
if [ ! -x "$PG_BIN/initdb" ]; then
  echo "PostgreSQL binaries not found in $PG_BIN (run: bash scripts/system-deps.sh)" >&2
  exit 1
fi
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  as_owner=(runuser -u postgres --)
fi
case "$cmd" in
  start)
    port="${3:?port required}"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      "${as_owner[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # -F: no fsync (test data); listen on 127.0.0.1 only; the unix socket in DIR, not /var/run/postgresql.
    "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-F -h 127.0.0.1 -p $port -k $dir" start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    ;;
  *)
    echo "unknown command $cmd (start|stop)" >&2
    exit 2
    ;;
esac
