# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# Shared helpers for infra/up.sh, infra/down.sh, infra/status.sh and infra/kafka-cli.sh.
# Sourced, not executed. Everything here runs under `set -euo pipefail`.

# ---------------------------------------------------------------------------
# Locations and settings (all overridable from the environment)
# ---------------------------------------------------------------------------
INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$INFRA_DIR/.." && pwd)"

TALLY_DATA_DIR="${TALLY_DATA_DIR:-${HOME:-/tmp}/.local/share/tally}"
TALLY_CACHE_DIR="${TALLY_CACHE_DIR:-${HOME:-/tmp}/.cache/tally}"
STATE_DIR="$TALLY_DATA_DIR/state"

PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER

REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${REDIS_PORT:-6379}"

KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_POM="$INFRA_DIR/kafka/pom.xml"
KAFKA_DATA_DIR="$TALLY_DATA_DIR/kafka"

MAILCATCHER_SMTP_PORT="${MAILCATCHER_SMTP_PORT:-1025}"
MAILCATCHER_HTTP_PORT="${MAILCATCHER_HTTP_PORT:-8025}"

# One database per service, from the service list (libs/contracts/src/services.ts) through
# tools/services.js. Empty when the list cannot be read yet (no node or node_modules: npm install).
TALLY_DATABASES=()
if _tally_dbs="$(node "$REPO_ROOT/tools/services.js" databases 2>/dev/null)" && [[ -n "$_tally_dbs" ]]; then
  mapfile -t TALLY_DATABASES <<<"$_tally_dbs"
fi
unset _tally_dbs

# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  _c_dim=$'\e[2m'; _c_red=$'\e[31m'; _c_grn=$'\e[32m'; _c_ylw=$'\e[33m'; _c_off=$'\e[0m'
else
  _c_dim=''; _c_red=''; _c_grn=''; _c_ylw=''; _c_off=''
