#!/usr/bin/env bash
# Installs the Debian 12 packages tugboat and its tests need. Idempotent: when
# everything is installed it only asks dpkg and exits. Needs root for apt-get.
#
#   sudo bash scripts/install-deps.sh          install what is missing
#   bash scripts/install-deps.sh --check       exit 1 (listing them) if any are missing
set -euo pipefail

# Why each one is here:
PACKAGES=(
  etcd-server                 # etcd 3.4 at /usr/bin/etcd: the cluster's store; tests start their own
  etcd-client                 # etcdctl, for looking into a cluster's store by hand
  runc                        # the OCI runtime the agent runs containers with
  conmon                      # container monitor used by podman
  containernetworking-plugins # CNI bridge, host-local, loopback, portmap for pod networks
  busybox-static              # static userland for test container images built locally
  iptables                    # Service virtual IPs and NodePorts (agent proxy)
  iproute2                    # ip netns/link/route: test nodes and pod network namespaces
  docker-registry             # a local image registry for tests (nothing is pulled from outside)
  skopeo                      # copies images between local stores and the registry
  umoci                       # unpacks OCI images into runc bundles
  podman                      # Docker-API engine for testcontainers (e2e etcd); `podman kube play`, the pod-start benchmark's peer
  catatonit                   # the init podman builds its pause image from (only Recommended by podman): kube play pods need it
  ca-certificates             # TLS roots for npm
  attr                        # setfattr: overlay opaque-directory markers when unpacking image layers
  util-linux                  # unshare, nsenter, ipcmk/ipcs, script: namespaces and tty exec
  conntrack                   # flushes stale UDP conntrack entries when Service endpoints go away
  curl                        # setup-container-engine.sh asks the Podman API socket whether it answers
)

missing_packages() {
  # One dpkg-query for all: it prints the known ones and complains about (and skips) the unknown.
  local installed
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    # "ii" = wanted and fully installed; anything else (absent, half-configured, removed) needs apt.
    grep -qE "^${pkg} ii" <<<"$installed" || echo "$pkg"
  done
}

mapfile -t MISSING < <(missing_packages)

if [[ ${#MISSING[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

if [[ ${1:-} == --check ]]; then
  echo "install-deps: missing: ${MISSING[*]}" >&2
  exit 1
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing: ${MISSING[*]}; installing them needs root: sudo bash $0" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# Package services (etcd, docker-registry) must not start on install: tests start
# their own on free ports, and a stray etcd on :2379 would outlive the run.
# policy-rc.d answering 101 is Debian's way to say "do not start services".
POLICY=/usr/sbin/policy-rc.d
POLICY_ADDED=0
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\n# added by tugboat scripts/install-deps.sh for the duration of an install\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  POLICY_ADDED=1
fi
cleanup() { if [[ $POLICY_ADDED -eq 1 ]]; then rm -f "$POLICY"; fi; }
trap cleanup EXIT

have_package_lists() {
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

apt_update() {
  echo "install-deps: apt-get update"
  apt-get update -q
}

echo "install-deps: installing ${MISSING[*]}"
if ! have_package_lists; then
  apt_update
  apt-get install "${APT_OPTS[@]}" "${MISSING[@]}"
elif ! apt-get install "${APT_OPTS[@]}" "${MISSING[@]}"; then
  # Lists present but stale (a package unknown, or a .deb gone from the mirror): refresh once and retry.
  apt_update
  apt-get install "${APT_OPTS[@]}" "${MISSING[@]}"
fi

mapfile -t STILL_MISSING < <(missing_packages)
if [[ ${#STILL_MISSING[@]} -ne 0 ]]; then
  echo "install-deps: still not installed after apt-get: ${STILL_MISSING[*]}" >&2
  exit 1
fi
if [[ ! -x /usr/bin/etcd ]]; then
  echo "install-deps: etcd-server is installed but /usr/bin/etcd is missing" >&2
  exit 1
fi
echo "install-deps: done; $(/usr/bin/etcd --version | head -n1)"
