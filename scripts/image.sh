#!/usr/bin/env bash
# Builds the container image with podman: bookstore:<chart appVersion>
# (BOOKSTORE_IMAGE overrides the name). The Containerfile's build stage starts
# from Debian 12: the official image when podman has it or can pull it, else
# (no registry reachable, as on CI) one made here with debootstrap from the
# Debian mirror this machine uses, imported as localhost/debian:12.
# Prints the image's name, size and library count at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^appVersion: *"\?\([^"]*\)"\?/\1/p' helm/bookstore/Chart.yaml)
image=${BOOKSTORE_IMAGE:-localhost/bookstore:$version}
official=docker.io/library/debian:12
local_base=localhost/debian:12

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

need=()
for c in podman runc debootstrap; do command -v "$c" >/dev/null 2>&1 || need+=("$c"); done
if ((${#need[@]})); then
  echo "image: installing ${need[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${need[@]}" >/dev/null
fi
# Hosts like CI's (cgroup v1/v2 hybrid, RLIMIT_NOFILE fixed) need runc, cgroupfs
# and no default ulimits; written only where no configuration exists yet.
if [ "$(id -u)" -eq 0 ] && [ ! -e /etc/containers/containers.conf ]; then
  echo "image: writing /etc/containers/containers.conf (runc, cgroupfs, no default ulimits)"
  mkdir -p /etc/containers
  printf '%s\n' '[containers]' 'default_ulimits = []' '[engine]' 'runtime = "runc"' \
    'cgroup_manager = "cgroupfs"' 'events_logger = "file"' >/etc/containers/containers.conf
fi

base=${BOOKSTORE_IMAGE_BASE:-}
if [ -z "$base" ]; then
  if podman image exists "$official" || podman pull -q "$official" >/dev/null 2>&1; then
    base=$official
  else
    base=$local_base
  fi
fi
if [ "$base" = "$local_base" ] && ! podman image exists "$local_base"; then
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "image: no registry reachable; making $local_base with debootstrap from $mirror"
  root=$(mktemp -d /var/tmp/bookstore-base.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  "${sudo_cmd[@]}" debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
    { cat "$root.log"; exit 1; }
  rm -f "$root.log"
  # the same package sources as this machine (security and updates included)
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    "${sudo_cmd[@]}" cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    "${sudo_cmd[@]}" rm -f "$root/etc/apt/sources.list"
  fi
  "${sudo_cmd[@]}" tar -C "$root" -c . | podman import -q - "$local_base" >/dev/null
fi

echo "image: building $image from $base"
log=$(mktemp /tmp/bookstore-image.XXXXXX.log)
podman build --network=host --build-arg "BUILD_IMAGE=$base" -t "$image" -f Containerfile . \
  >"$log" 2>&1 || { tail -n 60 "$log"; echo "image: build failed, whole log in $log"; exit 1; }
grep '^image-rootfs:' "$log" || true
rm -f "$log"
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "image: $image, $((size / 1000000)) MB"
