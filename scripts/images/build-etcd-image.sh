#!/usr/bin/env bash
# Builds the etcd image that e2e tests start through testcontainers, from the
# etcd that Debian's etcd-server package installed here. Nothing is pulled:
# the image is one layer made by `podman import` of a tarball holding
# /usr/bin/etcd, /usr/bin/etcdctl and the shared libraries `ldd` names for
# them (Debian builds etcd with cgo, so it needs libc and the loader).
#
#   bash scripts/images/build-etcd-image.sh              (re)build it
#   bash scripts/images/build-etcd-image.sh --if-stale   build only if missing or made from other binaries
#
# Environment: TUG_ETCD_IMAGE (default localhost/tugboat-etcd:3.4; e2e/harness/etcd-container.ts
# reads the same variable), TUG_ETCD_BINARY (default /usr/bin/etcd), TUG_ETCDCTL_BINARY
# (default /usr/bin/etcdctl).
set -euo pipefail

IMAGE=${TUG_ETCD_IMAGE:-localhost/tugboat-etcd:3.4}
ETCD=${TUG_ETCD_BINARY:-/usr/bin/etcd}
ETCDCTL=${TUG_ETCDCTL_BINARY:-/usr/bin/etcdctl}
# The image records which binaries it was made from, so that an etcd upgrade by
# apt rebuilds it instead of testing an old etcd.
FINGERPRINT_LABEL=tugboat.etcd.sha256

say() { echo "build-etcd-image: $*"; }
die() { echo "build-etcd-image: $*" >&2; exit 1; }

for bin in "$ETCD" "$ETCDCTL"; do
  [[ -x $bin ]] || die "$bin is missing: install Debian's etcd-server and etcd-client (bash scripts/install-deps.sh)"
done
command -v podman >/dev/null || die "podman is missing: install it (bash scripts/install-deps.sh)"

# This script is part of the fingerprint: a change to the recipe rebuilds too.
fingerprint=$(sha256sum "$ETCD" "$ETCDCTL" "${BASH_SOURCE[0]}" | cut -d' ' -f1 | sha256sum | cut -d' ' -f1)

if [[ ${1:-} == --if-stale ]]; then
  current=$(podman image inspect --format "{{index .Labels \"$FINGERPRINT_LABEL\"}}" "$IMAGE" 2>/dev/null || true)
  if [[ $current == "$fingerprint" ]]; then
    say "$IMAGE is up to date"
    exit 0
  fi
elif [[ $# -gt 0 ]]; then
  die "unknown argument $1 (usage: $0 [--if-stale])"
fi

version=$("$ETCD" --version | sed -n 's/^etcd Version: //p')
[[ -n $version ]] || die "could not read the version from '$ETCD --version'"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"/{usr/bin,etc,tmp,var/lib/etcd,proc,sys,dev}
chmod 1777 "$rootfs/tmp"
# Data lives under /var/lib/etcd, inside the container, and goes with it.
chmod 700 "$rootfs/var/lib/etcd"

cp "$ETCD" "$rootfs/usr/bin/etcd"
cp "$ETCDCTL" "$rootfs/usr/bin/etcdctl"

# Every absolute path ldd prints (libraries and the ELF interpreter), copied as
# a real file under the same path, so the loader finds them where the binary
# says without the host's /lib → /usr/lib symlinks.
libs=$(ldd "$ETCD" "$ETCDCTL" | grep -oE '/[^ ]+' | grep -v ':$' | sort -u)
[[ -n $libs ]] || die "ldd listed no libraries for $ETCD: a static etcd needs none, but check the image runs"
for lib in $libs; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done

printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
# Go's resolver reads it; the engine mounts /etc/hosts and /etc/resolv.conf itself.
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

# No ENV for etcd: it refuses to start when a flag repeats an ETCD_* variable.
# No EXPOSE: Podman's Docker API lists exposed but unpublished ports in
# HostConfig.PortBindings with no binding, and testcontainers then waits for
# them to be bound until it times out.

# Fixed owner and times: the same binaries give the same layer.
tar --create --file "$work/rootfs.tar" --directory "$rootfs" \
  --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 .

previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)

podman import --quiet \
  --change "LABEL $FINGERPRINT_LABEL=$fingerprint" \
  --change "LABEL tugboat.etcd.version=$version" \
  --change 'CMD ["/usr/bin/etcd", "--data-dir", "/var/lib/etcd", "--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://127.0.0.1:2379"]' \
  --message "etcd $version from $ETCD" \
  "$work/rootfs.tar" "$IMAGE" >/dev/null

# The old image lost its tag to the new one; drop it unless a container still uses it.
current=$(podman image inspect --format '{{.Id}}' "$IMAGE")
if [[ -n $previous && $previous != "$current" ]]; then
  podman rmi "$previous" >/dev/null 2>&1 || true
fi

# The loader and libc must be enough: run etcd --version in the image.
# A failed check removes the image, so that --if-stale builds it again next time.
if ! out=$(podman run --rm --network none "$IMAGE" /usr/bin/etcd --version 2>&1); then
  podman rmi "$IMAGE" >/dev/null 2>&1 || true
  die "etcd does not run in the image $IMAGE (removed it again): $out
(podman needs runtime \"runc\" and rlimits within the hard limits: bash scripts/setup-container-engine.sh writes them)"
fi
say "built $IMAGE (etcd $version, $(du -sh "$work/rootfs.tar" | cut -f1) uncompressed)"
