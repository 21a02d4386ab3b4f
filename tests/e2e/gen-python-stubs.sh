#!/bin/sh
# Generates Python message and gRPC stubs for the e2e tests:
#   gen-python-stubs.sh OUT_DIR STAMP PROTO_DIR TEST_PROTO_DIR GRPC_PROTO_DIR GOOGLEAPIS_DIR
# The grpc health/reflection protos are copied under grpc_health/ and
# grpc_reflection/ first (as grpcio-health-checking does), so the generated
# modules do not shadow grpcio's own `grpc` package.
set -eu
out=$1 stamp=$2 proto=$3 test_proto=$4 grpc_proto=$5 googleapis=$6
rm -rf "$out" && mkdir -p "$out/src/grpc_health/v1" "$out/src/grpc_reflection/v1" "$out/src/grpc_reflection/v1alpha"
cp "$grpc_proto/grpc/health/v1/health.proto" "$out/src/grpc_health/v1/"
cp "$grpc_proto/grpc/reflection/v1/reflection.proto" "$out/src/grpc_reflection/v1/"
cp "$grpc_proto/grpc/reflection/v1alpha/reflection.proto" "$out/src/grpc_reflection/v1alpha/"
files=$(cd "$proto" && find bookstore -name '*.proto' | sort)
protoc -I"$proto" -I"$test_proto" -I"$out/src" -I"$googleapis" \
  --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  $files bookstore/testing/v1/testing.proto google/api/http.proto google/api/annotations.proto \
  grpc_health/v1/health.proto grpc_reflection/v1/reflection.proto grpc_reflection/v1alpha/reflection.proto
touch "$stamp"
