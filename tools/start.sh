#!/usr/bin/env bash
# `npm start`: on a fresh machine with Node and Java, installs what is missing, starts the
# infrastructure (PostgreSQL, Redis, Kafka, a mail catcher) and every service, and prints where
# the gateway is. Logs and pids go to .data/ in the repository. `npm run stop` stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN_DIR="$ROOT/.data/run"
LOG_DIR="$ROOT/.data/logs"
mkdir -p "$RUN_DIR" "$LOG_DIR"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing dependencies (npm install, pinned by package-lock.json)"
  npm install --no-audit --no-fund
fi

echo "== infrastructure (infra/up.sh)"
# up.sh prints the connection settings it ended up with (e.g. a password it had to set) as exports.
eval "$(bash infra/up.sh)"

echo "== build"
node tools/build.js

PG="${DATABASE_URL_BASE:-postgres://postgres@127.0.0.1:5432}"
COMMON=(
  "NODE_ENV=${NODE_ENV:-development}" "LOG_LEVEL=${LOG_LEVEL:-info}"
  "KAFKA_BROKERS=$KAFKA_BROKERS" "REDIS_URL=$REDIS_URL"
  "SMTP_HOST=${SMTP_HOST:-127.0.0.1}" "SMTP_PORT=${SMTP_PORT:-${MAILCATCHER_SMTP_PORT:-1025}}"
  "SMTP_FROM=${SMTP_FROM:-Tally <no-reply@tally.local>}" "APP_PUBLIC_URL=${APP_PUBLIC_URL:-http://localhost:8080}"
)

start() { # name entry port [env...]
  local name=$1 entry=$2 port=$3; shift 3
  local pidfile="$RUN_DIR/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "   $name already running (pid $(cat "$pidfile"))"
    return
  fi
  env "${COMMON[@]}" "PORT=$port" "$@" nohup node --enable-source-maps "dist/apps/$entry" >>"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$pidfile"
  echo "   $name starting on :$port (log .data/logs/$name.log)"
}

wait_ready() { # name port path
  local name=$1 port=$2 path=${3:-/health/ready}
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port$path" >/dev/null 2>&1; then echo "   $name ready"; return 0; fi
    if ! kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then
      echo "!! $name exited; last lines of its log:" >&2; tail -n 30 "$LOG_DIR/$name.log" >&2; return 1
    fi
    sleep 0.5
  done
  echo "!! $name not ready after 60 s; see .data/logs/$name.log" >&2
  return 1
}

# auth seals its private keys at rest with SECRETS_KEY: make one for this machine on first start.
if [ -z "${SECRETS_KEY:-}" ]; then
  [ -f .data/secrets-key ] || node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))' > .data/secrets-key
  chmod 600 .data/secrets-key
  SECRETS_KEY=$(cat .data/secrets-key)
fi

echo "== services"
start auth-service auth-service/src/main.js 3001 "DATABASE_URL=$PG/tally_auth" "SECRETS_KEY=$SECRETS_KEY"
wait_ready auth-service 3001
start group-service group-service/src/main.js 3002 "DATABASE_URL=$PG/tally_group"
start expense-service expense-service/src/main.js 3003 "DATABASE_URL=$PG/tally_expense"
start payment-service payment-service/src/main.js 3004 "DATABASE_URL=$PG/tally_payment"
start analytics-service analytics-service/src/main.js 3005 "DATABASE_URL=$PG/tally_analytics"
start notification-service notification-service/src/main.js 3006 "DATABASE_URL=$PG/tally_notification"
start notification-worker notification-service/src/worker.js 3016 "DATABASE_URL=$PG/tally_notification"
for s in group-service:3002 expense-service:3003 payment-service:3004 analytics-service:3005 notification-service:3006 notification-worker:3016; do
  wait_ready "${s%%:*}" "${s##*:}"
done
start api-gateway api-gateway/src/main.js 8080
wait_ready api-gateway 8080 /health/live

cat <<MSG

Tally is running.
  API gateway   http://127.0.0.1:8080   (e.g. POST /api/v1/auth/register)
  Mail catcher  http://127.0.0.1:${MAILCATCHER_HTTP_PORT:-8025}/messages   (verification emails land here)
  Logs          .data/logs/
Stop everything with: npm run stop
MSG
