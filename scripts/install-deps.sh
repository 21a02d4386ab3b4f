#!/usr/bin/env bash
# Installs what bookstore-c needs on Debian 12: compilers and libraries from
# Debian, the buf CLI from npm (into ./node_modules). Idempotent and quick
# when everything is already there. Uses sudo when not run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config meson ninja-build
  protobuf-compiler protobuf-c-compiler libprotobuf-c-dev protobuf-compiler-grpc
  libgrpc-dev grpc-proto
  libjansson-dev libcmocka-dev libjwt-dev libssl-dev libsodium-dev
  mariadb-server libmariadb-dev redis-server libhiredis-dev
  python3 python3-grpcio python3-pytest python3-protobuf python3-jwt python3-cryptography
  openssl redis-tools
  nghttp2-client
  libmicrohttpd-dev python3-prometheus-client
)

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/buf ]; then
  echo "install-deps: installing buf from npm"
  # `npm ci` rejects lock files written by npm 11 (they omit other platforms'
  # optional packages); the version is pinned exactly in package.json
  npm install --no-audit --no-fund --loglevel=error
fi
