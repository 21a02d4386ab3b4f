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
# the same without its access log: how much of the difference to the bare loop the log is
start testsvc-quiet build-release/tests/testsvc BOOKSTORE_TESTSVC_ADDR=127.0.0.1:0 BOOKSTORE_RPC_WORKERS=8 BOOKSTORE_ACCESS_LOG=false
quiet_port=$started_port quiet_pid=$started_pid
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

# Every row is measured ROUNDS times, the rows interleaved round by round, so
# a noisy neighbour slows all of them alike; the table gives each row's median
# and the ratios are medians of the ratios within each round.
ROUNDS=${BENCH_ROUNDS:-5}
labels=() measured=()
load() { # row label port path body pid [header]
  local row=$1 label=$2 port=$3 path=$4 body=$5 pid=$6 header=${7:-x-bench: 1}
  labels[row]=$label
  h2load -n "$WARMUP" -c "$CLIENTS" -m "$STREAMS" -t 1 -d "$body" -H 'content-type: application/grpc' \
    -H 'te: trailers' -H "$header" "http://127.0.0.1:$port$path" >/dev/null
  measured+=("$row $round $(h2load_run "$N" "$CLIENTS" "$STREAMS" "$port" "$path" "$body" "$pid" "$header")")
}
getbook_ok() { grep -c '"method":"/bookstore.catalog.v1.CatalogService/GetBook","code":"OK"' "$work/$1.log" || true; }
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
catalog_idle_rss=$(rss "$catalog_pid")
# where the idle catalog's resident memory is: anonymous vs file-backed, the biggest files
idle_split=$(awk '/^RssAnon|^RssFile/ {printf "%s%s %.1f MB", (n++ ? ", " : ""), $1, $2 / 1024}' "/proc/$catalog_pid/status")
idle_split="$idle_split, $(awk '/^Pss:/ {printf "Pss (its share of shared pages) %.1f MB", $2 / 1024}' "/proc/$catalog_pid/smaps_rollup")"
idle_files=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {f = $6} /^Rss:/ && f ~ /\.so/ {n = f; sub(/.*\//, "", n); kb[n] += $2}
  END {for (n in kb) printf "%d %s\n", kb[n], n}' "/proc/$catalog_pid/smaps" | sort -rn | head -6 |
  awk '{printf "%s%s %.1f MB", (NR > 1 ? ", " : ""), $2, $1 / 1024}')
if [ -n "${BENCH_PROFILE:-}" ]; then # e.g. BENCH_PROFILE=/tmp/catalog.perf: perf record the catalog's first GetBook round
  perf record -g -p "$catalog_pid" -o "$BENCH_PROFILE" -- sleep 6 >/dev/null 2>&1 &
fi
getbook_before=$(getbook_ok catalog) # the inventory's own GetBook when the stock was set
for round in $(seq "$ROUNDS"); do
  load 0 "bare grpc-core loop (Echo)" "$bare_port" /bookstore.testing.v1.TestService/Echo "$work/echo.body" "$bare_pid"
  load 1 "libs/rpc runtime (Echo, access log on)" "$testsvc_port" /bookstore.testing.v1.TestService/Echo "$work/echo.body" "$testsvc_pid"
  load 5 "libs/rpc runtime (Echo, access log off)" "$quiet_port" /bookstore.testing.v1.TestService/Echo "$work/echo.body" "$quiet_pid"
  load 2 "grpc-go $go_version (Echo, access log on)" "$go_port" /bookstore.testing.v1.TestService/Echo "$work/echo.body" "$go_pid"
  load 3 "catalog GetBook (token, warm in-process cache, access log on)" "$catalog_port" \
    /bookstore.catalog.v1.CatalogService/GetBook "$work/getbook.body" "$catalog_pid" "authorization: Bearer $customer"
  [ "$round" = 1 ] && catalog_loaded_rss=$(rss "$catalog_pid")
  load 4 "catalog GetBook (token, warm Redis cache only, access log on)" "$shared_port" \
    /bookstore.catalog.v1.CatalogService/GetBook "$work/getbook.body" "$shared_pid" "authorization: Bearer $customer"
done

sleep 0.5 # the access logs are written a moment after the calls (core/log.h)
expected=$((ROUNDS * (N + WARMUP)))
ok_go=$(grep -c '"method":"/bookstore.testing.v1.TestService/Echo","code":"OK"' "$work/go-peer.log" || true)
ok_getbook=$(($(getbook_ok catalog) - getbook_before)) ok_shared=$(getbook_ok catalog-shared)
if [ "$ok_go" != "$expected" ] || [ "$ok_getbook" != "$expected" ] || [ "$ok_shared" != "$expected" ]; then
  echo "bench: OK calls logged: Go peer $ok_go, GetBook $ok_getbook and $ok_shared, expected $expected each" >&2
  exit 1
fi
printf '%s\n' "${labels[@]}" >"$work/labels"
printf '%s\n' "${measured[@]}" >"$work/measured"
# the table of medians, then the ratios (median over rounds of each round's ratio)
tables=$(/usr/bin/python3 - "$work/labels" "$work/measured" <<'PY'
import statistics, sys
labels = open(sys.argv[1]).read().splitlines()
runs = {}
for line in open(sys.argv[2]):
    row, rnd, *vals = line.split()
    runs.setdefault(int(row), {})[int(rnd)] = [float(v) for v in vals]
med = lambda row, i: statistics.median(r[i] for r in runs[row].values())
print("| unary call | requests/s | p50 ms | p99 ms | server CPU ms / 1000 calls |")
print("|---|---:|---:|---:|---:|")
for row, label in enumerate(labels):
    print(f"| {label} | {med(row, 0):.0f} | {med(row, 1):.2f} | {med(row, 2):.2f} | {med(row, 3):.1f} |")
def ratio(a, b, i):
    return statistics.median(runs[a][r][i] / runs[b][r][i] for r in runs[a])
def spread(a, b, i):
    v = sorted(runs[a][r][i] / runs[b][r][i] for r in runs[a])
    return f"{v[0]:.2f}-{v[-1]:.2f}"
print()
print("| comparison (same round) | requests/s ratio | CPU per call ratio | target |")
print("|---|---:|---:|---|")
for a, b, target in ((1, 0, ">= 0.85x, <= 1.3x"), (5, 0, "(the access log's share)"),
                     (1, 2, ">= 1.0x, <= 1.0x"), (3, 0, ">= 0.5x, <= 2.5x")):
    print(f"| {labels[a]} / {labels[b]} | {ratio(a, b, 0):.2f}x ({spread(a, b, 0)}) "
          f"| {ratio(a, b, 3):.2f}x ({spread(a, b, 3)}) | {target} |")
PY
)

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
  echo "$CLIENTS connections x $STREAMS streams; $ROUNDS rounds, the rows interleaved in each: medians, and"
  echo "ratios as the median of the rounds' own ratios (their range in brackets). Checked: each catalog and"
  echo "the Go peer logged $expected calls as OK."
  echo "Every authenticated call checks revocations in-process (auth/revocation-synced.h)."
  echo
  echo "$tables"
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
