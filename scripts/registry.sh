#!/usr/bin/env bash
# Local Confluent-compatible schema registry for Weir's tests and examples.
#
# The registry is Apicurio Registry (resolved from Maven Central by
# scripts/registry/pom.xml), run as a plain JVM process with in-memory H2
# storage (no Kafka needed), bound to 127.0.0.1 only. Clients use its
# Confluent-compatible API at  http://127.0.0.1:PORT/apis/ccompat/v7
#
# Usage: scripts/registry.sh install|start|stop|status|help
#
#   install  resolve + unpack the registry into the cache (idempotent, quiet)
#   start    print the base URL of a running registry, starting one if needed
#            (the URL is the only line on stdout; everything else -> stderr)
#   stop     stop the registry this script started (TERM, then KILL)
#   status   print the URL and exit 0 if it answers, else exit 1
#
# Environment:
#   SCHEMA_REGISTRY_URL          use this external registry: start prints it,
#                                stop leaves it alone
#   WEIR_CACHE_DIR               cache root (default: <repo>/.cache)
#   WEIR_REGISTRY_PORT           fixed port (default: a free loopback port)
#   WEIR_REGISTRY_START_TIMEOUT  seconds to wait for the API (default: 120)
#   WEIR_REGISTRY_JAVA_OPTS      JVM options (default: modest heap, serial GC)
#   JAVA_HOME                    Java 17+ to use (default: java on PATH)
#
# Data lives in memory: a restart gives an empty registry.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
POM="$SCRIPT_DIR/registry/pom.xml"

REGISTRY_VERSION="$(sed -n 's:.*<apicurio\.version>\([^<]*\)</apicurio\.version>.*:\1:p' "$POM" | head -n1)"
[[ -n "$REGISTRY_VERSION" ]] || { echo "registry.sh: cannot read <apicurio.version> from $POM" >&2; exit 1; }

CACHE_DIR="${WEIR_CACHE_DIR:-$REPO_ROOT/.cache}"
INSTALL_DIR="$CACHE_DIR/registry-$REGISTRY_VERSION"
RUNNER_JAR="$INSTALL_DIR/apicurio-registry-app-$REGISTRY_VERSION-runner.jar"
INSTALLED_MARKER="$INSTALL_DIR/.weir-installed"
RUN_DIR="$CACHE_DIR/registry-run"
PID_FILE="$RUN_DIR/registry.pid"
URL_FILE="$RUN_DIR/registry.url"
LOG_FILE="$RUN_DIR/registry.log"
INSTALL_LOG="$RUN_DIR/install.log"
LOCK_FILE="$RUN_DIR/registry.lock"

API_PATH="/apis/ccompat/v7"
START_TIMEOUT="${WEIR_REGISTRY_START_TIMEOUT:-120}"
STOP_TIMEOUT=20
DEFAULT_JAVA_OPTS="-Xms64m -Xmx512m -XX:MaxMetaspaceSize=256m -XX:+UseSerialGC -XX:ActiveProcessorCount=2"

log() { echo "registry.sh: $*" >&2; }
die() { log "$*"; exit 1; }

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    return 1
  fi
}

check_java() {
  local java ver major
  java="$(java_bin)" || die "java not found (need Java 17+; set JAVA_HOME or put java on PATH)"
  ver="$("$java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)"
  major="${ver%%.*}"
  [[ "$major" == 1 ]] && major="$(echo "$ver" | cut -d. -f2)"
  [[ "$major" =~ ^[0-9]+$ && "$major" -ge 17 ]] \
    || die "Apicurio Registry $REGISTRY_VERSION needs Java 17+, found '${ver:-unknown}' at $java"
}

# Serialize install/start/stop across concurrent callers (make -j, parallel CI steps).
with_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$LOCK_FILE"
  if command -v flock >/dev/null 2>&1; then
    flock -w 600 9 || die "timed out waiting for $LOCK_FILE"
  fi
}

