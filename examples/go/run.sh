#!/bin/sh
# Builds and runs the Go example offline, in GOPATH mode, with Debian's Go
# toolchain and libraries (golang-go, golang-google-grpc-dev,
# golang-google-protobuf-dev) and the stubs `buf generate -o gen` wrote
# (BOOKSTORE_GO_STUBS overrides where they are).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
stubs=${BOOKSTORE_GO_STUBS:-$root/gen/go}
work=$(mktemp -d /tmp/bs-go.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/github.com/bookstore-c/bookstore-c/gen"
ln -s "$stubs" "$work/src/github.com/bookstore-c/bookstore-c/gen/go"
GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="${GOCACHE:-$work/cache}" \
  go build -o "$work/checkout-example" "$root/examples/go/main.go"
"$work/checkout-example"
