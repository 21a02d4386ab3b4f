# The whole system for the checkout benches (sourced after bench/lib.sh, from
# the repository root): the six services from build-release on free ports
# (port[name], pid[name]; their pids in lib.sh's pids, in services order),
# one book on sale with STOCK units, tokens, and:
#   load CLIENTS CALLS RUN_ID   bench/checkout-load against it
#   sql STATEMENT               as MariaDB's root
#   check_reconciled PLACED     every order placed was captured, confirmed and
#                               taken from stock; exits 1 naming the counts if not
# Expects STOCK set.
export BOOKSTORE_JWT_SIGNING_KEY=$work/k.pem BOOKSTORE_JWT_SIGNING_KID=k1 BOOKSTORE_ACCESS_LOG=false
secret=bench-secret-$$-0123456789
seller=$(mint SELLER seller-1) customer=$(mint CUSTOMER customer-1)
services=(identity catalog inventory payment order checkout)
sql() { mariadb --no-defaults -S "$BOOKSTORE_MYSQL_SOCKET" -uroot -N -B -e "$1"; }

declare -A port pid
start_service() { # name env...
  local name=$1 up
  shift
  up=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  # shellcheck disable=SC2046
  start "$name" "build-release/services/$name/$name" "BOOKSTORE_${up}_ADDR=127.0.0.1:0" \
    "BOOKSTORE_${up}_METRICS_ADDR=127.0.0.1:0" $(db_env "$up") "$@"
  port[$name]=$started_port pid[$name]=$started_pid
}
start_service identity BOOKSTORE_IDENTITY_SERVICE_CLIENTS="checkout:$secret"
start_service catalog
start_service inventory BOOKSTORE_CATALOG_TARGET=127.0.0.1:${port[catalog]}
start_service payment
start_service order BOOKSTORE_CATALOG_TARGET=127.0.0.1:${port[catalog]} \
  BOOKSTORE_IDENTITY_TARGET=127.0.0.1:${port[identity]}
# BENCH_COORDINATORS (1): checkout replicas against the one database; the
# load spreads its clients over them
coordinators=()
for i in $(seq "${BENCH_COORDINATORS:-1}"); do
  name=checkout; [ "$i" = 1 ] || { name=checkout$i; services+=("$name"); }
  up=CHECKOUT
  # shellcheck disable=SC2046
  start "$name" build-release/services/checkout/checkout "BOOKSTORE_${up}_ADDR=127.0.0.1:0" \
    "BOOKSTORE_${up}_METRICS_ADDR=127.0.0.1:0" $(db_env "$up") BOOKSTORE_CHECKOUT_SERVICE_SECRET=$secret \
    BOOKSTORE_IDENTITY_TARGET=127.0.0.1:${port[identity]} \
    BOOKSTORE_ORDER_TARGET=127.0.0.1:${port[order]} BOOKSTORE_PAYMENT_TARGET=127.0.0.1:${port[payment]} \
    BOOKSTORE_INVENTORY_TARGET=127.0.0.1:${port[inventory]}
  port[$name]=$started_port pid[$name]=$started_pid
  coordinators+=("127.0.0.1:$started_port")
done

book=$(new_book "${port[catalog]}" "$seller")
bufcurl -H "authorization: Bearer $seller" -d "{\"book_id\": \"$book\", \"on_hand\": $STOCK}" \
  "http://127.0.0.1:${port[inventory]}/bookstore.inventory.v1.InventoryService/SetStock" >/dev/null
load() { build-release/bench/checkout-load "$(IFS=,; echo "${coordinators[*]}")" "$book" "$customer" "$@"; }

check_reconciled() { # placed
  captured=$(sql "SELECT COUNT(*) FROM bookstore_payment.payments WHERE status = 2")
  confirmed=$(sql "SELECT COUNT(*) FROM bookstore_order.orders WHERE status = 3")
  sold=$((STOCK - $(bufcurl -d "{\"book_id\": \"$book\"}" \
    "http://127.0.0.1:${port[inventory]}/bookstore.inventory.v1.InventoryService/GetStock" |
    json '["stock"]["onHand"]')))
  if [ "$captured" != "$1" ] || [ "$confirmed" != "$1" ] || [ "$sold" != "$1" ]; then
    echo "bench: placed $1, captured $captured, confirmed $confirmed, sold $sold" >&2
    exit 1
  fi
}
