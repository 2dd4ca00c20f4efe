#!/usr/bin/env bash
# `npm run stop`: stops the services started by `npm start` (SIGTERM, graceful) in the reverse of
# their start order (the gateway first, auth last; from the service list through
# tools/services.js), then any other process with a pid file there, then the infrastructure that
# infra/up.sh started (never a PostgreSQL or Redis that was already running).
#
#   npm run stop                       services and infrastructure
#   bash tools/stop.sh --keep-infra    the services only (PostgreSQL, Redis, Kafka stay up)
set -uo pipefail
cd "$(dirname "$0")/.."
RUN_DIR="$PWD/.data/run"

stop_one() { # pidfile...: SIGTERM all, wait up to 30 s each, then SIGKILL
  local pidfile pid name pids=()
  for pidfile in "$@"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; pids+=("$pid:$pidfile"); else rm -f "$pidfile"; fi
  done
  for entry in "${pids[@]}"; do
    pid=${entry%%:*} pidfile=${entry#*:} name=$(basename "$pidfile" .pid)
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $name"
    rm -f "$pidfile"
  done
}

# One wave at a time, last wave first; the processes of a wave stop together.
if plan=$(node tools/services.js plan 2>/dev/null); then
  waves=$(cut -f1 <<<"$plan" | sort -rnu)
  for w in $waves; do
    files=()
    while IFS=$'\t' read -r pw name _; do [ "$pw" = "$w" ] && files+=("$RUN_DIR/$name.pid"); done <<<"$plan"
    stop_one "${files[@]}"
  done
else
  echo "could not read the service list (tools/services.js); stopping the gateway first, then the rest" >&2
  stop_one "$RUN_DIR/api-gateway.pid"
fi
# whatever else was started (e.g. a process since removed from the list)
for pidfile in "$RUN_DIR"/*.pid; do [ -f "$pidfile" ] && stop_one "$pidfile"; done
if [ "${1:-}" = --keep-infra ]; then
  echo "infrastructure left running (infra/down.sh stops it)"
else
  bash infra/down.sh
fi
