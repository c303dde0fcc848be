#!/usr/bin/env bash
# The hub's store on PostgreSQL, for CI: installs Debian's postgresql when it
# is missing (root, apt), starts a private cluster under a temp dir as a
# non-root user (PostgreSQL refuses to run as root) on a free loopback port —
# no system service, no port a machine's own PostgreSQL might hold — exports
# POSTERM_TEST_DATABASE_URL and runs `make test-postgres` (or the command
# given as arguments). The cluster is stopped and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
  [ "$(id -u)" = 0 ] || { echo "ci-postgres: postgresql is not installed and we are not root" >&2; exit 1; }
  # No "main" cluster and no service: only the binaries are wanted.
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf ||
    echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql
fi
BIN=$(bindir)

# The user the server runs as: ourselves, or (as root) Debian's postgres
# user, which the package creates; nobody's would do as well.
run=()
owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
  owner=postgres
  id -u "$owner" >/dev/null 2>&1 || owner=nobody
  run=(runuser -u "$owner" --)
fi

tmp=$(mktemp -d /tmp/posterm-pg.XXXXXX)
chmod 755 "$tmp"
[ "$(id -u)" = 0 ] && chown "$owner" "$tmp"
cleanup() {
  "${run[@]}" "$BIN/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# A free loopback port: ask the kernel for one.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
  echo $((20000 + RANDOM % 20000)))

"${run[@]}" "$BIN/initdb" -D "$tmp/data" -U posterm --auth=trust --encoding=UTF8 --no-locale >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log" >&2; exit 1; }
"${run[@]}" "$BIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off" start >/dev/null ||
  { cat "$tmp/server.log" >&2; exit 1; }

export POSTERM_TEST_DATABASE_URL="postgres://posterm@127.0.0.1:$port/postgres?sslmode=disable"
echo "ci-postgres: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
if [ $# -gt 0 ]; then
  "$@"
else
  make test-postgres
fi
