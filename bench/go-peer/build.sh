#!/bin/sh
# Builds the grpc-go peer offline (GOPATH mode, Debian's Go toolchain, grpc-go
# and protobuf-go, stubs made here by protoc-gen-go and protoc-gen-go-grpc):
# build.sh OUTPUT.
set -eu
out=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/bs-go-peer.XXXXXX)
trap 'rm -rf "$work"' EXIT
pkg=$work/src/bookstore-bench
mkdir -p "$pkg/testingpb" "$pkg/peer"
map=Mbookstore/testing/v1/testing.proto=bookstore-bench/testingpb
protoc -I "$root/tests/proto" --go_out="$pkg/testingpb" --go_opt=paths=source_relative,$map \
  --go-grpc_out="$pkg/testingpb" --go-grpc_opt=paths=source_relative,$map \
  bookstore/testing/v1/testing.proto
mv "$pkg/testingpb/bookstore/testing/v1/"*.go "$pkg/testingpb/"
cp "$root/bench/go-peer/main.go" "$pkg/peer/"
cd "$pkg/peer"
GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="${GOCACHE:-$work/cache}" \
  go build -o "$out" .