fi
log()  { printf '%s[infra]%s %s\n' "$_c_dim" "$_c_off" "$*" >&2; }
ok()   { printf '%s[infra]%s %s%s%s\n' "$_c_dim" "$_c_off" "$_c_grn" "$*" "$_c_off" >&2; }
warn() { printf '%s[infra]%s %sWARN:%s %s\n' "$_c_dim" "$_c_off" "$_c_ylw" "$_c_off" "$*" >&2; }
die()  { printf '%s[infra]%s %sERROR:%s %s\n' "$_c_dim" "$_c_off" "$_c_red" "$_c_off" "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [[ "$(id -u)" -eq 0 ]]; }

# ---------------------------------------------------------------------------
# Generic process / port helpers
# ---------------------------------------------------------------------------

# port_open HOST PORT -> 0 if a TCP connect succeeds within ~1 s
port_open() {
  local host="$1" port="$2"
  if have timeout; then
    timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
  else
    bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
  fi
}

# pid_alive PIDFILE -> 0 if the file names a live process (prints nothing)
pid_alive() {
  local f="$1" pid
  [[ -s "$f" ]] || return 1
  pid="$(tr -dc '0-9' <"$f")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

pid_of() { tr -dc '0-9' <"$1"; }

# stop_pid PIDFILE NAME TIMEOUT: SIGTERM, wait up to TIMEOUT s, then SIGKILL. Removes the file.
stop_pid() {
  local f="$1" name="$2" t="${3:-30}" pid i
  if ! pid_alive "$f"; then
    rm -f "$f"
    return 0
  fi
  pid="$(pid_of "$f")"
  log "stopping $name (pid $pid, SIGTERM, up to ${t}s)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < t * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name did not stop within ${t}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
  ok "$name stopped"
}

# Serialise concurrent up/down runs (e.g. several test workers calling up.sh at once).
acquire_lock() {
  mkdir -p "$STATE_DIR"
  if have flock; then
    exec 9>"$STATE_DIR/.lock"
    # every process these scripts leave running is started with 9>&- so it never keeps the lock
    if ! flock -w 120 9; then die "another infra script holds $STATE_DIR/.lock"; fi
  fi
}

apt_install() {
  # apt_install PKG... (root only); returns non-zero when it cannot install
  is_root && have apt-get || return 1
  log "installing with apt-get: $*"
  export DEBIAN_FRONTEND=noninteractive
  if [[ ! -f "$STATE_DIR/.apt-updated" ]]; then
    apt-get update -qq >&2 || return 1
    mkdir -p "$STATE_DIR" && touch "$STATE_DIR/.apt-updated"
  fi
  # 9>&-: daemons started by package scripts must not inherit the lock
  apt-get install -y -qq --no-install-recommends "$@" >&2 9>&-
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------
pg_ready() {
  if have pg_isready; then
    pg_isready -q -h "$PGHOST" -p "$PGPORT" -t 2 >/dev/null 2>&1
  else
    port_open "$PGHOST" "$PGPORT"
  fi
}

# Highest-versioned directory holding initdb + pg_ctl (Debian layout first, then PATH).
pg_bindir() {
  local d best=""
  best="$(for d in /usr/lib/postgresql/*/bin; do
            if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; fi
          done | sort -V | tail -n1)"
  if [[ -z "$best" ]] && have initdb && have pg_ctl; then
    best="$(dirname "$(command -v initdb)")"
  fi
  if [[ -n "$best" ]]; then echo "$best"; fi
  return 0
}

# psql that never prompts for a password (-w) and reads no ~/.psqlrc (-X)
pg_psql() { PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-5}" psql -X -w -q "$@"; }

# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------
redis_ping() {
  local reply
  if have redis-cli; then
    reply="$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null || true)"
  else
    reply="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"; printf "PING\r\n" >&3; head -c 7 <&3' "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null || true)"
  fi
  [[ "$reply" == *PONG* ]]
}
REDIS_DIR="$TALLY_DATA_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis-$REDIS_PORT.pid"

# ---------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------
kafka_version() {
  # the <kafka.version> property of infra/kafka/pom.xml is the single source of truth
  sed -n 's:.*<kafka.version>\([^<]*\)</kafka.version>.*:\1:p' "$KAFKA_POM" | head -n1
}
KAFKA_VERSION="${KAFKA_VERSION:-$(kafka_version)}"
KAFKA_LIBS="$TALLY_CACHE_DIR/kafka-$KAFKA_VERSION/libs"
KAFKA_PIDFILE="$KAFKA_DATA_DIR/kafka.pid"
KAFKA_PROPS="$KAFKA_DATA_DIR/server.properties"
KAFKA_LOG4J="$KAFKA_DATA_DIR/log4j.properties"
KAFKA_TOOLS_LOG4J="$KAFKA_DATA_DIR/tools-log4j.properties"
KAFKA_LOG_DIRS="$KAFKA_DATA_DIR/data"
KAFKA_APP_LOGS="$KAFKA_DATA_DIR/logs"

kafka_libs_ready() { [[ -f "$KAFKA_LIBS/.complete" ]] && compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; }

kafka_ours_running() {
  pid_alive "$KAFKA_PIDFILE" || return 1
  # guard against a recycled pid
  grep -qa 'kafka\.Kafka' "/proc/$(pid_of "$KAFKA_PIDFILE")/cmdline" 2>/dev/null
}

java_ok() {
  have java || return 1
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n1)"
  [[ -n "$v" && "$v" -ge 11 ]]
}

# Run a Kafka CLI class with the cached jars: kafka_java CLASS ARGS...
kafka_java() {
  local cls="$1"; shift
  write_kafka_tools_log4j
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Dlog4j.configuration="file:$KAFKA_TOOLS_LOG4J" \
    -cp "$KAFKA_LIBS/*" "$cls" "$@"
}

write_kafka_tools_log4j() {
  mkdir -p "$KAFKA_DATA_DIR"
  [[ -f "$KAFKA_TOOLS_LOG4J" ]] && return 0
  cat >"$KAFKA_TOOLS_LOG4J" <<'EOF'
# CLI tools: warnings only, on stderr
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

# ---------------------------------------------------------------------------
# Mail catcher
# ---------------------------------------------------------------------------
MAILCATCHER_DIR="$TALLY_DATA_DIR/mailcatcher"
MAILCATCHER_PIDFILE="$MAILCATCHER_DIR/mailcatcher.pid"
mailcatcher_deps_ok() {
  have node || return 1
  (cd "$REPO_ROOT" && node -e 'require.resolve("smtp-server");require.resolve("mailparser")') >/dev/null 2>&1
}
