#!/usr/bin/env bash
# The local broker's own limits, measured with Kafka's perf tools from the jars infra/up.sh cached
# (org.apache.kafka.tools.ProducerPerformance / ConsumerPerformance, in kafka-tools-<version>.jar).
#
#   bash tools/bench/kafka-perf.sh                 one summary line on stdout, progress on stderr
#   bash tools/bench/kafka-perf.sh --json          {"produceMsgPerSec":..,"consumeMsgPerSec":..,...} on stdout
#
# Options: --records N (200000)  --record-size BYTES (500)  --partitions N (3)
#          --producer-prop KEY=VALUE (repeatable; added to acks=all enable.idempotence=true)
#          --timeout SECONDS per tool run (120)  --json
# Env:     KAFKA_BROKERS (127.0.0.1:9092): must be this machine (loopback) unless KAFKA_PERF_ALLOW_REMOTE=1
#
# Creates a throwaway topic bench-kafka-perf-<run> (replication 1), produces N records of the given
# size as fast as it can (throughput -1, acks=all, idempotent, as our kafkajs producer is), consumes
# them back with a fresh consumer group, then deletes the topic and the group (also on failure or
# Ctrl-C). Every tool run is bounded by --timeout (a whole run takes ~20 s here, at most ~5 min);
# the consumer also gives up after 30 s without a record. The consume figure is
# ConsumerPerformance's fetch rate (group join excluded). The produce latencies are those of a
# saturating producer: mostly time queued in the client's 32 MB buffer, not the broker's latency.
set -euo pipefail
# shellcheck source=../../infra/lib/common.sh
COMMON_SH="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../infra/lib" && pwd)/common.sh"
source "$COMMON_SH"

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
  exit "${1:-0}"
}

RECORDS=200000
RECORD_SIZE=500
PARTITIONS=3
TOOL_TIMEOUT=120
JSON=0
EXTRA_PROPS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage 0 ;;
    --json) JSON=1 ;;
    --records) RECORDS="${2:?--records needs a number}"; shift ;;
    --record-size) RECORD_SIZE="${2:?--record-size needs a number}"; shift ;;
    --partitions) PARTITIONS="${2:?--partitions needs a number}"; shift ;;
    --timeout) TOOL_TIMEOUT="${2:?--timeout needs seconds}"; shift ;;
    --producer-prop) EXTRA_PROPS+=("${2:?--producer-prop needs KEY=VALUE}"); shift ;;
    *) warn "unknown argument: $1"; usage 2 ;;
  esac
  shift
done
for n in "$RECORDS" "$RECORD_SIZE" "$PARTITIONS" "$TOOL_TIMEOUT"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "not a positive whole number: $n"
done

BROKERS="${KAFKA_BROKERS:-$KAFKA_HOST:$KAFKA_PORT}"
# Only the local broker: every bootstrap address must be a loopback one.
IFS=',' read -ra _addrs <<<"$BROKERS"
for a in "${_addrs[@]}"; do
  host="${a%:*}"
  host="${host#[}"; host="${host%]}"
  case "$host" in
    127.* | localhost | ::1) ;;
    *) [[ "${KAFKA_PERF_ALLOW_REMOTE:-0}" == 1 ]] || die "KAFKA_BROKERS=$BROKERS is not this machine; this benchmark only talks to the local broker (KAFKA_PERF_ALLOW_REMOTE=1 to override)" ;;
  esac
done
first="${_addrs[0]}"
port_open "${first%:*}" "${first##*:}" || die "no broker answers on $first (infra/up.sh kafka starts one)"
have java || die "java is needed (infra/up.sh installs it)"
kafka_libs_ready || die "no cached Kafka jars in $KAFKA_LIBS: run infra/up.sh kafka first"
compgen -G "$KAFKA_LIBS/kafka-tools-[0-9]*.jar" >/dev/null || die "kafka-tools jar missing from $KAFKA_LIBS (infra/kafka/pom.xml lists it; re-run infra/up.sh kafka)"

RUN="$(date +%Y%m%d%H%M%S)-$$"
TOPIC="bench-kafka-perf-$RUN"
GROUP="bench-kafka-perf-$RUN"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/kafka-perf.XXXXXX")"
CHILD=""

# Admin commands (topic, group): infra's kafka_java (quick-start JVM), in a child shell so that
# `timeout` can bound them. The perf tools get a JVM fit for measuring instead (full JIT, G1, as
# Kafka's own kafka-*-perf-test.sh scripts run them).
ADMIN=(bash -c 'source "$0"; kafka_java "$@"' "$COMMON_SH")
write_kafka_tools_log4j
PERF_JAVA=(java -Xms256m -Xmx512m -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
  -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
  "-Dlog4j.configuration=file:$KAFKA_TOOLS_LOG4J" -cp "$KAFKA_LIBS/*")

