#!/usr/bin/env bash
# Print the state of Tally's local infrastructure.
#
#   infra/status.sh              postgres (+ the six databases), redis, kafka; mailcatcher for information
#   infra/status.sh kafka        only the named components (postgres redis kafka mailcatcher)
#   infra/status.sh --deep       also ask the Kafka broker for its topic list (starts a JVM, ~2 s)
#
# Exit status: 0 only if every checked component is up (the mail catcher counts only
# when named explicitly).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
  exit "${1:-0}"
}

DEEP=0
COMPONENTS=()
REQUIRED_MAIL=0
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage 0 ;;
    --deep) DEEP=1 ;;
    all) COMPONENTS=(postgres redis kafka mailcatcher) ;;
    postgres | pg) COMPONENTS+=(postgres) ;;
    redis | kafka) COMPONENTS+=("$arg") ;;
    mailcatcher | mail) COMPONENTS+=(mailcatcher); REQUIRED_MAIL=1 ;;
    *) warn "unknown argument: $arg"; usage 2 ;;
  esac
done
[[ ${#COMPONENTS[@]} -gt 0 ]] || COMPONENTS=(postgres redis kafka mailcatcher)

FAIL=0
line() { # name state detail
  local colour="$_c_grn"
  [[ "$2" == up ]] || colour="$_c_red"
  [[ "$2" == optional* ]] && colour="$_c_ylw"
  printf '  %-12s %s%-9s%s %s\n' "$1" "$colour" "$2" "$_c_off" "$3"
}

st_postgres() {
  local origin="external"
  [[ -f "$STATE_DIR/postgres-$PGPORT.started" ]] && origin="started by infra/up.sh"
  if ! pg_ready; then
    line postgres down "nothing answers on $PGHOST:$PGPORT"
    FAIL=1
    return
  fi
  if ! have psql; then
    line postgres up "$PGHOST:$PGPORT ($origin); psql missing, databases not checked"
    return
  fi
  local missing=() db present alt
  if ! present="$(pg_psql -d postgres -tAc "SELECT datname FROM pg_database" 2>&1)"; then
    # retry with the password infra/up.sh sets on a stock Debian cluster (pg_ensure_login in up.sh)
    if [[ -z "${PGPASSWORD:-}" ]] && alt="$(PGPASSWORD=postgres pg_psql -d postgres -tAc "SELECT datname FROM pg_database" 2>/dev/null)"; then
      present="$alt"
      origin+=", password 'postgres'"
    else
      line postgres degraded "$PGHOST:$PGPORT ($origin) answers, but login as $PGUSER failed: $(head -n1 <<<"$present")"
      FAIL=1
      return
    fi
  fi
  for db in "${TALLY_DATABASES[@]}"; do
    grep -qx "$db" <<<"$present" || missing+=("$db")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    line postgres degraded "$PGHOST:$PGPORT ($origin); missing databases: ${missing[*]} (run infra/up.sh postgres)"
    FAIL=1
  else
    line postgres up "$PGHOST:$PGPORT ($origin); ${#TALLY_DATABASES[@]} tally_* databases present"
  fi
}

st_redis() {
  local origin="external"
  pid_alive "$REDIS_PIDFILE" && origin="started by infra/up.sh, pid $(pid_of "$REDIS_PIDFILE")"
  if redis_ping; then
    line redis up "$REDIS_HOST:$REDIS_PORT ($origin)"
  else
    line redis down "no PONG from $REDIS_HOST:$REDIS_PORT"
    FAIL=1
  fi
}

st_kafka() {
  local origin="external"
  kafka_ours_running && origin="Apache Kafka $KAFKA_VERSION, KRaft, started by infra/up.sh, pid $(pid_of "$KAFKA_PIDFILE")"
  if ! port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    if kafka_ours_running; then
      line kafka starting "pid $(pid_of "$KAFKA_PIDFILE") is up but $KAFKA_HOST:$KAFKA_PORT does not accept connections yet"
    else
      line kafka down "nothing answers on $KAFKA_HOST:$KAFKA_PORT"
    fi
    FAIL=1
    return
  fi
  local extra=""
  if [[ $DEEP == 1 ]]; then
    if ! kafka_libs_ready; then
      extra="; --deep skipped (no cached Kafka jars)"
    else
      local topics
      if topics="$(kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --list 2>/dev/null)"; then
        extra="; $(grep -c . <<<"$topics" || true) topic(s)"
      else
        line kafka degraded "$KAFKA_HOST:$KAFKA_PORT ($origin); port open but the metadata request failed"
        FAIL=1
        return
      fi
    fi
  fi
  line kafka up "$KAFKA_HOST:$KAFKA_PORT ($origin)$extra"
}

st_mailcatcher() {
  local origin="external"
  pid_alive "$MAILCATCHER_PIDFILE" && origin="started by infra/up.sh, pid $(pid_of "$MAILCATCHER_PIDFILE")"
  if port_open 127.0.0.1 "$MAILCATCHER_SMTP_PORT"; then
    line mailcatcher up "smtp 127.0.0.1:$MAILCATCHER_SMTP_PORT, http 127.0.0.1:$MAILCATCHER_HTTP_PORT ($origin)"
  elif [[ $REQUIRED_MAIL == 1 ]]; then
    line mailcatcher down "nothing answers on SMTP port $MAILCATCHER_SMTP_PORT"
    FAIL=1
  else
    line mailcatcher "optional" "not running (infra/up.sh mailcatcher)"
  fi
}

echo "Tally local infrastructure (data: $TALLY_DATA_DIR):"
for c in "${COMPONENTS[@]}"; do
  "st_$c"
done
exit "$FAIL"
