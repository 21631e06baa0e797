#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker+controller) for
# Weir's tests and benchmarks, on 127.0.0.1 only, run with the machine's Java from
# jars that Maven resolves (no Docker, no Kafka download site).
#
# Owns: this file, scripts/kafka/ and <cache>/kafka* (cache = $WEIR_CACHE_DIR or
# <repo>/.cache): kafka-<version>/libs (jars, one folder per version),
# kafka-run/ (the one running broker: config, data, broker.log, pid), kafka-tls/ (its
# self-signed certificate, made once by keytool) and kafka.lock.
#
#   scripts/kafka.sh install     resolve the jars for $KAFKA_VERSION (no-op when present)
#   scripts/kafka.sh start       start (or reuse) the broker; stdout = bootstrap address only
#   scripts/kafka.sh stop        stop the broker this script started
#   scripts/kafka.sh restart [--down-for S]   stop our broker (SIGTERM) and start it again on the same address and data,
#                                after S seconds down (default 0; tests of a broker restart, of a start-up without a broker)
#   scripts/kafka.sh status      print the address and exit 0 if it serves, else exit 1
#   scripts/kafka.sh sasl-ssl    print "<address> <CA PEM> <user> <password>" of its SASL_SSL (PLAIN) listener
#   scripts/kafka.sh classpath   classpath for running Kafka tool classes with java -cp
#   scripts/kafka.sh tool CLASS [ARGS...]   run a Kafka tool class on that classpath
#
# Environment:
#   KAFKA_BOOTSTRAP_SERVERS  use that cluster: start/status print it, stop leaves it alone
#   KAFKA_HOME               use that Kafka distribution's bin/ scripts instead of Maven jars
#   KAFKA_VERSION            Maven version to resolve (default below; 3.9.x and 4.1.x work too: make compat)
#   KAFKA_HEAP_OPTS          broker heap (default -Xms256m -Xmx1g)
#   KAFKA_START_TIMEOUT      seconds to wait for the broker to serve (default 90)
#   WEIR_CACHE_DIR           cache root (default <repo>/.cache)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
KAFKA_DIR=$SCRIPT_DIR/kafka

DEFAULT_KAFKA_VERSION=4.4.0
KAFKA_VERSION=${KAFKA_VERSION:-$DEFAULT_KAFKA_VERSION}
CACHE_ROOT=${WEIR_CACHE_DIR:-$REPO_ROOT/.cache}
# Absolute, because the broker runs from inside the cache and reads its paths there.
[[ $CACHE_ROOT == /* ]] || CACHE_ROOT=$PWD/$CACHE_ROOT
DIST=$CACHE_ROOT/kafka-$KAFKA_VERSION
# One broker per cache root, whatever its version, so stop/status never need to
# be told which version was started.
RUN=$CACHE_ROOT/kafka-run
PID_FILE=$RUN/broker.pid
ADDR_FILE=$RUN/broker.addr
FLAVOR_FILE=$RUN/broker.flavor
LOG_FILE=$RUN/broker.log
CONFIG=$RUN/server.properties
DATA=$RUN/data
# A SASL_SSL listener beside PLAINTEXT, for the test that Weir connects through SASL PLAIN and TLS: its
# address, and a self-signed certificate made once with keytool (its PEM is the CA clients trust).
SASL_ADDR_FILE=$RUN/broker-sasl-ssl.addr
TLS_DIR=$CACHE_ROOT/kafka-tls
TLS_PASSWORD=weir-test-only
SASL_USER=weir
SASL_PASSWORD=weir-secret

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=20
# Only the standard library is needed; the system python skips a version
# manager's shim (~0.1 s per probe).
if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

log() { echo "kafka.sh: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  sed -n '/^#   scripts/p' "${BASH_SOURCE[0]}" | sed 's/^#  //' >&2
  exit 2
}

# Serialises install/start/stop across concurrent callers (parallel test runs).
# Taken once per invocation: a second flock on a new descriptor would deadlock.
LOCKED=
lock() {
  [[ -n $LOCKED ]] && return 0
  mkdir -p "$CACHE_ROOT"
  exec 9>>"$CACHE_ROOT/kafka.lock"
  flock -w 900 9 || die "timed out waiting for $CACHE_ROOT/kafka.lock"
  LOCKED=1
}

major_of() { echo "${1%%.*}"; }

# Version of the distribution in $KAFKA_HOME, from its kafka_2.x-<version>.jar.
home_version() {
  local jar
  for jar in "$KAFKA_HOME"/libs/kafka_2.*-*.jar; do
    [[ -e $jar && $jar != *-test*.jar && $jar != *-sources.jar ]] || continue
    jar=${jar##*/kafka_2.*-}
    echo "${jar%.jar}"
    return 0
  done
  die "KAFKA_HOME=$KAFKA_HOME has no libs/kafka_2.*-<version>.jar"
}

