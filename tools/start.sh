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

# Each process gets the environment tools/services.js derives from the service list and from
# up.sh's exports above (DATABASE_URL_BASE, REDIS_URL, KAFKA_BROKERS, SMTP_HOST/SMTP_PORT).
start() { # name entry port
  local name=$1 entry=$2 port=$3 vars
  local pidfile="$RUN_DIR/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "   $name already running (pid $(cat "$pidfile"))"
    return
  fi
  vars=$(node tools/services.js env "$name")
  local envs=()
  mapfile -t envs <<<"$vars"
  env "${envs[@]}" nohup node --enable-source-maps "$entry" >>"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$pidfile"
  echo "   $name starting on :$port (log .data/logs/$name.log)"
}

wait_ready() { # name port path
  local name=$1 port=$2 path=$3
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
export SECRETS_KEY

echo "== services"
# The start plan of the service list: waves of processes whose dependencies are in earlier waves
# (auth first: it mints the signing keys; the gateway last). A wave starts together; the next
# starts once every process of it is ready.
plan=$(node tools/services.js plan)
wave=-1 started=()
while IFS=$'\t' read -r w name port entry ready; do
  if [ "$w" != "$wave" ]; then
    for s in "${started[@]}"; do IFS=$'\t' read -r n p r <<<"$s"; wait_ready "$n" "$p" "$r"; done
    wave=$w started=()
  fi
  start "$name" "$entry" "$port"
  [ "$name" = api-gateway ] && GATEWAY_PORT=$port
  started+=("$name"$'\t'"$port"$'\t'"$ready")
done <<<"$plan"
for s in "${started[@]}"; do IFS=$'\t' read -r n p r <<<"$s"; wait_ready "$n" "$p" "$r"; done

cat <<MSG

Tally is running.
  API gateway   http://127.0.0.1:${GATEWAY_PORT:-8080}   (e.g. POST /api/v1/auth/register)
  Mail catcher  http://127.0.0.1:${MAILCATCHER_HTTP_PORT:-8025}/messages   (verification emails land here)
  Logs          .data/logs/
Stop everything with: npm run stop
MSG
