#!/bin/bash
# Starts one KRaft node (broker + controller): writes server.properties, formats the log directory when it is
# new, and execs the broker (so it is PID 1 and gets the container's SIGTERM). The defaults are those of
# scripts/kafka.sh (one replica for every internal topic, no initial rebalance delay, long transactions);
# every KAFKA_* variable is then a property of its own, as in the apache/kafka image: KAFKA_ is dropped, the
# rest lower-cased, "___" -> "-", "__" -> "_", "_" -> "." (KAFKA_LOG_DIRS -> log.dirs).
set -euo pipefail
home=/opt/kafka
config=/tmp/server.properties
host=$WEIR_KAFKA_HOST
port=$WEIR_KAFKA_PORT
controller=$WEIR_KAFKA_CONTROLLER_PORT

cat >"$config" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$host:$controller
listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$controller
advertised.listeners=PLAINTEXT://$host:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=/var/lib/kafka/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
auto.create.topics.enable=false
delete.topic.enable=true
group.initial.rebalance.delay.ms=0
transaction.max.timeout.ms=900000
# On a machine whose CPUs are overcommitted the controller's queue can hold a heartbeat past the default 9 s,
# and it then fences its own broker: topics answer "does not host this topic-partition" until it recovers.
broker.session.timeout.ms=30000
PROPERTIES

version=$(find "$home/libs" -name 'kafka-clients-*.jar' -printf '%f\n' | sed 's/kafka-clients-\(.*\)\.jar/\1/' | head -n1)
if ((${version%%.*} >= 4)); then
  printf 'share.coordinator.state.topic.replication.factor=1\nshare.coordinator.state.topic.min.isr=1\n' >>"$config"
  logging=(-Dlog4j2.configurationFile="$home/config/log4j2-broker.properties")
else
  logging=(-Dlog4j.configuration="file:$home/config/log4j-broker.properties")
fi

# Later lines win in a Java properties file: the environment overrides the defaults above.
while IFS='=' read -r name value; do
  case $name in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_VERSION) continue ;;
    KAFKA_*) ;;
    *) continue ;;
  esac
  key=$(echo "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' | sed -e 's/___/-/g' -e 's/__/\x01/g' -e 's/_/./g' -e 's/\x01/_/g')
  echo "$key=$value" >>"$config"
done < <(env)

data=$(sed -n 's/^log\.dirs=//p' "$config" | tail -n1)
if [[ ! -f ${data%%,*}/meta.properties ]]; then
  # A cluster id is 16 random bytes in unpadded URL-safe base64, never starting with '-' (an option to the tool).
  cluster_id=${CLUSTER_ID:-}
  while [[ -z $cluster_id || $cluster_id == -* ]]; do
    cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  done
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${logging[@]}" -cp "$home/libs/*" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$config" --ignore-formatted
fi

# shellcheck disable=SC2086  # KAFKA_HEAP_OPTS and KAFKA_OPTS are lists of flags
exec java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
  -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true ${KAFKA_OPTS:-} "${logging[@]}" -Dkafka.logs.dir=/tmp \
  -cp "$home/libs/*" kafka.Kafka "$config"
