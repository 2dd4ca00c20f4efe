#!/usr/bin/env bash
# Stop what infra/up.sh started, and nothing else: a PostgreSQL, Redis or Kafka that was
# already running before up.sh is never touched.
#
#   infra/down.sh                stop everything up.sh started (mailcatcher, kafka, redis, postgres)
#   infra/down.sh kafka          stop only the Kafka broker (SIGTERM, wait, then SIGKILL);
#                                data (topics, committed offsets) is kept for the next `up.sh kafka`
#   infra/down.sh --purge kafka  also delete that component's data (Kafka topics, private
#                                PostgreSQL cluster, Redis dir) under $TALLY_DATA_DIR
#
# Idempotent: stopping something that is not running is a no-op.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
  exit "${1:-0}"
}

PURGE=0
COMPONENTS=()
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage 0 ;;
    --purge) PURGE=1 ;;
    all) COMPONENTS=(mailcatcher kafka redis postgres) ;;
    postgres | pg) COMPONENTS+=(postgres) ;;
    redis | kafka) COMPONENTS+=("$arg") ;;
    mailcatcher | mail) COMPONENTS+=(mailcatcher) ;;
    *) warn "unknown argument: $arg"; usage 2 ;;
  esac
done
[[ ${#COMPONENTS[@]} -gt 0 ]] || COMPONENTS=(mailcatcher kafka redis postgres)

mkdir -p "$STATE_DIR"
acquire_lock

purge_dir() {
  local d="$1"
  [[ -n "$d" && -d "$d" ]] || return 0
  case "$d" in
    "$TALLY_DATA_DIR"/* | /var/lib/tally/*) ;;
    *) warn "not purging $d: outside $TALLY_DATA_DIR"; return 0 ;;
  esac
  log "purging $d"
  rm -rf -- "$d"
}

down_mailcatcher() {
  if pid_alive "$MAILCATCHER_PIDFILE"; then
    stop_pid "$MAILCATCHER_PIDFILE" mailcatcher 10
  else
    rm -f "$MAILCATCHER_PIDFILE"
    log "mailcatcher: not started by infra/up.sh (nothing to stop)"
  fi
  [[ $PURGE == 1 ]] && purge_dir "$MAILCATCHER_DIR"
  return 0
}

down_kafka() {
  if kafka_ours_running; then
    stop_pid "$KAFKA_PIDFILE" "kafka broker" "$KAFKA_STOP_TIMEOUT"
  else
    rm -f "$KAFKA_PIDFILE"
    if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
      log "kafka: $KAFKA_HOST:$KAFKA_PORT is served by a broker infra/up.sh did not start; left alone"
    else
      log "kafka: not running"
    fi
  fi
  [[ $PURGE == 1 ]] && purge_dir "$KAFKA_DATA_DIR"
  return 0
}

down_redis() {
  if pid_alive "$REDIS_PIDFILE"; then
    stop_pid "$REDIS_PIDFILE" "redis-server :$REDIS_PORT" 10
  else
    rm -f "$REDIS_PIDFILE"
    log "redis: not started by infra/up.sh on port $REDIS_PORT (left alone)"
  fi
  [[ $PURGE == 1 ]] && purge_dir "$REDIS_DIR"
  return 0
}

down_postgres() {
  local marker="$STATE_DIR/postgres-$PGPORT.started"
  if [[ ! -f "$marker" ]]; then
    log "postgres: not started by infra/up.sh on port $PGPORT (left alone)"
    return 0
  fi
  local PG_MODE="" PG_CLUSTER_VERSION="" PG_CLUSTER_NAME="" PG_BINDIR="" PG_DATA="" PG_DIR="" PG_OWNER=""
  # shellcheck disable=SC1090 # written by up.sh with printf %q
  source "$marker"
  case "$PG_MODE" in
    cluster)
      log "postgres: stopping cluster $PG_CLUSTER_VERSION/$PG_CLUSTER_NAME (it was down before up.sh started it)"
      pg_ctlcluster --skip-systemctl-redirect --mode fast "$PG_CLUSTER_VERSION" "$PG_CLUSTER_NAME" stop >&2 ||
        warn "postgres: pg_ctlcluster stop failed (already stopped?)"
      ;;
    private)
      local runas=()
      [[ -n "$PG_OWNER" ]] && is_root && runas=(runuser -u "$PG_OWNER" --)
      if [[ -f "$PG_DATA/postmaster.pid" ]]; then
        log "postgres: stopping private cluster $PG_DATA"
        "${runas[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >&2 ||
          warn "postgres: pg_ctl stop failed"
      fi
      [[ $PURGE == 1 ]] && purge_dir "$PG_DIR"
      ;;
    *) warn "postgres: unknown marker $marker" ;;
  esac
  rm -f "$marker"
  ok "postgres: stopped"
}

for c in "${COMPONENTS[@]}"; do
  "down_$c"
done
