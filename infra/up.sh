#!/usr/bin/env bash
# Bring up Tally's local infrastructure as plain local processes (no Docker):
# PostgreSQL (+ one database per service of libs/contracts/src/services.ts), Redis, a single-node Apache Kafka broker
# in KRaft mode (jars from Maven Central), the dev mail catcher, and the Kafka topics.
#
#   infra/up.sh                  everything
#   infra/up.sh kafka            only the given components (postgres redis kafka mailcatcher topics)
#   infra/up.sh --no-topics      everything but `npm run topics` (also: TALLY_SKIP_TOPICS=1)
#   eval "$(infra/up.sh)"        stdout carries only `export ...` lines; the log goes to stderr
#
# Idempotent: whatever already answers on its port is used as it is, never restarted.
# What this script starts is recorded under $TALLY_DATA_DIR/state so that infra/down.sh
# stops only that. See infra/README.md.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
  exit "${1:-0}"
}

ALL_COMPONENTS=(postgres redis kafka mailcatcher topics)
COMPONENTS=()
EXPLICIT=0
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage 0 ;;
    --no-topics) TALLY_SKIP_TOPICS=1 ;;
    all) COMPONENTS=("${ALL_COMPONENTS[@]}") ;;
    postgres | pg | redis | kafka | mailcatcher | mail | topics)
      [[ "$arg" == pg ]] && arg=postgres
      [[ "$arg" == mail ]] && arg=mailcatcher
      COMPONENTS+=("$arg"); EXPLICIT=1 ;;
    *) warn "unknown argument: $arg"; usage 2 ;;
  esac
