#!/bin/sh
# buf.gen.yaml works offline and its output is usable: the C compiles, every
# Python stub imports, every Node stub loads, the Go stubs build (GOPATH mode,
# Debian's Go libraries).  check-buf-generate.sh BUF
set -eu
buf=$1
cd "$(dirname "$0")/../.."
# inside the repository, so the Node stubs find node_modules
out=$(mktemp -d "$PWD/build-gen.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$buf" generate -o "$out"
n=0
for f in $(find "$out/c" -name '*.pb-c.c'); do
  cc -std=c17 -Wall -Werror -I"$out/c" -c "$f" -o /dev/null
  n=$((n + 1))
done
[ "$n" -ge 8 ] || { echo "expected C for 8 packages, got $n" >&2; exit 1; }
mods=$(cd "$out/python" && find bookstore -name '*_pb2*.py' | sed 's/\.py$//; s#/#.#g' | sort)
PYTHONPATH="$out/python" /usr/bin/python3 -c "
import importlib, sys
mods = sys.argv[1:]
for m in mods: importlib.import_module(m)
assert any(m.endswith('checkout_pb2_grpc') for m in mods)
print(f'{len(mods)} python modules import')" $mods
echo "buf generate: $n C files compile"
n_node=0
for f in $(cd "$out/node" && find bookstore -name '*_pb.js'); do
  node -e "require(process.argv[1])" "$out/node/$f"
  n_node=$((n_node + 1))
done
[ "$n_node" -ge 8 ] || { echo "expected Node stubs for 8 packages, got $n_node" >&2; exit 1; }
echo "buf generate: $n_node Node modules load"
gopath="$out/gopath"
mkdir -p "$gopath/src/github.com/bookstore-c/bookstore-c/gen"
cp -r "$out/go" "$gopath/src/github.com/bookstore-c/bookstore-c/gen/go" # `...` skips symlinks
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="${GOCACHE:-$out/gocache}" \
  go build github.com/bookstore-c/bookstore-c/gen/go/bookstore/...
echo "buf generate: the Go stubs build"

