#!/usr/bin/env bash
# Service load runs (release build, real MariaDB and Redis started here):
#  - GetBook with a valid customer token and a warm cache, with h2load, next to
#    the runtime's Echo and the bare grpc-core loop measured in the same run;
#  - ReserveStock throughput, each call a new order (bench/reserve-load.c).
# Checked: the catalog's access log counts every GetBook as OK, and the stock
# ends with exactly as many units reserved as calls answered OK.
# Writes bench/results/services.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release -Dbuildtype=release -De2e=false >/dev/null
ninja -C build-release services/catalog/catalog services/inventory/inventory tests/testsvc \
  bench/bare-server bench/reserve-load >/dev/null

N=${BENCH_REQUESTS:-100000} WARMUP=2000 CLIENTS=16 STREAMS=32
RESERVE_THREADS=${BENCH_RESERVE_THREADS:-16} RESERVE_CALLS=${BENCH_RESERVE_CALLS:-200}
work=$(mktemp -d /tmp/bs-bsvc.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/deps.sh stop "$work/deps" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
scripts/deps.sh start "$work/deps" >/dev/null
. "$work/deps/env"
buf=node_modules/.bin/buf
bufcurl() { "$buf" curl --protocol grpc --http2-prior-knowledge "$@"; }

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
seller=$(mint SELLER seller-1) customer=$(mint CUSTOMER customer-1) service=$(mint SERVICE service:bench)

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
start catalog build-release/services/catalog/catalog BOOKSTORE_CATALOG_ADDR=127.0.0.1:0 BOOKSTORE_CATALOG_METRICS_ADDR=127.0.0.1:0 $(db_env CATALOG)
catalog_port=$started_port catalog_pid=$started_pid
start inventory build-release/services/inventory/inventory BOOKSTORE_INVENTORY_ADDR=127.0.0.1:0 BOOKSTORE_INVENTORY_METRICS_ADDR=127.0.0.1:0 \
  BOOKSTORE_CATALOG_TARGET=127.0.0.1:$catalog_port $(db_env INVENTORY)
inventory_port=$started_port
start testsvc build-release/tests/testsvc BOOKSTORE_TESTSVC_ADDR=127.0.0.1:0 BOOKSTORE_RPC_WORKERS=8
testsvc_port=$started_port testsvc_pid=$started_pid
start bare build-release/bench/bare-server BARE_THREADS=8
bare_port=$started_port bare_pid=$started_pid

# one book on sale with plenty of stock
json() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
book=$(bufcurl -H "authorization: Bearer $seller" -d '{"title": "Bench", "authors": ["A"],
  "isbn13": "9780306406157", "price": {"currency_code": "EUR", "units": 10}}' \
  "http://127.0.0.1:$catalog_port/bookstore.catalog.v1.CatalogService/CreateBook" | json '["book"]["id"]')
bufcurl -H "authorization: Bearer $seller" -d "{\"book_id\": \"$book\", \"status\": \"BOOK_STATUS_ON_SALE\"}" \
  "http://127.0.0.1:$catalog_port/bookstore.catalog.v1.CatalogService/SetBookStatus" >/dev/null
bufcurl -H "authorization: Bearer $seller" -d "{\"book_id\": \"$book\", \"on_hand\": 1000000}" \
  "http://127.0.0.1:$inventory_port/bookstore.inventory.v1.InventoryService/SetStock" >/dev/null

frame() { /usr/bin/python3 -c '
import struct, sys
field, text = int(sys.argv[1]), sys.argv[2].encode()
pb = bytes([field << 3 | 2, len(text)]) + text
sys.stdout.buffer.write(b"\x00" + struct.pack(">I", len(pb)) + pb)' "$@"; }
frame 1 "$book" >"$work/getbook.body"
frame 1 "hello bookstore" >"$work/echo.body"

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rows=()
load() { # label port path body pid [header]
  local label=$1 port=$2 path=$3 body=$4 pid=$5 header=${6:-x-bench: 1}
  h2load -n "$WARMUP" -c "$CLIENTS" -m "$STREAMS" -t 1 -d "$body" -H 'content-type: application/grpc' \
    -H 'te: trailers' -H "$header" "http://127.0.0.1:$port$path" >/dev/null
  local before after
  before=$(cpu "$pid")
  h2load -n "$N" -c "$CLIENTS" -m "$STREAMS" -t 1 -d "$body" -H 'content-type: application/grpc' \
    -H 'te: trailers' -H "$header" --log-file="$work/h2.log" "http://127.0.0.1:$port$path" >"$work/h2.out"
  after=$(cpu "$pid")
  local rps lat
  rps=$(awk '/^finished in/ {print $4}' "$work/h2.out")
  lat=$(/usr/bin/python3 -c '
import sys
d = sorted(int(l.split()[2]) for l in open(sys.argv[1]) if l.strip())
print(f"{d[len(d)//2]/1000:.2f} {d[min(len(d)-1, len(d)*99//100)]/1000:.2f}")' "$work/h2.log")
  rows+=("$label|$rps|${lat% *}|${lat#* }|$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$N" 'BEGIN {printf "%.1f", t / hz * 1000 / (n / 1000)}')")
}
load "bare grpc-core loop (Echo)" "$bare_port" /bookstore.testing.v1.TestService/Echo "$work/echo.body" "$bare_pid"
load "libs/rpc runtime (Echo, access log on)" "$testsvc_port" /bookstore.testing.v1.TestService/Echo "$work/echo.body" "$testsvc_pid"
getbook_ok() { grep -c '"method":"/bookstore.catalog.v1.CatalogService/GetBook","code":"OK"' "$work/catalog.log" || true; }
ok_before=$(getbook_ok)
if [ -n "${BENCH_PROFILE:-}" ]; then # e.g. BENCH_PROFILE=/tmp/catalog.perf: perf record the catalog
  perf record -g -p "$catalog_pid" -o "$BENCH_PROFILE" -- sleep 6 >/dev/null 2>&1 &
fi
load "catalog GetBook (token, warm cache, access log on)" "$catalog_port" \
  /bookstore.catalog.v1.CatalogService/GetBook "$work/getbook.body" "$catalog_pid" "authorization: Bearer $customer"

sleep 0.5 # the last log lines are written as calls complete
ok_getbook=$(($(getbook_ok) - ok_before))
if [ "$ok_getbook" != $((N + WARMUP)) ]; then
  echo "bench: GetBook answered OK $ok_getbook times, expected $((N + WARMUP))" >&2
  exit 1
fi

read -r rrps rp50 rp99 rok < <(build-release/bench/reserve-load "127.0.0.1:$inventory_port" "$book" "$service" \
  "$RESERVE_THREADS" "$RESERVE_CALLS" "$$")
total=$((RESERVE_THREADS * RESERVE_CALLS))
reserved=$(bufcurl -d "{\"book_id\": \"$book\"}" \
  "http://127.0.0.1:$inventory_port/bookstore.inventory.v1.InventoryService/GetStock" | json '["stock"]["reserved"]')
if [ "$rok" != "$total" ] || [ "$reserved" != "$total" ]; then
  echo "bench: ReserveStock OK $rok, reserved $reserved, expected $total" >&2
  exit 1
fi

{
  echo "# Service benchmarks"
  echo
  echo "Generated by \`bench/run-services.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "load generator, services, MariaDB and Redis on the same machine (shared and noisy: read ratios)."
  echo "Release build, services with their default 8 workers; h2load: $N calls after $WARMUP warm-up,"
  echo "$CLIENTS connections x $STREAMS streams. Checked: the catalog logged $((N + WARMUP)) GetBook calls as OK."
  echo
  echo "| unary call | requests/s | p50 ms | p99 ms | server CPU ms / 1000 calls |"
  echo "|---|---:|---:|---:|---:|"
  for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
  echo
  echo "ReserveStock, each call a new order of 1 unit of one book (all calls lock the same stock row),"
  echo "$RESERVE_THREADS client threads x $RESERVE_CALLS calls through the libs/rpc client, InnoDB with default"
  echo "durability: **$rrps reservations/s**, p50 $rp50 ms, p99 $rp99 ms; $rok of $total answered OK and the"
  echo "book ends with exactly $reserved units reserved."
} >bench/results/services.md
cat bench/results/services.md
