#!/usr/bin/env bash
# A Docker engine for Weir's container tests: the user's own when one answers, otherwise a private dockerd
# started by this script (as root), reachable only through a unix socket and running containers only on the
# host network: no bridge, no iptables rule, no masquerading.
#
#   scripts/docker-engine.sh start    print the DOCKER_HOST to use, starting a private engine when none answers
#   scripts/docker-engine.sh stop     stop the engine this script started (by PID); a user's engine is left alone
#   scripts/docker-engine.sh status   print the DOCKER_HOST of an answering engine and exit 0, else exit 1
#
# On a machine without dockerd the script installs Debian's docker.io (and debootstrap, which scripts/images.sh
# needs) with apt-get when it runs as root; otherwise it says why no engine can be had and exits 1.
#
# Environment:
#   DOCKER_HOST                 an engine of the user's: start/status print it when it answers, stop leaves it
#   WEIR_CACHE_DIR              cache root (default <repo>/.cache); the private engine's images live in
#                               <cache>/docker/data so a second start finds them built
#   WEIR_DOCKER_START_TIMEOUT   seconds to wait for the private engine to answer (default 60)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${WEIR_CACHE_DIR:-$root/.cache}"
[[ $cache == /* ]] || cache="$PWD/$cache"
data_root="$cache/docker/data"
# The exec root holds containerd's sockets, whose paths must stay under the 108 bytes of a unix socket path:
# a short directory in /tmp, one per cache root.
exec_root="/tmp/weir-docker-$(printf '%s' "$cache" | md5sum | cut -c1-10)"
socket="$exec_root/docker.sock"
pid_file="$exec_root/dockerd.pid"
log_file="$cache/docker/dockerd.log"
start_timeout="${WEIR_DOCKER_START_TIMEOUT:-60}"
stop_timeout=30

log() { echo "docker-engine.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# The 28.x CLI talks to a 20.10 engine by negotiating the API version down; `version` answers only when the
# engine does.
answers() { DOCKER_HOST="$1" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# The user's engine: $DOCKER_HOST, else the default socket.
user_engine() {
  if [[ -n ${DOCKER_HOST:-} ]]; then
    answers "$DOCKER_HOST" && echo "$DOCKER_HOST"
    return
  fi
  [[ -S /var/run/docker.sock ]] && answers unix:///var/run/docker.sock && echo unix:///var/run/docker.sock
}

# The dockerd this script started, if its pid is still that dockerd (a reused pid is not).
our_pid() {
  local pid
  [[ -f $pid_file ]] || return 1
  pid="$(tr -dc 0-9 <"$pid_file")"
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--exec-root $exec_root " || return 1
  echo "$pid"
}

# apt's output only matters when it fails: then it is shown whole.
install_engine() {
  [[ $(id -u) -eq 0 ]] || die "no Docker engine answers and dockerd is not installed; installing it needs root (apt-get install docker.io)"
  command -v apt-get >/dev/null || die "no Docker engine answers, dockerd is not installed and there is no apt-get to install it"
  log "installing Debian's docker.io and debootstrap..."
  local apt_log policy=/usr/sbin/policy-rc.d own_policy=0 status=0
  apt_log="$(mktemp)"
  # The packaged service is not what we run (ours starts below with its own flags): it would start a dockerd
  # with the default bridge network and iptables rules. A policy-rc.d that exits 101 keeps the package from
  # starting it; one is put in place for the install when the machine has none.
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# scripts/docker-engine.sh: no service starts during its install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap; } >"$apt_log" 2>&1 || status=$?
  ((own_policy == 0)) || rm -f "$policy"
  if ((status != 0)); then
    cat "$apt_log" >&2
    rm -f "$apt_log"
    die "could not install docker.io (see apt's output above)"
  fi
  rm -f "$apt_log"
}

ensure_installed() {
  if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then install_engine; fi
  command -v docker >/dev/null || die "dockerd is installed but there is no docker CLI on PATH"
}

cmd_status() {
  local host
  if host="$(user_engine)"; then echo "$host"; return 0; fi
  if our_pid >/dev/null && answers "unix://$socket"; then echo "unix://$socket"; return 0; fi
  return 1
}

cmd_start() {
  local host pid
  if host="$(user_engine)"; then echo "$host"; return 0; fi
  [[ -z ${DOCKER_HOST:-} ]] || die "DOCKER_HOST=$DOCKER_HOST does not answer"
  [[ $(id -u) -eq 0 ]] || die "no Docker engine answers, and starting a private one needs root"
  mkdir -p "$exec_root" "$data_root"
  exec 9>>"$exec_root/lock"
  flock -w 300 9 || die "timed out waiting for $exec_root/lock"
  if pid="$(our_pid)"; then
    if answers "unix://$socket"; then echo "unix://$socket"; return 0; fi
    log "dockerd $pid does not answer; stopping it"
    kill_engine "$pid"
  fi
  ensure_installed
  rm -f "$pid_file" "$socket"
  : >"$log_file"
  log "starting a private dockerd (host network only; socket $socket, log $log_file)..."
  # setsid: the engine outlives the caller's process group; 9>&- keeps it from holding the lock.
  setsid dockerd --bridge=none --iptables=false --ip-masq=false \
    --data-root "$data_root" --exec-root "$exec_root" --pidfile "$pid_file" -H "unix://$socket" \
    >>"$log_file" 2>&1 </dev/null 9>&- &
  local started=$! deadline=$((SECONDS + start_timeout))
  until answers "unix://$socket"; do
    if ! kill -0 "$started" 2>/dev/null; then
      tail -n 30 "$log_file" >&2
      die "dockerd exited during startup (full log: $log_file)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$log_file" >&2
      kill_engine "$started"
      die "dockerd did not answer within ${start_timeout}s (full log: $log_file)"
    fi
    sleep 0.5
  done
  log "dockerd $(our_pid || echo "$started") answers at unix://$socket"
  echo "unix://$socket"
}

kill_engine() {
  local pid=$1 waited=0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((waited < stop_timeout * 10)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "dockerd $pid ignored SIGTERM for ${stop_timeout}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

cmd_stop() {
  local pid
  if ! pid="$(our_pid)"; then
    [[ -z ${DOCKER_HOST:-} || $DOCKER_HOST == "unix://$socket" ]] || log "DOCKER_HOST=$DOCKER_HOST is not ours to stop"
    return 0
  fi
  exec 9>>"$exec_root/lock"
  flock -w 300 9 || die "timed out waiting for $exec_root/lock"
  log "stopping dockerd $pid..."
  # Containers left running would keep their processes after dockerd: stop them first (host network, so no
  # cleanup of network namespaces is needed).
  local running
  running="$(DOCKER_HOST="unix://$socket" timeout 30 docker ps -q 2>/dev/null || true)"
  if [[ -n $running ]]; then
    # shellcheck disable=SC2086  # one id per word
    DOCKER_HOST="unix://$socket" timeout 60 docker stop -t 10 $running >/dev/null 2>&1 || true
  fi
  kill_engine "$pid"
  rm -f "$pid_file"
  # dockerd 20.10 leaves its default network namespace bind-mounted under the exec root: unmount it.
  if mountpoint -q "$exec_root/netns/default" 2>/dev/null; then umount "$exec_root/netns/default" || log "could not unmount $exec_root/netns/default"; fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) sed -n 's/^#   scripts/scripts/p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