# What `start` would run, so a running broker of another kind is not mistaken for it.
flavor() {
  if [[ -n ${KAFKA_HOME:-} ]]; then echo "KAFKA_HOME=$KAFKA_HOME"; else echo "kafka $KAFKA_VERSION (maven)"; fi
}

cmd_install() {
  [[ -f $DIST/.installed ]] && return 0
  lock
  [[ -f $DIST/.installed ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  local profile=log4j2
  (( $(major_of "$KAFKA_VERSION") >= 4 )) || profile=reload4j
  log "resolving Kafka $KAFKA_VERSION jars from Maven (profile $profile)..."
  mkdir -p "$DIST"
  # Fill a scratch folder and rename it, so an interrupted install is never
  # mistaken for a complete one.
  local tmp=$DIST/libs.partial mvn_log=$DIST/install.log
  rm -rf "$tmp" "$DIST/libs"
  if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_DIR/pom.xml" -P "$profile" \
      -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
    cat "$mvn_log" >&2
    rm -rf "$DIST"
    die "could not resolve Kafka $KAFKA_VERSION (is it a version on Maven Central?)"
  fi
  mv "$tmp" "$DIST/libs"
  touch "$DIST/.installed"
  local jars=("$DIST"/libs/*.jar)
  log "installed ${#jars[@]} jars into $DIST/libs"
}

# Broker/tool jars: the distribution's when KAFKA_HOME is set, else ours.
libs_dir() {
  if [[ -n ${KAFKA_HOME:-} ]]; then echo "$KAFKA_HOME/libs"; else echo "$DIST/libs"; fi
}

cmd_classpath() {
  [[ -n ${KAFKA_HOME:-} ]] || cmd_install
  # The tools-logging folder comes first so tools log warnings to stderr instead
  # of complaining that no logging config exists.
  echo "$KAFKA_DIR/tools-logging:$(libs_dir)/*"
}

cmd_tool() {
  (( $# >= 1 )) || die "usage: kafka.sh tool CLASS [ARGS...]"
  local cp
  cp=$(cmd_classpath)
  exec "$JAVA" -Xmx512m -cp "$cp" "$@"
}

probe() { "$PYTHON" "$KAFKA_DIR/probe.py" ready "$1" "${2:-2}"; }

# The pid file's process, if it is still the broker we started (guards against
# the pid having been reused by something else since).
our_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CONFIG" || return 1
  echo "$pid"
}

kill_broker() {
  local pid=$1 waited=0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && (( waited < STOP_TIMEOUT * 10 )); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "broker $pid ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
}

free_ports() {
  # Bind all before releasing any, so the ports differ.
  "$PYTHON" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'
}

# Kafka cluster ids are a UUID in unpadded URL-safe base64 (what
# `kafka-storage random-uuid` prints); python avoids a JVM start for it. Like Kafka's own, never one
# starting with '-', which kafka-storage's argument parser takes for an option (1 start in 64 failed).
random_cluster_id() {
  "$PYTHON" -c '
import base64, uuid
while True:
    id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    if not id.startswith("-"):
        print(id)
        break'
}

# The broker's key and self-signed certificate for 127.0.0.1 (PKCS12), and the certificate as PEM.
tls_material() {
  [[ -f $TLS_DIR/broker.p12 && -f $TLS_DIR/ca.pem ]] && return 0
  local keytool=${JAVA_HOME:+$JAVA_HOME/bin/}keytool
  mkdir -p "$TLS_DIR"
  rm -f "$TLS_DIR/broker.p12" "$TLS_DIR/ca.pem"
  "$keytool" -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 3650 -dname CN=127.0.0.1 \
    -ext SAN=IP:127.0.0.1,DNS:localhost -storetype PKCS12 -keystore "$TLS_DIR/broker.p12" \
    -storepass "$TLS_PASSWORD" -keypass "$TLS_PASSWORD" >>"$LOG_FILE" 2>&1 || die "keytool could not make the broker's certificate"
  "$keytool" -exportcert -rfc -alias broker -keystore "$TLS_DIR/broker.p12" -storepass "$TLS_PASSWORD" \
    -file "$TLS_DIR/ca.pem" >>"$LOG_FILE" 2>&1 || die "keytool could not export the broker's certificate"
}

write_config() {
  local broker_port=$1 controller_port=$2 version=$3 sasl_port=$4
  cat >"$CONFIG" <<EOF
# Written by scripts/kafka.sh start; a fresh broker every start.
process.roles=broker,controller
node.id=1
# A static voter set formats and starts the same way on 3.9 and 4.x, unlike
# --standalone (dynamic quorum, 3.9+ only).
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$broker_port,CONTROLLER://127.0.0.1:$controller_port,SASL_SSL://127.0.0.1:$sasl_port
advertised.listeners=PLAINTEXT://127.0.0.1:$broker_port,SASL_SSL://127.0.0.1:$sasl_port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA

# One broker: every internal topic must live with a single replica.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Few internal partitions keep the first group/transaction call fast.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10

# Tests create what they use, join groups at once, and may run long transactions.
auto.create.topics.enable=false
delete.topic.enable=true
group.initial.rebalance.delay.ms=0
transaction.max.timeout.ms=900000
log.retention.check.interval.ms=30000

# SASL_SSL: TLS with the self-signed certificate, SASL PLAIN with one user (no authorizer: all allowed).
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS_DIR/broker.p12
ssl.keystore.password=$TLS_PASSWORD
ssl.key.password=$TLS_PASSWORD
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$SASL_PASSWORD";
EOF
  if (( $(major_of "$version") >= 4 )); then
    cat >>"$CONFIG" <<EOF

# Share groups (4.x): their state topic needs a single replica too.
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
  fi
}

fail_start() {
  local pid=$1
  shift
  tail -n 50 "$LOG_FILE" >&2
  kill_broker "$pid"
  rm -f "$PID_FILE" "$ADDR_FILE" "$FLAVOR_FILE" "$SASL_ADDR_FILE"
  die "$* (full log: $LOG_FILE)"
}

cmd_start() {
  if [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]]; then
    echo "$KAFKA_BOOTSTRAP_SERVERS"
    return 0
  fi
  lock
  local pid want
  want=$(flavor)
  if pid=$(our_pid); then
    local addr running
    addr=$(cat "$ADDR_FILE" 2>/dev/null || true)
    running=$(cat "$FLAVOR_FILE" 2>/dev/null || true)
    if [[ $running != "$want" ]]; then
      die "a broker ($running) is already running at $addr; run 'scripts/kafka.sh stop' first"
    fi
    if [[ -n $addr ]] && probe "$addr" 5; then
      echo "$addr"
      return 0
    fi
    log "broker $pid is not answering; replacing it"
    kill_broker "$pid"
  fi
  rm -f "$PID_FILE" "$ADDR_FILE" "$FLAVOR_FILE"

  local version
  if [[ -n ${KAFKA_HOME:-} ]]; then
    version=$(home_version)
  else
    cmd_install
    version=$KAFKA_VERSION
  fi

  local broker_port controller_port sasl_port cluster_id addr started=$SECONDS
  read -r broker_port controller_port sasl_port < <(free_ports)
  addr=127.0.0.1:$broker_port
  cluster_id=$(random_cluster_id)
  rm -rf "$DATA"
  mkdir -p "$DATA" "$RUN/logs"
  : >"$LOG_FILE"
  tls_material
  write_config "$broker_port" "$controller_port" "$version" "$sasl_port"

  local log_opts=(-Djava.awt.headless=true -Dkafka.logs.dir="$RUN/logs")
  if (( $(major_of "$version") >= 4 )); then
    log_opts+=(-Dlog4j2.configurationFile="$KAFKA_DIR/log4j2-broker.properties")
  else
    log_opts+=(-Dlog4j.configuration="file:$KAFKA_DIR/log4j-broker.properties")
  fi

  log "formatting KRaft storage (Kafka $version, cluster $cluster_id)..."
  local format_ok=1
  if [[ -n ${KAFKA_HOME:-} ]]; then
    env -u JMX_PORT LOG_DIR="$RUN/logs" KAFKA_HEAP_OPTS=-Xmx256m KAFKA_JMX_OPTS=-Djava.awt.headless=true timeout 120 \
      "$KAFKA_HOME/bin/kafka-storage.sh" format -t "$cluster_id" -c "$CONFIG" >>"$LOG_FILE" 2>&1 || format_ok=0
  else
    # A one-second JVM: C1 and the serial GC start faster (~0.5 s less).
    timeout 120 "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${log_opts[@]}" -cp "$DIST/libs/*" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG" >>"$LOG_FILE" 2>&1 || format_ok=0
  fi
  if (( !format_ok )); then
    tail -n 50 "$LOG_FILE" >&2
    die "formatting storage failed (full log: $LOG_FILE)"
  fi

  # setsid: the broker outlives the caller's terminal/process group (Ctrl-C in
  # make must not half-kill it); 9>&- keeps it from holding our lock forever;
  # redirecting all output lets `$(kafka.sh start)` return.
  log "starting broker on $addr (log: $LOG_FILE)..."
  cd "$RUN"
  if [[ -n ${KAFKA_HOME:-} ]]; then
    # kafka-run-class.sh defaults KAFKA_JMX_OPTS to -Dcom.sun.management.jmxremote,
    # whose RMI connector listens on all interfaces; any non-empty value avoids it.
    env -u JMX_PORT LOG_DIR="$RUN/logs" KAFKA_HEAP_OPTS="$HEAP_OPTS" KAFKA_JMX_OPTS=-Djava.awt.headless=true \
      setsid "$KAFKA_HOME/bin/kafka-server-start.sh" "$CONFIG" >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
  else
    # GC flags as in Kafka's kafka-run-class.sh.
    # shellcheck disable=SC2086  # HEAP_OPTS is a list of flags
    setsid "$JAVA" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent "${log_opts[@]}" -cp "$DIST/libs/*" \
      kafka.Kafka "$CONFIG" >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
  fi
  pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$addr" >"$ADDR_FILE"
  echo "127.0.0.1:$sasl_port" >"$SASL_ADDR_FILE"
  echo "$want" >"$FLAVOR_FILE"

  local deadline=$((SECONDS + START_TIMEOUT))
  until probe "$addr" 2; do
    kill -0 "$pid" 2>/dev/null || fail_start "$pid" "broker exited during startup"
    (( SECONDS < deadline )) || fail_start "$pid" "broker did not serve metadata within ${START_TIMEOUT}s"
    sleep 0.25
  done
  # Create and load the offsets/transaction topics now rather than in a test's
  # first group join or transaction.
  "$PYTHON" "$KAFKA_DIR/probe.py" warm "$addr" "$((deadline > SECONDS ? deadline - SECONDS : 1))" ||
    fail_start "$pid" "group/transaction coordinators did not come up within ${START_TIMEOUT}s"
  log "Kafka $version ready at $addr (pid $pid, $((SECONDS - started))s)"
  echo "$addr"
}

cmd_stop() {
  if [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]]; then
    log "KAFKA_BOOTSTRAP_SERVERS is set: that cluster is not ours to stop"
    return 0
  fi
  lock
  local pid
  if pid=$(our_pid); then
    log "stopping broker $pid ($(cat "$FLAVOR_FILE" 2>/dev/null || echo '?'))..."
    kill_broker "$pid"
    # State needn't survive a stop; the log stays for post-mortems.
    rm -rf "$DATA"
  fi
  rm -f "$PID_FILE" "$ADDR_FILE" "$FLAVOR_FILE"
}

# Our broker stopped and started again with the same command line: same ports, same log dirs, nothing reformatted.
# Ignores KAFKA_BOOTSTRAP_SERVERS: only a broker this script started is restarted.
cmd_restart() {
  local down_for=0
  while (( $# > 0 )); do
    case $1 in
      --down-for) [[ ${2:-} =~ ^[0-9]+$ ]] || die "restart --down-for needs a whole number of seconds"; down_for=$2; shift 2 ;;
      *) die "restart: unknown option $1 (known: --down-for S)" ;;
    esac
  done
  lock
  local pid addr started=$SECONDS
  pid=$(our_pid) || die "no broker of ours is running"
  addr=$(cat "$ADDR_FILE")
  local -a argv
  mapfile -d '' -t argv <"/proc/$pid/cmdline"
  log "restarting broker $pid at $addr..."
  kill_broker "$pid"
  if (( down_for > 0 )); then
    # Said on stderr once the broker is down, so a test can start something against the dead address.
    log "broker stopped; starting it again in ${down_for}s"
    sleep "$down_for"
  fi
  cd "$RUN"
  setsid "${argv[@]}" >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  until probe "$addr" 2; do
    kill -0 "$pid" 2>/dev/null || fail_start "$pid" "broker exited during its restart"
    (( SECONDS < deadline )) || fail_start "$pid" "restarted broker did not serve metadata within ${START_TIMEOUT}s"
    sleep 0.25
  done
  log "broker restarted at $addr (pid $pid, $((SECONDS - started))s)"
  echo "$addr"
}

# Where our broker's SASL_SSL listener is: "<host:port> <CA PEM file> <user> <password>".
cmd_sasl_ssl() {
  our_pid >/dev/null || die "no broker of ours is running"
  [[ -f $SASL_ADDR_FILE ]] || die "the running broker has no SASL_SSL listener (started by an older kafka.sh?): restart it"
  echo "$(cat "$SASL_ADDR_FILE") $TLS_DIR/ca.pem $SASL_USER $SASL_PASSWORD"
}

cmd_status() {
  local addr
  if [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]]; then
    addr=${KAFKA_BOOTSTRAP_SERVERS%%,*}
    probe "$addr" 5 || return 1
    echo "$KAFKA_BOOTSTRAP_SERVERS"
    return 0
  fi
  our_pid >/dev/null || return 1
  addr=$(cat "$ADDR_FILE" 2>/dev/null) || return 1
  probe "$addr" 5 || return 1
  echo "$addr"
}

case ${1:-} in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) shift; cmd_restart "$@" ;;
  status) cmd_status ;;
  sasl-ssl) cmd_sasl_ssl ;;
  classpath) cmd_classpath ;;
  tool) shift; cmd_tool "$@" ;;
  *) usage ;;
esac
