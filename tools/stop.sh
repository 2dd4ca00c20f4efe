#!/usr/bin/env bash
# `npm run stop`: stops the services started by `npm start` (SIGTERM, graceful), then the
# infrastructure that infra/up.sh started (never a PostgreSQL or Redis that was already running).
set -uo pipefail
cd "$(dirname "$0")/.."
RUN_DIR="$PWD/.data/run"
for pidfile in "$RUN_DIR"/api-gateway.pid "$RUN_DIR"/*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile"); name=$(basename "$pidfile" .pid)
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $name"
  fi
  rm -f "$pidfile"
done
bash infra/down.sh
