#!/usr/bin/env bash
# The real services the tests use, on loopback and non-default ports:
#   Redis 7 (Debian redis-server) on 127.0.0.1:${INTELLIGENT_RETRY_REDIS_PORT:-6390}
#   PostgreSQL 15 (Debian postgresql) on 127.0.0.1:${INTELLIGENT_RETRY_PG_PORT:-5440}
#   Chromium (Debian chromium), for the dashboard's browser test
#
# Usage:
#   scripts/services.sh run -- <command…>   install what is missing, start, wait until ready, run the
#                                             command with REDIS_URL, DATABASE_URL and CHROMIUM_PATH set,
#                                             then stop what this call started (also on failure or ^C)
#   scripts/services.sh start | stop | env   the same steps by hand (`eval "$(scripts/services.sh env)"`)
#
# A service already answering on its port is reused and left running. Installing needs root (apt-get);
# without root, a missing service is an error that names it. INTELLIGENT_RETRY_SKIP_SERVICES=1 starts
# nothing: the tests that need a service are then skipped, each saying which service it needs.
set -euo pipefail

redis_port=${INTELLIGENT_RETRY_REDIS_PORT:-6390}
pg_port=${INTELLIGENT_RETRY_PG_PORT:-5440}
state=${INTELLIGENT_RETRY_SERVICES_DIR:-/tmp/intelligent-retry-services}
pg_bin=""

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

apt_updated=0
install_packages() {
  if [ "$(id -u)" != 0 ]; then
    die "missing $* and not root, so cannot apt-get install it; install it, or set INTELLIGENT_RETRY_SKIP_SERVICES=1 to skip the tests that need it"
  fi
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

find_pg_bin() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
}

ensure_installed() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  find_pg_bin
  [ -n "$pg_bin" ] || missing+=(postgresql)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ ${#missing[@]} = 0 ] || install_packages "${missing[@]}"
  find_pg_bin
  [ -n "$pg_bin" ] || die "postgresql installed but no /usr/lib/postgresql/*/bin found"
}

redis_up() { redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; }
pg_up() { "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" 2>/dev/null; }

wait_until() {
  local what=$1 check=$2
  for _ in $(seq 1 100); do
    if $check; then return 0; fi
    sleep 0.1
  done
  die "$what did not become ready within 10 s"
}

start_redis() {
  if redis_up; then log "redis already on 127.0.0.1:$redis_port (reused)"; return; fi
  mkdir -p "$state"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --maxmemory-policy noeviction --daemonize yes --pidfile "$state/redis.pid" \
    --logfile "$state/redis.log" >&2
  wait_until "redis on port $redis_port" redis_up
  started_redis=1
  log "redis started on 127.0.0.1:$redis_port"
}

start_postgres() {
  if pg_up; then log "postgres already on 127.0.0.1:$pg_port (reused)"; return; fi
  local data="$state/pg"
  mkdir -p "$state"
  chmod 755 "$state"
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    mkdir -p "$data"
    chown postgres:postgres "$data" 2>/dev/null || true
    as_postgres "$pg_bin/initdb" --no-sync -A trust -U postgres -D "$data" >"$state/initdb.log" 2>&1 \
      || die "initdb failed: $(tail -n 5 "$state/initdb.log")"
  fi
  touch "$state/pg.log"
  chown postgres:postgres "$state/pg.log" 2>/dev/null || true
  as_postgres "$pg_bin/pg_ctl" -D "$data" -l "$state/pg.log" -w -t 20 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2 || die "postgres did not start: $(tail -n 5 "$state/pg.log")"
  wait_until "postgres on port $pg_port" pg_up
  started_pg=1
  log "postgres started on 127.0.0.1:$pg_port"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

started_redis=0
started_pg=0

# Stops what this process started: `run` stops what it started itself, `stop` what `start` recorded.
stop_all() {
  if [ "$started_redis" = 1 ]; then
    rm -f "$state/redis.started"
    if [ -f "$state/redis.pid" ]; then kill "$(cat "$state/redis.pid")" 2>/dev/null || true; fi
    log "redis stopped"
  fi
  if [ "$started_pg" = 1 ]; then
    rm -f "$state/pg.started"
    find_pg_bin
    as_postgres "$pg_bin/pg_ctl" -D "$state/pg" -m fast -w stop >/dev/null 2>&1 || true
    log "postgres stopped"
  fi
}

print_env() {
  echo "export REDIS_URL=redis://127.0.0.1:$redis_port"
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/postgres"
  echo "export CHROMIUM_PATH=$(command -v chromium || echo /usr/bin/chromium)"
}

start_all() {
  ensure_installed
  start_redis
  start_postgres
}

case "${1:-}" in
  start)
    start_all
    [ "$started_redis" = 0 ] || touch "$state/redis.started"
    [ "$started_pg" = 0 ] || touch "$state/pg.started"
    print_env
    ;;
  stop)
    [ ! -f "$state/redis.started" ] || started_redis=1
    [ ! -f "$state/pg.started" ] || started_pg=1
    stop_all
    ;;
  env) print_env ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || die "usage: scripts/services.sh run -- <command…>"
    if [ "${INTELLIGENT_RETRY_SKIP_SERVICES:-}" = 1 ]; then
      log "INTELLIGENT_RETRY_SKIP_SERVICES=1: starting nothing; tests that need Redis, PostgreSQL or Chromium are skipped"
      exec "$@"
    fi
    trap 'stop_all' EXIT INT TERM
    start_all
    eval "$(print_env)"
    "$@"
    ;;
  *) die "usage: scripts/services.sh run -- <command…> | start | stop | env" ;;
esac
