#!/usr/bin/env bash
# Run an Apache Kafka command-line tool with the jars infra/up.sh cached (no Kafka install needed).
#
#   infra/kafka-cli.sh topics --list
#   infra/kafka-cli.sh topics --create --topic demo --partitions 3 --replication-factor 1
#   echo hello | infra/kafka-cli.sh console-producer --topic demo
#   infra/kafka-cli.sh console-consumer --topic demo --from-beginning --max-messages 1
#   infra/kafka-cli.sh consumer-groups --describe --all-groups
#   infra/kafka-cli.sh get-offsets --topic demo
#   infra/kafka-cli.sh org.apache.kafka.tools.SomeOtherTool ...   (any class name)
#
# --bootstrap-server 127.0.0.1:$KAFKA_PORT is added unless given.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
  exit 0
fi

tool="$1"; shift
add_bootstrap=1
case "$tool" in
  topics) cls=org.apache.kafka.tools.TopicCommand ;;
  console-producer) cls=kafka.tools.ConsoleProducer ;;
  console-consumer) cls=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  consumer-groups) cls=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  get-offsets) cls=org.apache.kafka.tools.GetOffsetShell ;;
  configs) cls=kafka.admin.ConfigCommand ;;
  metadata-quorum) cls=org.apache.kafka.tools.MetadataQuorumCommand ;;
  storage) cls=kafka.tools.StorageTool; add_bootstrap=0 ;;
  *.*) cls="$tool" ;;
  *) die "unknown tool '$tool' (topics, console-producer, console-consumer, consumer-groups, get-offsets, configs, metadata-quorum, storage, or a class name)" ;;
esac

kafka_libs_ready || die "no cached Kafka jars in $KAFKA_LIBS: run infra/up.sh kafka first"

if [[ $add_bootstrap == 1 ]]; then
  for a in "$@"; do
    case "$a" in --bootstrap-server | --bootstrap-server=* | --broker-list | --bootstrap-controller) add_bootstrap=0 ;; esac
  done
fi
if [[ $add_bootstrap == 1 ]]; then
  set -- --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" "$@"
fi
kafka_java "$cls" "$@"
