#!/usr/bin/env bash
# Checkout load run (release build; every service, MariaDB and Redis started
# here, MariaDB with its default durable InnoDB settings): PlaceOrder end to
# end -- each call returns when its saga has ended -- at 1, 8 and 32
# concurrent clients (bench/checkout-load.c). Checked after each level: every
# saga COMPLETED, and as many payments captured and units sold as calls made.
# Writes bench/results/checkout.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release -Dbuildtype=release -De2e=false >/dev/null
ninja -C build-release services/identity/identity services/catalog/catalog \
  services/inventory/inventory services/payment/payment services/order/order \
  services/checkout/checkout bench/checkout-load >/dev/null

LEVELS=${BENCH_LEVELS:-"1 8 32"} SECONDS_PER_LEVEL=${BENCH_SECONDS:-10}
# shellcheck source=bench/lib.sh
. bench/lib.sh
sql() { mariadb --no-defaults -S "$BOOKSTORE_MYSQL_SOCKET" -uroot -N -B -e "$1"; }
status() { sql "SHOW GLOBAL STATUS LIKE '$1'" | awk '{print $2}'; }

export BOOKSTORE_JWT_SIGNING_KEY=$work/k.pem BOOKSTORE_JWT_SIGNING_KID=k1 BOOKSTORE_ACCESS_LOG=false
secret=bench-secret-$$-0123456789
seller=$(mint SELLER seller-1) customer=$(mint CUSTOMER customer-1)

declare -A port
start_service() { # name env...
  local name=$1 up
  shift
  up=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  env "BOOKSTORE_${up}_ADDR=127.0.0.1:0" "BOOKSTORE_${up}_METRICS_ADDR=127.0.0.1:0" "BOOKSTORE_${up}_DB_PORT=$BOOKSTORE_MYSQL_PORT" \
    "BOOKSTORE_${up}_DB_PASSWORD=$BOOKSTORE_MYSQL_PASSWORD" "$@" \
    "build-release/services/$name/$name" >"$work/$name.out" 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 200); do grep -q "listening on port" "$work/$name.out" 2>/dev/null && break; sleep 0.05; done
  port[$name]=$(awk '/listening on port/ {print $4}' "$work/$name.out")
  [ -n "${port[$name]}" ] || { echo "bench: $name did not start" >&2; tail -5 "$work/$name.log" >&2; exit 1; }
}
start_service identity BOOKSTORE_IDENTITY_SERVICE_CLIENTS="checkout:$secret"
start_service catalog
start_service inventory BOOKSTORE_CATALOG_TARGET=127.0.0.1:${port[catalog]}
start_service payment
start_service order BOOKSTORE_CATALOG_TARGET=127.0.0.1:${port[catalog]} \
  BOOKSTORE_IDENTITY_TARGET=127.0.0.1:${port[identity]}
start_service checkout BOOKSTORE_CHECKOUT_SERVICE_SECRET=$secret \
  BOOKSTORE_IDENTITY_TARGET=127.0.0.1:${port[identity]} \
  BOOKSTORE_ORDER_TARGET=127.0.0.1:${port[order]} BOOKSTORE_PAYMENT_TARGET=127.0.0.1:${port[payment]} \
  BOOKSTORE_INVENTORY_TARGET=127.0.0.1:${port[inventory]}

# one book on sale with plenty of stock
book=$(new_book "${port[catalog]}" "$seller")
bufcurl -H "authorization: Bearer $seller" -d "{\"book_id\": \"$book\", \"on_hand\": 10000000}" \
  "http://127.0.0.1:${port[inventory]}/bookstore.inventory.v1.InventoryService/SetStock" >/dev/null

# warm-up: connections, caches, the SERVICE token
build-release/bench/checkout-load "127.0.0.1:${port[checkout]}" "$book" "$customer" 4 20 warm >/dev/null

# CPU time (utime + stime, in clock ticks) of every process of the system
system_pids() { echo "${pids[@]}" "$(cat "$work/deps/mysql/pid")" "$(cat "$work/deps/redis/pid")"; }
cpu_ticks() { local t=0 p; for p in $(system_pids); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }

