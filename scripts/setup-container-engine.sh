#!/usr/bin/env bash
# Prepares the container engine that e2e tests reach through testcontainers:
# Podman's Docker-compatible API on unix:///run/podman/podman.sock, and the
# locally built etcd image (nothing can be pulled here). Run as root after
# scripts/install-deps.sh. Idempotent and quick when all is in place: an API
# service that already answers is reused, and the image is rebuilt only when
# missing or made from other etcd binaries.
#
#   sudo bash scripts/setup-container-engine.sh
#
# What it does, and why (../shared/DESIGN.md, Machine facts):
# 1. /etc/containers/containers.conf gets `[engine] runtime = "runc"` (crun is
#    not installed) and `[containers] default_ulimits` of nofile and nproc
#    1024:1024 (podman's defaults exceed the hard limits here and runc fails
#    with "error setting rlimits"). Other settings in an existing file are kept.
# 2. `podman system service --time=0` on the socket, started in the background
#    when the socket does not answer (CI starts with no processes), and
#    restarted if it was started by this script before the config changed.
# 3. scripts/images/build-etcd-image.sh --if-stale.
#
# Environment: TUG_PODMAN_SOCKET (default /run/podman/podman.sock),
# TUG_CONTAINERS_CONF (default /etc/containers/containers.conf).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOCKET=${TUG_PODMAN_SOCKET:-/run/podman/podman.sock}
CONF=${TUG_CONTAINERS_CONF:-/etc/containers/containers.conf}
RUN_DIR=$(dirname "$SOCKET")
PID_FILE=$RUN_DIR/tugboat-podman-service.pid
LOG_FILE=$RUN_DIR/tugboat-podman-service.log
START_TIMEOUT_S=30