is_installed() {
  [[ -f "$INSTALLED_MARKER" && -f "$RUNNER_JAR" && -d "$INSTALL_DIR/lib" ]]
}

do_install() {
  is_installed && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn (Maven) not found; it is needed to resolve Apicurio Registry from Maven Central"
  check_java
  mkdir -p "$CACHE_DIR" "$RUN_DIR"
  local staging="$CACHE_DIR/registry-$REGISTRY_VERSION.staging.$$"
  local archive="$staging/apicurio-registry-app-$REGISTRY_VERSION-all.tar.gz"
  rm -rf "$staging"
  if ! mvn -q -B -f "$POM" validate -Dweir.registry.out="$staging" >"$INSTALL_LOG" 2>&1 \
    || [[ ! -s "$archive" ]]; then
    tail -n 50 "$INSTALL_LOG" >&2 || true
    rm -rf "$staging"
    die "install of Apicurio Registry $REGISTRY_VERSION failed: could not resolve io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all (full log: $INSTALL_LOG)"
  fi
  if ! tar -xzf "$archive" -C "$staging" >>"$INSTALL_LOG" 2>&1 \
    || [[ ! -f "$staging/apicurio-registry-app-$REGISTRY_VERSION-runner.jar" ]]; then
    tail -n 50 "$INSTALL_LOG" >&2 || true
    rm -rf "$staging"
    die "install: unpacking $archive failed (see $INSTALL_LOG)"
  fi
  rm -rf "$staging/.maven" "$archive"
  echo "$REGISTRY_VERSION" >"$staging/.weir-installed"
  rm -rf "$INSTALL_DIR"
  mv "$staging" "$INSTALL_DIR"
}