# Runs "$@" bounded by $1 seconds, in the background so that Ctrl-C/TERM reach our trap at once.
bounded() {
  local secs="$1" rc=0; shift
  timeout -k 10 "$secs" "$@" &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    local a what="$1"
    for a in "$@"; do [[ "$a" == org.apache.kafka.* ]] && what="${a##*.}"; done
    warn "$what timed out after ${secs}s"
  fi
  return "$rc"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e # best effort from here: a failed step must not skip the next
  if [[ -n "$CHILD" ]]; then
    kill "$CHILD" 2>/dev/null
    wait "$CHILD" 2>/dev/null
  fi
  if [[ "${TOPIC_CREATED:-0}" == 1 ]]; then
    timeout -k 5 60 "${ADMIN[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BROKERS" --delete --topic "$TOPIC" >&2 ||
      warn "could not delete topic $TOPIC: delete it with infra/kafka-cli.sh topics --delete --topic $TOPIC"
    timeout -k 5 60 "${ADMIN[@]}" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$BROKERS" \
      --delete --group "$GROUP" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "kafka-perf: topic $TOPIC ($PARTITIONS partitions) on $BROKERS, $RECORDS records of $RECORD_SIZE bytes"
TOPIC_CREATED=1 # from here on, try to delete it whatever happens
bounded 60 "${ADMIN[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BROKERS" --create --topic "$TOPIC" \
  --partitions "$PARTITIONS" --replication-factor 1 >&2 || die "could not create topic $TOPIC"

log "kafka-perf: ProducerPerformance (throughput -1, acks=all, enable.idempotence=true${EXTRA_PROPS[*]:+ ${EXTRA_PROPS[*]}})"
bounded "$TOOL_TIMEOUT" "${PERF_JAVA[@]}" org.apache.kafka.tools.ProducerPerformance --topic "$TOPIC" \
  --num-records "$RECORDS" --record-size "$RECORD_SIZE" --throughput -1 \
  --producer-props "bootstrap.servers=$BROKERS" acks=all enable.idempotence=true "client.id=$GROUP" "${EXTRA_PROPS[@]}" \
  >"$WORK/produce.out" 2>"$WORK/produce.err" || { cat "$WORK/produce.out" "$WORK/produce.err" >&2; die "ProducerPerformance failed"; }
# last line: "200000 records sent, 37000.1 records/sec (17.64 MB/sec), 850.2 ms avg latency, 1200.0 ms max latency, 830 ms 50th, 1100 ms 95th, 1150 ms 99th, 1190 ms 99.9th."
PRODUCE_LINE="$(grep '50th' "$WORK/produce.out" | tail -n1)"
[[ -n "$PRODUCE_LINE" ]] || { cat "$WORK/produce.out" "$WORK/produce.err" >&2; die "no result line from ProducerPerformance"; }
log "producer: $PRODUCE_LINE"

log "kafka-perf: ConsumerPerformance (group $GROUP, from the beginning)"
bounded "$TOOL_TIMEOUT" "${PERF_JAVA[@]}" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BROKERS" \
  --topic "$TOPIC" --group "$GROUP" --messages "$RECORDS" --timeout 30000 \
  >"$WORK/consume.out" 2>"$WORK/consume.err" || { cat "$WORK/consume.out" "$WORK/consume.err" >&2; die "ConsumerPerformance failed"; }
# header "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
# rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec", then one line of values
CONSUME_LINE="$(awk '/^start.time/ { getline; print; exit }' "$WORK/consume.out")"
[[ -n "$CONSUME_LINE" ]] || { cat "$WORK/consume.out" "$WORK/consume.err" >&2; die "no result line from ConsumerPerformance"; }
log "consumer: $CONSUME_LINE"

# everything numeric, in one place
read -r P_SENT P_RATE P_MB P_AVG P_MAX P_50 P_95 P_99 P_999 < <(
  sed -E 's/^([0-9]+) records sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\), ([0-9.]+) ms avg latency, ([0-9.]+) ms max latency, ([0-9]+) ms 50th, ([0-9]+) ms 95th, ([0-9]+) ms 99th, ([0-9]+) ms 99.9th.*/\1 \2 \3 \4 \5 \6 \7 \8 \9/' <<<"$PRODUCE_LINE")
IFS=',' read -r _ _ C_MB_TOTAL C_MB_ALL C_N C_RATE_ALL C_REBAL C_FETCH_MS C_MB C_RATE <<<"${CONSUME_LINE// /}"
for v in "$P_SENT" "$P_RATE" "$P_MB" "$P_AVG" "$P_99" "$C_N" "$C_RATE" "$C_MB" "$C_RATE_ALL" "$C_REBAL" "$C_FETCH_MS"; do
  [[ "$v" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || die "could not read the tools' output (got '$v'): $PRODUCE_LINE / $CONSUME_LINE"
done
[[ "$C_N" == "$RECORDS" ]] || warn "the consumer read $C_N of $RECORDS records before its timeout"

if [[ $JSON == 1 ]]; then
  printf '{"produceMsgPerSec":%.0f,"produceMBPerSec":%.2f,"consumeMsgPerSec":%.0f,"consumeMBPerSec":%.2f,' "$P_RATE" "$P_MB" "$C_RATE" "$C_MB"
  printf '"produceLatencyMs":{"avg":%.1f,"p50":%s,"p95":%s,"p99":%s,"p999":%s,"max":%.1f},' "$P_AVG" "$P_50" "$P_95" "$P_99" "$P_999" "$P_MAX"
  printf '"consumeMsgPerSecInclGroupJoin":%.0f,"consumeGroupJoinMs":%s,"recordsProduced":%s,"recordsConsumed":%s,' "$C_RATE_ALL" "$C_REBAL" "$P_SENT" "$C_N"
  printf '"recordSize":%s,"partitions":%s,"acks":"all","idempotence":true,"brokers":"%s","kafkaVersion":"%s","cores":%s,"date":"%s"}\n' \
    "$RECORD_SIZE" "$PARTITIONS" "$BROKERS" "$KAFKA_VERSION" "$(nproc 2>/dev/null || echo 0)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
else
  printf 'broker: produce %.0f msg/s (%.1f MB/s, acks=all, latency p50 %s ms / p99 %s ms), consume %.0f msg/s (%.1f MB/s)\n' \
    "$P_RATE" "$P_MB" "$P_50" "$P_99" "$C_RATE" "$C_MB"
fi
