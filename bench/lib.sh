# Shared by the bench scripts (sourced): a work directory cleaned up on exit,
# a throwaway MariaDB + Redis, a token key pair and minted tokens, services
# started on free ports, gRPC frames for h2load, and one h2load measurement.
# Expects to run from the repository root with build-release built.

work=$(mktemp -d /tmp/bs-bench.XXXXXX)
pids=()
bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/deps.sh stop "$work/deps" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap bench_cleanup EXIT
scripts/deps.sh start "$work/deps" >/dev/null
# shellcheck disable=SC1091
. "$work/deps/env"
bufcurl() { node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge "$@"; }
json() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$work/k.pem"
openssl ec -in "$work/k.pem" -pubout -out "$work/k.pub.pem" 2>/dev/null
export BOOKSTORE_JWT_VERIFY_KEYS=k1=$work/k.pub.pem
mint() { # role subject
  /usr/bin/python3 -c '
import jwt, sys, time, uuid
now = int(time.time())
print(jwt.encode({"iss": "bookstore-identity", "aud": "bookstore", "sub": sys.argv[3], "role": sys.argv[2],
                  "jti": uuid.uuid4().hex, "iat": now, "nbf": now, "exp": now + 3600},
                 open(sys.argv[1]).read(), algorithm="ES256", headers={"kid": "k1"}))' "$work/k.pem" "$1" "$2"
}

started_port= started_pid=
start() { # name binary env... -> started_port, started_pid
  local name=$1 binary=$2; shift 2
  env "$@" "$binary" >"$work/$name.out" 2>"$work/$name.log" &
  started_pid=$!
  pids+=("$started_pid")
  for _ in $(seq 200); do grep -q "listening on port" "$work/$name.out" 2>/dev/null && break; sleep 0.05; done
  started_port=$(awk '/listening on port/ {print $4}' "$work/$name.out")
  [ -n "$started_port" ] || { echo "bench: $name did not start" >&2; tail -5 "$work/$name.log" >&2; exit 1; }
}
db_env() { echo "BOOKSTORE_$1_DB_PORT=$BOOKSTORE_MYSQL_PORT" "BOOKSTORE_$1_DB_PASSWORD=$BOOKSTORE_MYSQL_PASSWORD"; }

# A book on sale: new_book CATALOG_PORT SELLER_TOKEN -> its id on stdout.
new_book() {
  local url=http://127.0.0.1:$1/bookstore.catalog.v1.CatalogService id
  id=$(bufcurl -H "authorization: Bearer $2" -d '{"title": "Bench", "authors": ["A"],
    "isbn13": "9780306406157", "price": {"currency_code": "EUR", "units": 10}}' \
    "$url/CreateBook" | json '["book"]["id"]')
  bufcurl -H "authorization: Bearer $2" -d "{\"book_id\": \"$id\", \"status\": \"BOOK_STATUS_ON_SALE\"}" \
    "$url/SetBookStatus" >/dev/null
  echo "$id"
}

# A gRPC frame holding a message whose field N is a string: frame N TEXT.
frame() { /usr/bin/python3 -c '
import struct, sys
field, text = int(sys.argv[1]), sys.argv[2].encode()
pb = bytes([field << 3 | 2, len(text)]) + text
sys.stdout.buffer.write(b"\x00" + struct.pack(">I", len(pb)) + pb)' "$@"; }

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# h2load_run N CLIENTS STREAMS PORT PATH BODY PID HEADER -> "rps p50_ms p99_ms cpu_ms_per_1000"
h2load_run() {
  local n=$1 clients=$2 streams=$3 port=$4 path=$5 body=$6 pid=$7 header=$8 before after rps lat
  before=$(cpu "$pid")
  h2load -n "$n" -c "$clients" -m "$streams" -t 1 -d "$body" -H 'content-type: application/grpc' \
    -H 'te: trailers' -H "$header" --log-file="$work/h2.log" "http://127.0.0.1:$port$path" >"$work/h2.out"
  after=$(cpu "$pid")
  rps=$(awk '/^finished in/ {print $4}' "$work/h2.out")
  lat=$(/usr/bin/python3 -c '
import sys
d = sorted(int(l.split()[2]) for l in open(sys.argv[1]) if l.strip())
print(f"{d[len(d)//2]/1000:.2f} {d[min(len(d)-1, len(d)*99//100)]/1000:.2f}")' "$work/h2.log")
  echo "$rps $lat $(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN {printf "%.1f", t / hz * 1000 / (n / 1000)}')"
}