done
[[ ${#COMPONENTS[@]} -gt 0 ]] || COMPONENTS=("${ALL_COMPONENTS[@]}")
if [[ "${TALLY_SKIP_TOPICS:-0}" == 1 ]]; then
  _keep=()
  for c in "${COMPONENTS[@]}"; do [[ "$c" == topics ]] || _keep+=("$c"); done
  COMPONENTS=("${_keep[@]}")
fi

declare -A RESULT=()
declare -A DETAIL=()
record() { RESULT[$1]="$2"; DETAIL[$1]="$3"; }

mkdir -p "$TALLY_DATA_DIR" "$STATE_DIR"
acquire_lock

# ===========================================================================
# PostgreSQL
# ===========================================================================
PG_MARKER="$STATE_DIR/postgres-$PGPORT.started"

wait_pg() {
  local i
  for ((i = 0; i < ${1:-60} * 2; i++)); do
    pg_ready && return 0
    sleep 0.5
  done
  return 1
}

# A Debian cluster (pg_lsclusters) configured for $PGPORT, started with pg_ctlcluster.
pg_start_debian_cluster() {
  have pg_lsclusters && have pg_ctlcluster || return 1
  local line ver name port status
  line="$(pg_lsclusters --no-header 2>/dev/null | awk -v p="$PGPORT" '$3 == p {print; exit}')"
  [[ -n "$line" ]] || return 1
  read -r ver name port status _ <<<"$line"
  log "postgres: starting installed cluster $ver/$name (port $port, was $status)"
  local launcher=()
  have setsid && launcher=(setsid)
  if ! "${launcher[@]}" pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >&2 9>&-; then
    warn "postgres: pg_ctlcluster $ver $name start failed"
    return 1
  fi
  wait_pg 60 || { warn "postgres: cluster $ver/$name started but $PGHOST:$PGPORT does not answer"; return 1; }
  {
    printf 'PG_MODE=cluster\n'
    printf 'PG_CLUSTER_VERSION=%q\n' "$ver"
    printf 'PG_CLUSTER_NAME=%q\n' "$name"
  } >"$PG_MARKER"
  record postgres started "Debian cluster $ver/$name on $PGHOST:$PGPORT (pg_ctlcluster)"
}

# A private cluster under $TALLY_DATA_DIR/postgres, created with initdb (trust auth).
pg_start_private_cluster() {
  local bindir dir pgdata owner="" runas=()
  bindir="$(pg_bindir)"
  [[ -n "$bindir" ]] || return 1
  dir="${TALLY_PG_DIR:-$TALLY_DATA_DIR/postgres}"
  if is_root; then
    # initdb/postgres refuse to run as root: run them as the 'postgres' system user.
    if ! id postgres >/dev/null 2>&1; then
      have useradd || { warn "postgres: running as root and no 'postgres' user to run the server as"; return 1; }
      useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    owner=postgres
    runas=(runuser -u postgres --)
    mkdir -p "$dir"
    chown postgres: "$dir"
    chmod 700 "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      # e.g. $HOME is /root (mode 700): the postgres user cannot reach it
      local fallback="/var/lib/tally/postgres-$PGPORT"
      warn "postgres: user 'postgres' cannot write $dir; using $fallback instead"
      rmdir "$dir" 2>/dev/null || true
      dir="$fallback"
      mkdir -p "$dir"
      chown postgres: "$dir"
      chmod 700 "$dir"
    fi
  else
    mkdir -p "$dir"
    chmod 700 "$dir"
  fi
  pgdata="$dir/data"
  if [[ -f "$pgdata/PG_VERSION" ]]; then
    # keep using the major version the cluster was created with
    local major
    major="$(cat "$pgdata/PG_VERSION")"
    [[ -x "/usr/lib/postgresql/$major/bin/pg_ctl" ]] && bindir="/usr/lib/postgresql/$major/bin"
  else
    log "postgres: initdb $pgdata ($bindir)"
    "${runas[@]}" "$bindir/initdb" -D "$pgdata" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; warn "postgres: initdb failed"; return 1; }
    echo "include_if_exists = 'tally.conf'" >>"$pgdata/postgresql.conf"
  fi
  local listen="$PGHOST"
  [[ "$PGHOST" == localhost || "$PGHOST" == 127.0.0.1 ]] && listen=127.0.0.1
  "${runas[@]}" mkdir -p "$dir/run"
  # rewritten at every start so PGPORT changes take effect
  "${runas[@]}" tee "$pgdata/tally.conf" >/dev/null <<EOF
# written by infra/up.sh at each start
port = $PGPORT
listen_addresses = '$listen'
unix_socket_directories = '$dir/run'
max_connections = 200
synchronous_commit = off
EOF
  log "postgres: starting private cluster $pgdata on $listen:$PGPORT"
  local launcher=()
  have setsid && launcher=(setsid)
  if ! "${launcher[@]}" "${runas[@]}" "$bindir/pg_ctl" -D "$pgdata" -l "$dir/postgres.log" -w -t 60 start >&2 9>&-; then
    tail -n 20 "$dir/postgres.log" >&2 || true
    warn "postgres: pg_ctl start failed"
    return 1
  fi
  wait_pg 30 || { warn "postgres: started but $PGHOST:$PGPORT does not answer"; return 1; }
  {
    printf 'PG_MODE=private\n'
    printf 'PG_BINDIR=%q\n' "$bindir"
    printf 'PG_DATA=%q\n' "$pgdata"
    printf 'PG_DIR=%q\n' "$dir"
    printf 'PG_OWNER=%q\n' "$owner"
  } >"$PG_MARKER"
  record postgres started "private cluster $pgdata on $PGHOST:$PGPORT (pg_ctl)"
}

# The apps connect over TCP as $PGUSER. A stock Debian/Ubuntu cluster allows that only
# with a password (scram-sha-256 on 127.0.0.1) while role postgres has none. Then:
#  - PGPASSWORD unset and 'postgres' works (the docker-compose convention): use it;
#  - else, as root on that local cluster and role postgres has NO password yet (so nobody
#    can be logging in over TCP with one): set it to 'postgres' through the Unix socket
#    (peer auth) and use it. Opt out with TALLY_PG_SET_PASSWORD=0.
PG_URL_AUTH=""  # what goes between user and @ in the printed DATABASE_URL_BASE
pg_ensure_login() {
  local err
  if err="$(pg_psql -d postgres -tAc 'SELECT 1' 2>&1 >/dev/null)"; then
    [[ -n "${PGPASSWORD:-}" ]] && PG_URL_AUTH=':${PGPASSWORD}'
    return 0
  fi
  if [[ "$err" != *password* && "$err" != *authentication* ]]; then
    die "postgres: cannot log in to $PGHOST:$PGPORT as $PGUSER: $err"
  fi
  if [[ -z "${PGPASSWORD:-}" ]] && PGPASSWORD=postgres pg_psql -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
    export PGPASSWORD=postgres
    PG_URL_AUTH=':postgres'
    log "postgres: $PGHOST:$PGPORT needs a password; using PGPASSWORD=postgres"
    return 0
  fi
  if [[ -z "${PGPASSWORD:-}" && "$PGUSER" == postgres && "${TALLY_PG_SET_PASSWORD:-1}" == 1 ]] &&
    is_root && id postgres >/dev/null 2>&1 && have pg_lsclusters &&
    [[ -n "$(pg_lsclusters --no-header 2>/dev/null | awk -v p="$PGPORT" '$3 == p && $4 == "online"')" ]]; then
    local nopw
    nopw="$(cd / && { runuser -u postgres -- env -u PGHOST -u PGUSER psql -X -w -q -p "$PGPORT" -d postgres -tAc \
      "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'postgres'" 2>/dev/null || true; })"
    if [[ "$nopw" == t ]]; then
      warn "postgres: the local cluster on port $PGPORT requires a password over TCP and role postgres had none;"
      warn "postgres: setting role postgres's password to 'postgres' (Unix-socket peer login is unchanged)"
      (cd / && runuser -u postgres -- env -u PGHOST -u PGUSER psql -X -w -q -p "$PGPORT" -d postgres \
        -c "ALTER ROLE postgres PASSWORD 'postgres'" >&2) || die "postgres: could not set the password"
      export PGPASSWORD=postgres
      PG_URL_AUTH=':postgres'
      pg_psql -d postgres -tAc 'SELECT 1' >/dev/null || die "postgres: still cannot log in over TCP"
      return 0
    fi
  fi
  die "postgres: $PGHOST:$PGPORT answers but refuses $PGUSER without a password ($err). \
Set PGPASSWORD (and PGUSER), or allow trust/password login for 127.0.0.1 in pg_hba.conf."
}

pg_create_databases() {
  if ! have psql; then
    apt_install postgresql-client || die "psql not found: install the PostgreSQL client (postgresql-client)"
  fi
  pg_ensure_login
  [[ ${#TALLY_DATABASES[@]} -gt 0 ]] ||
    die "postgres: cannot read the service list (libs/contracts/src/services.ts) with node tools/services.js: run npm install first"
  local db created=()
  for db in "${TALLY_DATABASES[@]}"; do
    if [[ "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
      pg_psql -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >&2 ||
        die "postgres: could not create database $db as user $PGUSER"
      created+=("$db")
    fi
  done
  if [[ ${#created[@]} -gt 0 ]]; then
    log "postgres: created databases: ${created[*]}"
    DETAIL[postgres]+="; created ${#created[@]} database(s)"
  else
    DETAIL[postgres]+="; all ${#TALLY_DATABASES[@]} databases present"
  fi
}

up_postgres() {
  if pg_ready; then
    if [[ -f "$PG_MARKER" ]]; then
      record postgres running "started earlier by infra/up.sh, $PGHOST:$PGPORT"
    else
      record postgres used "already running on $PGHOST:$PGPORT"
    fi
  elif pg_start_debian_cluster || pg_start_private_cluster; then
    :
  elif apt_install postgresql; then
    if pg_ready; then
      record postgres used "started by the postgresql package's install scripts on $PGHOST:$PGPORT"
    else
      pg_start_debian_cluster || pg_start_private_cluster ||
        die "postgres: installed the postgresql package but could not start a server on $PGHOST:$PGPORT"
    fi
  else
    die "postgres: nothing answers on $PGHOST:$PGPORT, no installed cluster for that port could be started, \
no initdb/pg_ctl found, and the postgresql package cannot be installed here (needs root + apt-get). \
Install PostgreSQL (15+) or point PGHOST/PGPORT at a running server."
  fi
  pg_create_databases
}

# ===========================================================================
# Redis
# ===========================================================================
up_redis() {
  if redis_ping; then
    if pid_alive "$REDIS_PIDFILE"; then
      record redis running "started earlier by infra/up.sh, $REDIS_HOST:$REDIS_PORT (pid $(pid_of "$REDIS_PIDFILE"))"
    else
      record redis used "already running on $REDIS_HOST:$REDIS_PORT"
    fi
    return 0
  fi
  if ! have redis-server; then
    apt_install redis-server ||
      die "redis: nothing answers on $REDIS_HOST:$REDIS_PORT and redis-server is not installed (install Redis 7, or run as root with apt-get)"
    if redis_ping; then
      record redis used "started by the redis-server package's install scripts on $REDIS_HOST:$REDIS_PORT"
      return 0
    fi
  fi
  mkdir -p "$REDIS_DIR"
  log "redis: starting redis-server on $REDIS_HOST:$REDIS_PORT"
  rm -f "$REDIS_PIDFILE"
  redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" \
    --save "" --appendonly no --dir "$REDIS_DIR" \
    --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_DIR/redis-$REDIS_PORT.log" >&2 9>&- ||
    die "redis: redis-server failed to start (see $REDIS_DIR/redis-$REDIS_PORT.log)"
  local i
  for ((i = 0; i < 40; i++)); do
    redis_ping && break
    sleep 0.25
  done
  redis_ping || { tail -n 20 "$REDIS_DIR/redis-$REDIS_PORT.log" >&2 || true; die "redis: started but does not answer PING"; }
  # the pid file appears shortly after daemonizing
  for ((i = 0; i < 20; i++)); do [[ -s "$REDIS_PIDFILE" ]] && break; sleep 0.1; done
  record redis started "redis-server on $REDIS_HOST:$REDIS_PORT (pid $(pid_of "$REDIS_PIDFILE" 2>/dev/null || echo '?'))"
}

# ===========================================================================
# Kafka
# ===========================================================================
ensure_java() {
  java_ok && return 0
  apt_install openjdk-17-jre-headless || die "kafka: Java 11+ (17 recommended) is required and 'java' was not found"
  java_ok || die "kafka: java still not usable after install"
}

ensure_kafka_libs() {
  if kafka_libs_ready; then
    return 0
  fi
  if ! have mvn; then
    apt_install maven || die "kafka: Maven (mvn) is required once to fetch the Kafka jars from Maven Central"
  fi
  log "kafka: fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS (one time)"
  local tmp="$KAFKA_LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$KAFKA_LIBS")"
  local mvn_log="$TALLY_CACHE_DIR/kafka-$KAFKA_VERSION/maven.log"
  if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$mvn_log" | tail -n 30 >&2
    rm -rf "$tmp"
    die "kafka: Maven could not fetch the jars (is Maven Central reachable? log: $mvn_log)"
  fi
  compgen -G "$tmp/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null || { rm -rf "$tmp"; die "kafka: kafka_2.13-$KAFKA_VERSION.jar missing after Maven run"; }
  touch "$tmp/.complete"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  ok "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars cached in $KAFKA_LIBS"
}

write_kafka_config() {
  mkdir -p "$KAFKA_DATA_DIR" "$KAFKA_LOG_DIRS" "$KAFKA_APP_LOGS"
  cat >"$KAFKA_PROPS" <<EOF
# Generated by infra/up.sh at every start; edits are overwritten.
# Single-node Apache Kafka $KAFKA_VERSION in KRaft mode (combined broker + controller).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT

log.dirs=$KAFKA_LOG_DIRS
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true

offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0

# After a hard kill the restarted broker must wait for its old registration to expire
# (DuplicateBrokerRegistrationException until then): keep that short (default 9 s).
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=3000

# modest threads and memory: a 2-core development machine
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.retention.hours=168
log.segment.bytes=104857600
log.retention.check.interval.ms=300000
EOF
  cat >"$KAFKA_LOG4J" <<'EOF'
# Generated by infra/up.sh. Broker log: ${kafka.logs.dir}/server.log (rolled at 10 MB).
log4j.rootLogger=INFO, server
log4j.appender.server=org.apache.log4j.RollingFileAppender
log4j.appender.server.File=${kafka.logs.dir}/server.log
log4j.appender.server.MaxFileSize=10MB
log4j.appender.server.MaxBackupIndex=5
log4j.appender.server.layout=org.apache.log4j.PatternLayout
log4j.appender.server.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.org.apache.zookeeper=WARN
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF
}

kafka_format_storage() {
  if [[ -f "$KAFKA_LOG_DIRS/meta.properties" ]]; then
    return 0
  fi
  local cid_file="$KAFKA_DATA_DIR/cluster.id" cid
  if [[ -s "$cid_file" ]]; then
    cid="$(cat "$cid_file")"
  else
    # same shape as Kafka's Uuid: 16 random bytes, URL-safe base64 without padding (22 chars)
    cid="-"
    while [[ "$cid" == -* ]]; do
      cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    echo "$cid" >"$cid_file"
  fi
  log "kafka: formatting storage $KAFKA_LOG_DIRS (cluster id $cid)"
  kafka_java kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_PROPS" --ignore-formatted >&2 ||
    die "kafka: storage format failed"
}

KAFKA_READY_MSG='Kafka Server started'

# Ready = the port accepts connections and the broker logged that it finished starting
# (logged by KafkaRaftServer after the broker is unfenced, i.e. it can serve metadata
# and create topics). $1 = server.log size before this start.
kafka_wait_ready() {
  local from="${1:-0}" timeout="${2:-$KAFKA_START_TIMEOUT}" deadline log="$KAFKA_APP_LOGS/server.log" size
  deadline=$((SECONDS + timeout))
  while :; do
    if [[ -f "$KAFKA_PIDFILE" ]] && ! pid_alive "$KAFKA_PIDFILE"; then
      warn "kafka: the broker process exited during start-up. Last log lines:"
      tail -n 30 "$KAFKA_DATA_DIR/kafka.out" >&2 2>/dev/null || true
      tail -n 30 "$log" >&2 2>/dev/null || true
      rm -f "$KAFKA_PIDFILE"
      die "kafka: broker failed to start (logs: $KAFKA_DATA_DIR/kafka.out, $log)"
    fi
    if port_open "$KAFKA_HOST" "$KAFKA_PORT" && [[ -f "$log" ]]; then
      size="$(stat -c %s "$log" 2>/dev/null || echo 0)"
      if ((from == 0 || size < from)); then
        # whole history (or the log rolled over meanwhile): look in the rolled files too
        if grep -q "$KAFKA_READY_MSG" "$log"* 2>/dev/null; then
          pid_of "$KAFKA_PIDFILE" >"$KAFKA_DATA_DIR/kafka.ready"
          return 0
        fi
      # (process substitution: grep -q may exit first without a SIGPIPE failing the test)
      elif grep -q "$KAFKA_READY_MSG" < <(tail -c +"$((from + 1))" "$log"); then
        pid_of "$KAFKA_PIDFILE" >"$KAFKA_DATA_DIR/kafka.ready"
        return 0
      fi
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$log" >&2 2>/dev/null || true
      die "kafka: broker not ready after ${timeout}s (pid $(pid_of "$KAFKA_PIDFILE" 2>/dev/null || echo '?'), logs: $log)"
    fi
    sleep 0.25
  done
}

up_kafka() {
  if kafka_ours_running; then
    # started earlier (possibly still starting): make sure it is ready, never start a second one
    if ! port_open "$KAFKA_HOST" "$KAFKA_PORT" ||
      [[ "$(cat "$KAFKA_DATA_DIR/kafka.ready" 2>/dev/null)" != "$(pid_of "$KAFKA_PIDFILE")" ]]; then
      kafka_wait_ready 0
    fi
    record kafka running "started earlier by infra/up.sh, $KAFKA_HOST:$KAFKA_PORT (pid $(pid_of "$KAFKA_PIDFILE"))"
    return 0
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    record kafka used "something already answers on $KAFKA_HOST:$KAFKA_PORT (not started by these scripts)"
    return 0
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT"; then
    die "kafka: port $KAFKA_CONTROLLER_PORT (KRaft controller) is taken by another process; set KAFKA_CONTROLLER_PORT"
  fi
  local t0=$SECONDS
  ensure_java
  ensure_kafka_libs
  write_kafka_config
  kafka_format_storage

  local out="$KAFKA_DATA_DIR/kafka.out" log_size launcher=()
  [[ -f "$out" ]] && mv -f "$out" "$out.1"
  log_size="$(stat -c %s "$KAFKA_APP_LOGS/server.log" 2>/dev/null || echo 0)"
  rm -f "$KAFKA_PIDFILE" "$KAFKA_DATA_DIR/kafka.ready"
  have setsid && launcher=(setsid)
  local heap_opts=() jvm_opts=()
  read -ra heap_opts <<<"$KAFKA_HEAP_OPTS"
  read -ra jvm_opts <<<"${KAFKA_JVM_OPTS:-}"
  KAFKA_CMD=(java "${heap_opts[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "${jvm_opts[@]}"
    "-Dkafka.logs.dir=$KAFKA_APP_LOGS" "-Dlog4j.configuration=file:$KAFKA_LOG4J"
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS")
  log "kafka: starting Apache Kafka $KAFKA_VERSION (KRaft) on $KAFKA_HOST:$KAFKA_PORT"
  printf '%q ' "${KAFKA_CMD[@]}" >"$KAFKA_DATA_DIR/kafka.cmd"
  echo >>"$KAFKA_DATA_DIR/kafka.cmd"
  # new session, detached from this shell; the wrapper records its pid and execs java in place
  # (the subshell drops the lock fd and execs, so nothing left running holds the lock)
  (
    exec 9>&- </dev/null >"$out" 2>&1
    cd "$KAFKA_DATA_DIR"
    exec "${launcher[@]}" nohup bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PIDFILE" "${KAFKA_CMD[@]}"
  ) &
  kafka_wait_ready "$log_size"
  record kafka started "Apache Kafka $KAFKA_VERSION (KRaft) on $KAFKA_HOST:$KAFKA_PORT, pid $(pid_of "$KAFKA_PIDFILE"), ready in $((SECONDS - t0))s; data $KAFKA_DATA_DIR"
}

# ===========================================================================
# Mail catcher (dev SMTP sink with an HTTP API)
# ===========================================================================
up_mailcatcher() {
  if pid_alive "$MAILCATCHER_PIDFILE" && port_open 127.0.0.1 "$MAILCATCHER_SMTP_PORT"; then
    record mailcatcher running "started earlier by infra/up.sh, smtp :$MAILCATCHER_SMTP_PORT, http :$MAILCATCHER_HTTP_PORT"
    return 0
  fi
  if port_open 127.0.0.1 "$MAILCATCHER_SMTP_PORT"; then
    record mailcatcher used "something already answers on SMTP port $MAILCATCHER_SMTP_PORT"
    return 0
  fi
  if ! mailcatcher_deps_ok; then
    if [[ $EXPLICIT == 1 ]]; then
      die "mailcatcher: needs node and the npm packages smtp-server and mailparser (run npm install at the repo root)"
    fi
    record mailcatcher skipped "npm packages smtp-server/mailparser not installed (npm install), no SMTP sink"
    return 0
  fi
  mkdir -p "$MAILCATCHER_DIR"
  rm -f "$MAILCATCHER_PIDFILE"
  local launcher=() i
  have setsid && launcher=(setsid)
  (
    exec 9>&- </dev/null >>"$MAILCATCHER_DIR/mailcatcher.log" 2>&1
    cd "$REPO_ROOT"
    export MAILCATCHER_SMTP_PORT MAILCATCHER_HTTP_PORT
    exec "${launcher[@]}" nohup bash -c 'echo $$ >"$0"; exec node infra/mailcatcher/mailcatcher.js' "$MAILCATCHER_PIDFILE"
  ) &
  for ((i = 0; i < 60; i++)); do
    port_open 127.0.0.1 "$MAILCATCHER_HTTP_PORT" && port_open 127.0.0.1 "$MAILCATCHER_SMTP_PORT" && break
    if [[ -f "$MAILCATCHER_PIDFILE" ]] && ! pid_alive "$MAILCATCHER_PIDFILE"; then break; fi
    sleep 0.25
  done
  if ! port_open 127.0.0.1 "$MAILCATCHER_HTTP_PORT"; then
    tail -n 20 "$MAILCATCHER_DIR/mailcatcher.log" >&2 || true
    die "mailcatcher: failed to start (log: $MAILCATCHER_DIR/mailcatcher.log)"
  fi
  record mailcatcher started "smtp 127.0.0.1:$MAILCATCHER_SMTP_PORT, http http://127.0.0.1:$MAILCATCHER_HTTP_PORT/messages (pid $(pid_of "$MAILCATCHER_PIDFILE"))"
}

# ===========================================================================
# Topics (the application's own script, if present)
# ===========================================================================
up_topics() {
  if [[ ! -d "$REPO_ROOT/node_modules/.bin" || ! -f "$REPO_ROOT/package.json" ]]; then
    record topics skipped "no node_modules at the repo root (npm ci), topics not created"
    return 0
  fi
  if ! node -e 'const p=require(process.argv[1]);process.exit(p.scripts&&p.scripts.topics?0:1)' "$REPO_ROOT/package.json" 2>/dev/null; then
    record topics skipped "package.json has no 'topics' script"
    return 0
  fi
  log "topics: npm run --silent topics (KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT)"
  (cd "$REPO_ROOT" && KAFKA_BROKERS="$KAFKA_HOST:$KAFKA_PORT" npm run --silent topics >&2) ||
    die "topics: 'npm run topics' failed"
  record topics "done" "npm run topics against $KAFKA_HOST:$KAFKA_PORT"
}

# ===========================================================================
T0=$SECONDS
for c in "${COMPONENTS[@]}"; do
  "up_$c"
done

{
  echo
  echo "Tally local infrastructure ($((SECONDS - T0))s):"
  for c in "${COMPONENTS[@]}"; do
    printf '  %-12s %-8s %s\n' "$c" "${RESULT[$c]:-?}" "${DETAIL[$c]:-}"
  done
  echo "  (used = was already running, left as is; started = started now, infra/down.sh stops it)"
  echo
} >&2

# stdout: only what a caller can eval
if [[ -n "$PG_URL_AUTH" ]]; then
  [[ "$PG_URL_AUTH" == :postgres ]] && echo "export PGPASSWORD=postgres"
  echo "export DATABASE_URL_BASE=\"postgres://$PGUSER$PG_URL_AUTH@$PGHOST:$PGPORT\"   # + /tally_<service>"
else
  echo "export DATABASE_URL_BASE=postgres://$PGUSER@$PGHOST:$PGPORT   # + /tally_<service>"
fi
echo "export REDIS_URL=redis://$REDIS_HOST:$REDIS_PORT"
echo "export KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT"
if [[ "${RESULT[mailcatcher]:-}" == started || "${RESULT[mailcatcher]:-}" == running || "${RESULT[mailcatcher]:-}" == used ]]; then
  echo "export SMTP_HOST=127.0.0.1 SMTP_PORT=$MAILCATCHER_SMTP_PORT"
fi
