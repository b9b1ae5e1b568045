#!/usr/bin/env bash
# Make a Docker engine reachable for the container tests (tests/containers/).
#
#   eval "$(scripts/docker-engine.sh start)"  # sets DOCKER_HOST (+ DOCKER_ENGINE_STARTED=1
#                                              # when this call started the engine)
#   scripts/docker-engine.sh stop    # stops the engine `start` started, if any
#
# When `docker info` already answers (a laptop, GitHub Actions), `start` changes
# nothing and installs nothing. Otherwise, on Debian, it installs the
# distribution's docker.io and starts its own dockerd: its own socket, data root
# and pid file under $ENGINE_DIR, host networking only (no bridge, no iptables
# rules), so it touches neither a system engine nor another one like it.
# Everything it prints for people goes to stderr; stdout is only the export line.
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE_DIR=${DOCKER_ENGINE_DIR:-$PWD/.cache/docker-engine}
SOCKET=$ENGINE_DIR/docker.sock
PIDFILE=$ENGINE_DIR/dockerd.pid
START_TIMEOUT=${DOCKER_ENGINE_TIMEOUT:-60}

say() { printf 'docker-engine: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  if docker info >/dev/null 2>&1; then
    say "a Docker engine already answers (${DOCKER_HOST:-default socket}): using it"
    return
  fi
  if running && DOCKER_HOST=unix://$SOCKET docker info >/dev/null 2>&1; then
    say "our engine is already running (pid $(cat "$PIDFILE"))"
    echo "export DOCKER_HOST=unix://$SOCKET"
    return
  fi
  if ! command -v dockerd >/dev/null; then
    command -v apt-get >/dev/null \
      || die "no Docker engine answers and this is not Debian/Ubuntu: install Docker and start it"
    [ "$(id -u)" -eq 0 ] || die "installing docker.io needs root: run as root or start Docker yourself"
    say "installing the distribution's docker.io"
    apt-get update -qq >&2
    # policy-rc.d-free install: the package's service start fails without systemd, harmlessly.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      docker.io >&2
  fi
  command -v docker >/dev/null || die "docker.io installed no docker client"
  mkdir -p "$ENGINE_DIR/data" "$ENGINE_DIR/exec"
  say "starting dockerd (socket $SOCKET, data root $ENGINE_DIR/data)"
  # setsid: the engine outlives this script; `stop` ends it by its pid file.
  setsid dockerd \
    --host "unix://$SOCKET" \
    --data-root "$ENGINE_DIR/data" \
    --exec-root "$ENGINE_DIR/exec" \
    --pidfile "$PIDFILE" \
    --bridge none --iptables=false --ip-masq=false \
    --exec-opt native.cgroupdriver=cgroupfs \
    >"$ENGINE_DIR/dockerd.log" 2>&1 </dev/null &
  local waited=0
  until DOCKER_HOST=unix://$SOCKET docker info >/dev/null 2>&1; do
    if [ "$waited" -ge "$START_TIMEOUT" ]; then
      tail -n 20 "$ENGINE_DIR/dockerd.log" >&2 || true
      die "dockerd did not answer within ${START_TIMEOUT} s (log: $ENGINE_DIR/dockerd.log)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "engine ready after ${waited} s"
  echo "export DOCKER_HOST=unix://$SOCKET DOCKER_ENGINE_STARTED=1"
}

stop() {
  if ! running; then
    say "no engine of ours is running"
    return
  fi
  local pid
  pid=$(cat "$PIDFILE")
  kill -TERM "$pid"
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "dockerd $pid ignored SIGTERM for 30 s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # dockerd leaves its default network namespace mounted: unmount what is left
  # under its exec root, so the directory can be removed.
  awk -v root="$ENGINE_DIR/exec/" 'index($2, root) == 1 {print $2}' /proc/mounts \
    | while read -r mount; do umount "$mount" || true; done
  say "engine stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop" ;;
esac