# the same, per process: "name ticks" lines
process_names=(identity catalog inventory payment order checkout mariadb redis)
per_process_ticks() {
  local i=0 p
  for p in $(system_pids); do echo "${process_names[$i]} $(awk '{print $14 + $15}' "/proc/$p/stat")"; i=$((i + 1)); done
}

rows=() placed=80
for clients in $LEVELS; do
  # calls per client sized from a short probe so each level runs about SECONDS_PER_LEVEL
  read -r probe _ < <(build-release/bench/checkout-load "127.0.0.1:${port[checkout]}" "$book" \
    "$customer" "$clients" 5 "probe$clients")
  placed=$((placed + clients * 5))
  calls=$(( (probe * SECONDS_PER_LEVEL + clients - 1) / clients ))
  [ "$calls" -ge 10 ] || calls=10
  before=$(cpu_ticks) stmts_before=$(status Com_stmt_execute) fsyncs_before=$(status Innodb_data_fsyncs)
  per_before=$(per_process_ticks)
  read -r rate p50 p95 p99 completed < <(build-release/bench/checkout-load \
    "127.0.0.1:${port[checkout]}" "$book" "$customer" "$clients" "$calls" "run$clients")
  total=$((clients * calls))
  stmts=$(( ($(status Com_stmt_execute) - stmts_before) / total ))
  fsyncs=$(awk -v f=$(($(status Innodb_data_fsyncs) - fsyncs_before)) -v n="$total" 'BEGIN {printf "%.1f", f / n}')
  cpu_ms=$(awk -v t=$(($(cpu_ticks) - before)) -v hz="$(getconf CLK_TCK)" -v n="$total" \
    'BEGIN {printf "%.1f", t / hz * 1000 / n}')
  by_process=$(paste -d' ' <(echo "$per_before") <(per_process_ticks) | awk -v hz="$(getconf CLK_TCK)" \
    -v n="$total" '{printf "%s%s %.1f", (NR > 1 ? ", " : ""), $1, ($4 - $2) / hz * 1000 / n}')
  placed=$((placed + total))
  if [ "$completed" != "$total" ]; then
    echo "bench: $completed of $total sagas COMPLETED at $clients clients" >&2
    exit 1
  fi
  rows+=("$clients|$total|$rate|$p50|$p95|$p99|$cpu_ms|$stmts|$fsyncs")
done

# everything placed (warm-up and probes included) was paid, captured and taken from stock
captured=$(sql "SELECT COUNT(*) FROM bookstore_payment.payments WHERE status = 2")
confirmed=$(sql "SELECT COUNT(*) FROM bookstore_order.orders WHERE status = 3")
sold=$((10000000 - $(bufcurl -d "{\"book_id\": \"$book\"}" \
  "http://127.0.0.1:${port[inventory]}/bookstore.inventory.v1.InventoryService/GetStock" | json '["stock"]["onHand"]')))
if [ "$captured" != "$placed" ] || [ "$confirmed" != "$placed" ] || [ "$sold" != "$placed" ]; then
  echo "bench: placed $placed, captured $captured, confirmed $confirmed, sold $sold" >&2
  exit 1
fi

{
  echo "# Checkout benchmark"
  echo
  echo "Generated by \`bench/run-checkout.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "load generator, six services, MariaDB and Redis on the same machine (shared and noisy)."
  echo "Release build, access logs off, default settings otherwise; MariaDB with default InnoDB"
  echo "durability (\`innodb_flush_log_at_trx_commit=1\`) on $(df -T "$work" | awk 'NR==2 {print $2}')."
  echo "Each PlaceOrder returns when its saga has ended: six participant calls"
  echo "(CreateOrder, AuthorizePayment, ChangeOrderStatus, ReserveStock, CapturePayment,"
  echo "CommitReservation + ChangeOrderStatus) and the saga's state written before and after each."
  echo
  echo "| concurrent clients | sagas | completed sagas/s | p50 ms | p95 ms | p99 ms | CPU ms / saga (all processes) | SQL statements / saga | InnoDB fsyncs / saga |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
  echo
  echo "CPU ms per saga by process at the last level: $by_process."
  echo
  echo "Checked: every saga COMPLETED; $placed orders placed in the whole run (warm-up included),"
  echo "$captured payments captured, $confirmed orders confirmed, $sold units gone from stock."
} >bench/results/checkout.md
cat bench/results/checkout.md
