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
# shellcheck source=bench/lib.sh
. bench/lib.sh

seller=$(mint SELLER seller-1) customer=$(mint CUSTOMER customer-1) service=$(mint SERVICE service:bench)

start catalog build-release/services/catalog/catalog BOOKSTORE_CATALOG_ADDR=127.0.0.1:0 BOOKSTORE_CATALOG_METRICS_ADDR=127.0.0.1:0 $(db_env CATALOG)
catalog_port=$started_port catalog_pid=$started_pid
# the same catalog without its in-process first level (every warm read asks Redis)
start catalog-shared build-release/services/catalog/catalog BOOKSTORE_CATALOG_ADDR=127.0.0.1:0 \
  BOOKSTORE_CATALOG_METRICS_ADDR=127.0.0.1:0 BOOKSTORE_CATALOG_LOCAL_CACHE_ENTRIES=0 $(db_env CATALOG)
shared_port=$started_port shared_pid=$started_pid
start inventory build-release/services/inventory/inventory BOOKSTORE_INVENTORY_ADDR=127.0.0.1:0 BOOKSTORE_INVENTORY_METRICS_ADDR=127.0.0.1:0 \
  BOOKSTORE_CATALOG_TARGET=127.0.0.1:$catalog_port $(db_env INVENTORY)
inventory_port=$started_port
start testsvc build-release/tests/testsvc BOOKSTORE_TESTSVC_ADDR=127.0.0.1:0 BOOKSTORE_RPC_WORKERS=8
testsvc_port=$started_port testsvc_pid=$started_pid
start bare build-release/bench/bare-server BARE_THREADS=8
bare_port=$started_port bare_pid=$started_pid
bench/go-peer/build.sh "$work/go-peer"
start go-peer "$work/go-peer"
go_port=$started_port go_pid=$started_pid
go_version=$(dpkg-query -W -f='${Version}' golang-google-grpc-dev | cut -d- -f1)

# one book on sale with plenty of stock
book=$(new_book "$catalog_port" "$seller")
bufcurl -H "authorization: Bearer $seller" -d "{\"book_id\": \"$book\", \"on_hand\": 1000000}" \
  "http://127.0.0.1:$inventory_port/bookstore.inventory.v1.InventoryService/SetStock" >/dev/null

frame 1 "$book" >"$work/getbook.body"
frame 1 "hello bookstore" >"$work/echo.body"

rows=()
load() { # label port path body pid [header]
  local label=$1 port=$2 path=$3 body=$4 pid=$5 header=${6:-x-bench: 1} r
  h2load -n "$WARMUP" -c "$CLIENTS" -m "$STREAMS" -t 1 -d "$body" -H 'content-type: application/grpc' \
    -H 'te: trailers' -H "$header" "http://127.0.0.1:$port$path" >/dev/null
  r=$(h2load_run "$N" "$CLIENTS" "$STREAMS" "$port" "$path" "$body" "$pid" "$header")
  rows+=("$label|${r// /|}")
}
load "bare grpc-core loop (Echo)" "$bare_port" /bookstore.testing.v1.TestService/Echo "$work/echo.body" "$bare_pid"
load "libs/rpc runtime (Echo, access log on)" "$testsvc_port" /bookstore.testing.v1.TestService/Echo "$work/echo.body" "$testsvc_pid"
load "grpc-go $go_version (Echo, access log on)" "$go_port" /bookstore.testing.v1.TestService/Echo "$work/echo.body" "$go_pid"
ok_go=$(grep -c '"method":"/bookstore.testing.v1.TestService/Echo","code":"OK"' "$work/go-peer.log" || true)
if [ "$ok_go" != $((N + WARMUP)) ]; then
  echo "bench: the Go peer logged $ok_go OK calls, expected $((N + WARMUP))" >&2
  exit 1
fi
getbook_ok() { grep -c '"method":"/bookstore.catalog.v1.CatalogService/GetBook","code":"OK"' "$work/catalog.log" || true; }
ok_before=$(getbook_ok)
if [ -n "${BENCH_PROFILE:-}" ]; then # e.g. BENCH_PROFILE=/tmp/catalog.perf: perf record the catalog
  perf record -g -p "$catalog_pid" -o "$BENCH_PROFILE" -- sleep 6 >/dev/null 2>&1 &
fi
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
catalog_idle_rss=$(rss "$catalog_pid")
# where the idle catalog's resident memory is: anonymous vs file-backed, the biggest files
idle_split=$(awk '/^RssAnon|^RssFile/ {printf "%s%s %.1f MB", (n++ ? ", " : ""), $1, $2 / 1024}' "/proc/$catalog_pid/status")
idle_split="$idle_split, $(awk '/^Pss:/ {printf "Pss (its share of shared pages) %.1f MB", $2 / 1024}' "/proc/$catalog_pid/smaps_rollup")"
idle_files=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {f = $6} /^Rss:/ && f ~ /\.so/ {n = f; sub(/.*\//, "", n); kb[n] += $2}
  END {for (n in kb) printf "%d %s\n", kb[n], n}' "/proc/$catalog_pid/smaps" | sort -rn | head -6 |
  awk '{printf "%s%s %.1f MB", (NR > 1 ? ", " : ""), $2, $1 / 1024}')
load "catalog GetBook (token, warm in-process cache, access log on)" "$catalog_port" \
  /bookstore.catalog.v1.CatalogService/GetBook "$work/getbook.body" "$catalog_pid" "authorization: Bearer $customer"
catalog_loaded_rss=$(rss "$catalog_pid")
load "catalog GetBook (token, warm Redis cache only, access log on)" "$shared_port" \
  /bookstore.catalog.v1.CatalogService/GetBook "$work/getbook.body" "$shared_pid" "authorization: Bearer $customer"

sleep 0.5 # the last log lines are written as calls complete
ok_getbook=$(($(getbook_ok) - ok_before))
ok_shared=$(grep -c '"method":"/bookstore.catalog.v1.CatalogService/GetBook","code":"OK"' "$work/catalog-shared.log" || true)
if [ "$ok_getbook" != $((N + WARMUP)) ] || [ "$ok_shared" != $((N + WARMUP)) ]; then
  echo "bench: GetBook answered OK $ok_getbook and $ok_shared times, expected $((N + WARMUP))" >&2
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
  echo "$CLIENTS connections x $STREAMS streams. Checked: each catalog logged $((N + WARMUP)) GetBook calls as OK."
  echo "Every authenticated call checks revocations in-process (auth/revocation-synced.h)."
  echo
  echo "| unary call | requests/s | p50 ms | p99 ms | server CPU ms / 1000 calls |"
  echo "|---|---:|---:|---:|---:|"
  for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
  echo
  echo "Catalog (first level on, 1024 entries) resident memory: $catalog_idle_rss MB before the GetBook load,"
  echo "$catalog_loaded_rss MB after it. Idle: $idle_split; the largest shared libraries resident:"
  echo "$idle_files (file pages are shared by every process mapping the same library)."
  echo
  echo "ReserveStock, each call a new order of 1 unit of one book (all calls lock the same stock row),"
  echo "$RESERVE_THREADS client threads x $RESERVE_CALLS calls through the libs/rpc client, InnoDB with default"
  echo "durability: **$rrps reservations/s**, p50 $rp50 ms, p99 $rp99 ms; $rok of $total answered OK and the"
  echo "book ends with exactly $reserved units reserved."
} >bench/results/services.md
cat bench/results/services.md