say() { echo "setup-container-engine: $*"; }
die() { echo "setup-container-engine: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (it writes $CONF and runs the rootful podman service): sudo bash $0"
command -v podman >/dev/null || die "podman is missing: bash scripts/install-deps.sh"
command -v curl >/dev/null || die "curl is missing (used to ask the API socket for /_ping): apt-get install curl"

# --- 1. containers.conf -------------------------------------------------------

# Prints the file on stdin with our two keys set, everything else as it was.
# TOML forbids a table twice, so a key goes into its table where the table
# exists, and a table is appended only when absent. default_ulimits keeps the
# entries for other limits an administrator put there.
merge_containers_conf() {
  local existing=$1
  awk '
    function table_of(line,   t) {
      t = line
      sub(/^[ \t]*\[+[ \t]*/, "", t); sub(/[ \t]*\].*$/, "", t)
      return t
    }
    function is_header(line) { return line ~ /^[ \t]*\[/ }
    function brackets(s,   opens, closes, t) {
      t = s; opens = gsub(/\[/, "", t); t = s; closes = gsub(/\]/, "", t)
      return opens - closes
    }
    # First pass: the quoted entries of an existing [containers] default_ulimits.
    pass == 1 {
      if (is_header($0)) { table = table_of($0); next }
      if (collecting || (table == "containers" && $0 ~ /^[ \t]*default_ulimits[ \t]*=/)) {
        text = text $0 "\n"
        depth += brackets($0)
        collecting = depth > 0
      }
      next
    }
    function prepare(   kept, entry) {
      started = 1
      kept = ""
      while (match(text, /"[^"]*"/)) {
        entry = substr(text, RSTART, RLENGTH)
        text = substr(text, RSTART + RLENGTH)
        if (entry !~ /^"(nofile|nproc)=/) kept = kept entry ", "
      }
      ulimits = "default_ulimits = [" kept "\"nofile=1024:1024\", \"nproc=1024:1024\"]"
      runtime = "runtime = \"runc\""
      table = ""; skipping = 0; depth = 0
    }
    pass == 2 && !started { prepare() }
    # Second pass: print, replacing our keys inside their tables.
    {
      if (skipping) { depth += brackets($0); skipping = depth > 0; next }
      if (is_header($0)) {
        table = table_of($0)
        print
        if (table == "containers") { print ulimits; seen_containers = 1 }
        if (table == "engine") { print runtime; seen_engine = 1 }
        next
      }
      if (table == "containers" && $0 ~ /^[ \t]*default_ulimits[ \t]*=/) {
        depth = brackets($0); skipping = depth > 0; next
      }
      if (table == "engine" && $0 ~ /^[ \t]*runtime[ \t]*=/) next
      print
    }
    END {
      if (!started) prepare()
      if (!seen_containers) { printf "\n[containers]\n%s\n", ulimits }
      if (!seen_engine) { printf "\n[engine]\n%s\n", runtime }
    }
  ' pass=1 "$existing" pass=2 "$existing"
}

ensure_containers_conf() {
  local existing merged
  existing=$(mktemp)
  merged=$(mktemp)
  if [[ -f $CONF ]]; then
    cp "$CONF" "$existing"
  else
    printf '# Written by tugboat scripts/setup-container-engine.sh: podman here must use runc,\n# with rlimits no higher than the hard limits.\n' >"$existing"
  fi
  merge_containers_conf "$existing" >"$merged"
  if [[ -f $CONF ]] && cmp -s "$merged" "$CONF"; then
    rm -f "$existing" "$merged"
    return 1
  fi
  mkdir -p "$(dirname "$CONF")"
  chmod 644 "$merged"
  mv "$merged" "$CONF"
  rm -f "$existing"
  say "wrote $CONF"
  return 0
}

conf_changed=0
if ensure_containers_conf; then conf_changed=1; fi

# --- 2. the API service --------------------------------------------------------

socket_answers() {
  [[ -S $SOCKET ]] && [[ $(curl -s --max-time 2 --unix-socket "$SOCKET" http://podman/_ping 2>/dev/null) == OK ]]
}

our_service_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # The pid may have been reused since: it must still be a podman service on our socket.
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"system service"*"unix://$SOCKET"* ]] || return 1
  echo "$pid"
}

stop_our_service() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

start_service() {
  local pid i
  mkdir -p "$RUN_DIR"
  # A socket file left by a dead service would make podman fail to bind.
  rm -f "$SOCKET"
  # setsid and closed descriptors: the service outlives this script and must
  # not hold the caller's output pipe open (CI waits for that pipe to close).
  # From /: conmon, which the service starts for each container, fails with
  # "Failed to get working directory" once the service's own cwd is removed.
  (cd / && exec setsid podman system service --time=0 "unix://$SOCKET" </dev/null >>"$LOG_FILE" 2>&1) &
  pid=$!
  echo "$pid" >"$PID_FILE"
  for ((i = 0; i < START_TIMEOUT_S * 10; i++)); do
    if socket_answers; then
      say "started podman system service (pid $pid) on unix://$SOCKET; log $LOG_FILE"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "setup-container-engine: podman system service did not answer on $SOCKET; its log ($LOG_FILE):" >&2
  tail -n 30 "$LOG_FILE" >&2 || true
  exit 1
}

# A service started from a directory that is gone since cannot start containers
# (see start_service); it still answers, so only its cwd tells.
cwd_gone() {
  [[ $(readlink "/proc/$1/cwd" 2>/dev/null) == *" (deleted)" ]]
}

if socket_answers; then
  if pid=$(our_service_pid) && cwd_gone "$pid"; then
    say "restarting the podman service (pid $pid): the directory it was started from is gone"
    stop_our_service "$pid"
    start_service
  elif [[ $conf_changed -eq 1 ]]; then
    # The service read containers.conf when it started; it must start again to use ours.
    if pid=$(our_service_pid); then
      say "restarting the podman service (pid $pid) to apply $CONF"
      stop_our_service "$pid"
      start_service
    else
      say "warning: a podman service not started by this script answers on $SOCKET; restart it to apply $CONF" >&2
    fi
  else
    say "reusing the podman service on unix://$SOCKET"
  fi
else
  start_service
fi

# --- 3. the etcd image -----------------------------------------------------------

bash "$ROOT/scripts/images/build-etcd-image.sh" --if-stale