# Prints an HTTP status code for GET <url> (000 when unreachable).
http_code() {
  local url="$1"
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$url" 2>/dev/null || true
    return 0
  fi
  # Fallback without curl: plain HTTP/1.0 over bash's /dev/tcp (http://host:port/path only).
  local rest="${url#http://}" hostport path host port
  hostport="${rest%%/*}"; path="/${rest#*/}"; [[ "$rest" == */* ]] || path="/"
  host="${hostport%%:*}"; port="${hostport##*:}"; [[ "$hostport" == *:* ]] || port=80
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$3" "$1" >&3
    read -r _ code _ <&3 && echo "$code"
  ' _ "$host" "$port" "$path" 2>/dev/null || echo 000
}

api_ok() { [[ "$(http_code "$1/subjects")" == 200 ]]; }

# Our process only: alive and its command line carries our marker property.
pid_is_ours() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF -- "-Dweir.registry.run-dir=$RUN_DIR"
}

recorded_pid() { if [[ -f "$PID_FILE" ]]; then tr -dc '0-9' <"$PID_FILE"; fi; }
recorded_url() { if [[ -f "$URL_FILE" ]]; then head -n1 "$URL_FILE"; fi; }

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  elif command -v node >/dev/null 2>&1; then
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  else
    local p i
    for i in $(seq 1 50); do
      p=$(( 20000 + RANDOM % 30000 ))
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
  fi
}

kill_pid() {
  local pid="$1" i
  pid_is_ours "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "registry (pid $pid) did not stop within ${STOP_TIMEOUT}s; sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

clear_run_state() { rm -f "$PID_FILE" "$URL_FILE"; }

# One attempt; prints the URL on success, returns 2 if the port was taken.
launch() {
  local port="$1" java url pid deadline
  java="$(java_bin)"
  url="http://127.0.0.1:$port$API_PATH"
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  local -a jopts
  read -r -a jopts <<<"${WEIR_REGISTRY_JAVA_OPTS:-$DEFAULT_JAVA_OPTS}"
  # cd into the install dir so the legacy-jar Class-Path (lib/...) resolves;
  # stdin from /dev/null and nohup so the registry outlives the caller's shell.
  # fd 9 (the lock) must not leak into the long-running JVM.
  (
    exec 9>&-
    cd "$INSTALL_DIR"
    exec nohup "$java" "${jopts[@]}" \
      "-Dweir.registry.run-dir=$RUN_DIR" \
      -Djava.io.tmpdir="$RUN_DIR" \
      -Dquarkus.http.host=127.0.0.1 \
      -Dquarkus.http.port="$port" \
      -Dapicurio.import.work-dir="$RUN_DIR" \
      -Dapicurio.storage.snapshot.location="$RUN_DIR" \
      -jar "$RUNNER_JAR" </dev/null >"$LOG_FILE" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$url" >"$URL_FILE"

  deadline=$(( $(date +%s) + START_TIMEOUT ))
  while (( $(date +%s) < deadline )); do
    if api_ok "$url"; then
      echo "$url"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      clear_run_state
      if grep -qiE 'address already in use|seems to be in use|port .* (already )?(bound|in use)' "$LOG_FILE" 2>/dev/null; then
        return 2
      fi
      log "registry exited during startup; last 50 log lines ($LOG_FILE):"
      tail -n 50 "$LOG_FILE" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  log "registry did not answer GET $url/subjects within ${START_TIMEOUT}s; last 50 log lines ($LOG_FILE):"
  tail -n 50 "$LOG_FILE" >&2 || true
  kill_pid "$pid"
  clear_run_state
  return 1
}

cmd_install() {
  with_lock
  do_install
}

cmd_start() {
  if [[ -n "${SCHEMA_REGISTRY_URL:-}" ]]; then
    echo "$SCHEMA_REGISTRY_URL"
    return 0
  fi
  with_lock
  local pid url
  pid="$(recorded_pid)"
  url="$(recorded_url)"
  if [[ -n "$pid" ]] && pid_is_ours "$pid"; then
    if [[ -n "$url" ]] && api_ok "$url"; then
      echo "$url"
      return 0
    fi
    log "registry pid $pid is running but $url does not answer; restarting it"
    kill_pid "$pid"
  fi
  clear_run_state

  do_install
  check_java

  local attempt port rc
  for attempt in 1 2 3; do
    if [[ -n "${WEIR_REGISTRY_PORT:-}" ]]; then
      port="$WEIR_REGISTRY_PORT"
    else
      port="$(free_port)" || die "could not find a free loopback port"
    fi
    rc=0
    launch "$port" || rc=$?
    case "$rc" in
      0) return 0 ;;
      2) if [[ -n "${WEIR_REGISTRY_PORT:-}" ]]; then
           tail -n 50 "$LOG_FILE" >&2 || true
           die "port $port (WEIR_REGISTRY_PORT) is already in use"
         fi
         log "port $port was taken; retrying with another port (attempt $attempt)" ;;
      *) exit 1 ;;
    esac
  done
  tail -n 50 "$LOG_FILE" >&2 || true
  die "could not bind a free port after 3 attempts"
}

cmd_stop() {
  with_lock
  local pid url
  pid="$(recorded_pid)"
  url="$(recorded_url)"
  # An externally supplied registry is not ours to stop; but a URL that this
  # script printed (and the caller exported) still refers to our process.
  if [[ -n "${SCHEMA_REGISTRY_URL:-}" && "$SCHEMA_REGISTRY_URL" != "$url" ]]; then
    return 0
  fi
  if [[ -n "$pid" ]] && pid_is_ours "$pid"; then
    kill_pid "$pid"
  fi
  clear_run_state
}

cmd_status() {
  local pid url
  if [[ -n "${SCHEMA_REGISTRY_URL:-}" ]]; then
    api_ok "$SCHEMA_REGISTRY_URL" || return 1
    echo "$SCHEMA_REGISTRY_URL"
    return 0
  fi
  pid="$(recorded_pid)"
  url="$(recorded_url)"
  if [[ -n "$pid" && -n "$url" ]] && pid_is_ours "$pid" && api_ok "$url"; then
    echo "$url"
    return 0
  fi
  return 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  help | -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
