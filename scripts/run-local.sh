#!/usr/bin/env bash
# Runs the whole system locally: installs what is missing, builds, starts a
# throwaway MariaDB and Redis, then every service on its own port, and stops
# everything on Ctrl-C (data is thrown away).
#
# Services: identity 50051, catalog 50052, inventory 50053, payment 50054,
# order 50055, checkout 50056, review 50057; the REST/JSON gateway on 8080;
# a Kafka-protocol broker (tools/kafka-mock).
# A development key pair for tokens is generated per run (never committed),
# and demo accounts (admin, seller, customer) are created and printed.
#
# Environment: BOOKSTORE_BUILD_DIR (default build), BOOKSTORE_SKIP_BUILD=1 to
# use an existing build, BOOKSTORE_<SERVICE>_ADDR to move a service.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BOOKSTORE_BUILD_DIR:-build}

if [ "${BOOKSTORE_SKIP_BUILD:-0}" != 1 ]; then
  scripts/install-deps.sh
  [ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
  ninja -C "$build" >/dev/null
fi

run=$(mktemp -d /tmp/bs-run.XXXXXX)
pids=()
stop_all() {
  trap - INT TERM EXIT
  echo "run-local: stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/deps.sh stop "$run"
  rm -rf "$run"
}
# Ctrl-C or SIGTERM: a clean stop, exit 0. Anything else that ends the
# script (a service exited, a step failed) still stops what was started.
stop_on_signal() {
  stop_all
  echo "run-local: stopped cleanly"
  exit 0
}
trap stop_on_signal INT TERM
trap stop_all EXIT

scripts/deps.sh start "$run"
# shellcheck disable=SC1091
. "$run/env"
# a Kafka-protocol broker (librdkafka's mock cluster); KAFKA_BROKERS for everyone
"$build/tools/kafka-mock" 1 >"$run/kafka.out" 2>"$run/kafka.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "bootstrap" "$run/kafka.out" 2>/dev/null && break; sleep 0.05; done
KAFKA_BROKERS=$(awk '/bootstrap/ {print $3}' "$run/kafka.out")
export KAFKA_BROKERS
echo "run-local: Kafka (mock cluster) at $KAFKA_BROKERS"

# token keys for this run: identity signs, every service verifies
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null |
  openssl pkcs8 -topk8 -nocrypt -out "$run/jwt-dev.pem"
openssl ec -in "$run/jwt-dev.pem" -pubout -out "$run/jwt-dev.pub.pem" 2>/dev/null
export BOOKSTORE_JWT_SIGNING_KEY=$run/jwt-dev.pem BOOKSTORE_JWT_SIGNING_KID=dev-1
export BOOKSTORE_JWT_VERIFY_KEYS=dev-1=$run/jwt-dev.pub.pem
secret() { head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
export BOOKSTORE_ADMIN_EMAIL=admin@bookstore.local BOOKSTORE_ADMIN_PASSWORD="admin-$(secret)"
# the checkout coordinator's SERVICE credentials, known to identity
checkout_secret="checkout-$(secret)"
export BOOKSTORE_IDENTITY_SERVICE_CLIENTS="checkout:$checkout_secret"
# the gateway (on this machine) passes each REST client's address on: identity
# believes it from here only (README, BOOKSTORE_IDENTITY_TRUSTED_PROXIES)
export BOOKSTORE_IDENTITY_TRUSTED_PROXIES=${BOOKSTORE_IDENTITY_TRUSTED_PROXIES:-127.0.0.1}
export BOOKSTORE_CHECKOUT_SERVICE_SECRET=$checkout_secret

# name | binary | address variable | default address | database-backed
services=(
  "identity|$build/services/identity/identity|BOOKSTORE_IDENTITY_ADDR|127.0.0.1:50051|yes"
  "catalog|$build/services/catalog/catalog|BOOKSTORE_CATALOG_ADDR|127.0.0.1:50052|yes"
  "inventory|$build/services/inventory/inventory|BOOKSTORE_INVENTORY_ADDR|127.0.0.1:50053|yes"
  "payment|$build/services/payment/payment|BOOKSTORE_PAYMENT_ADDR|127.0.0.1:50054|yes"
  "order|$build/services/order/order|BOOKSTORE_ORDER_ADDR|127.0.0.1:50055|yes"
  "checkout|$build/services/checkout/checkout|BOOKSTORE_CHECKOUT_ADDR|127.0.0.1:50056|yes"
  "review|$build/services/review/review|BOOKSTORE_REVIEW_ADDR|127.0.0.1:50057|yes"
  "gateway|$build/services/gateway/gateway|BOOKSTORE_GATEWAY_ADDR|127.0.0.1:8080|no"
)
export BOOKSTORE_IDENTITY_TARGET=${BOOKSTORE_IDENTITY_ADDR:-127.0.0.1:50051}
export BOOKSTORE_CATALOG_TARGET=${BOOKSTORE_CATALOG_ADDR:-127.0.0.1:50052}
export BOOKSTORE_INVENTORY_TARGET=${BOOKSTORE_INVENTORY_ADDR:-127.0.0.1:50053}
export BOOKSTORE_PAYMENT_TARGET=${BOOKSTORE_PAYMENT_ADDR:-127.0.0.1:50054}
export BOOKSTORE_ORDER_TARGET=${BOOKSTORE_ORDER_ADDR:-127.0.0.1:50055}
export BOOKSTORE_CHECKOUT_TARGET=${BOOKSTORE_CHECKOUT_ADDR:-127.0.0.1:50056}
export BOOKSTORE_REVIEW_TARGET=${BOOKSTORE_REVIEW_ADDR:-127.0.0.1:50057}

for entry in "${services[@]}"; do
  IFS='|' read -r name binary addr_var addr_default uses_db <<<"$entry"
  addr=${!addr_var:-$addr_default}
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  env_args=("$addr_var=$addr")
  if [ "$uses_db" = yes ]; then
    env_args+=("BOOKSTORE_${upper}_DB_HOST=$BOOKSTORE_MYSQL_HOST"
      "BOOKSTORE_${upper}_DB_PORT=$BOOKSTORE_MYSQL_PORT"
      "BOOKSTORE_${upper}_DB_USER=$BOOKSTORE_MYSQL_USER"
      "BOOKSTORE_${upper}_DB_PASSWORD=$BOOKSTORE_MYSQL_PASSWORD"
      "BOOKSTORE_${upper}_DB_NAME=bookstore_$name")
  fi
  env "${env_args[@]}" "$binary" >"$run/$name.out" 2>"$run/$name.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -q "listening on port" "$run/$name.out" 2>/dev/null && break; sleep 0.05; done
  if ! grep -q "listening on port" "$run/$name.out"; then
    echo "run-local: $name did not start:" >&2
    tail -5 "$run/$name.log" >&2
    exit 1
  fi
  echo "run-local: $name on $addr (log: $run/$name.log)"
done

# demo accounts, created through the API like any client would
identity_url="http://${BOOKSTORE_IDENTITY_ADDR:-127.0.0.1:50051}/bookstore.identity.v1.IdentityService"
bufcurl() { node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge "$@"; }
admin_token=$(bufcurl -d "{\"email\":\"$BOOKSTORE_ADMIN_EMAIL\",\"password\":\"$BOOKSTORE_ADMIN_PASSWORD\"}" \
  "$identity_url/Login" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"]["accessToken"])')
seller_password="seller-$(secret)" customer_password="customer-$(secret)"
bufcurl -H "authorization: Bearer $admin_token" -d "{\"email\":\"seller@bookstore.local\",\"password\":\"$seller_password\",\"display_name\":\"Demo Seller\",\"role\":\"ROLE_SELLER\"}" \
  "$identity_url/CreateUser" >/dev/null
bufcurl -d "{\"email\":\"customer@bookstore.local\",\"password\":\"$customer_password\",\"display_name\":\"Demo Customer\"}" \
  "$identity_url/RegisterUser" >/dev/null
# a demo book on sale with stock, so a checkout works right away
catalog_url="http://${BOOKSTORE_CATALOG_ADDR:-127.0.0.1:50052}/bookstore.catalog.v1.CatalogService"
seller_token=$(bufcurl -d "{\"email\":\"seller@bookstore.local\",\"password\":\"$seller_password\"}" \
  "$identity_url/Login" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"]["accessToken"])')
demo_book=$(bufcurl -H "authorization: Bearer $seller_token" -d '{"title": "The C Programming Language",
  "authors": ["Brian W. Kernighan", "Dennis M. Ritchie"], "isbn13": "9780131103627",
  "price": {"currency_code": "EUR", "units": 45, "nanos": 990000000}}' "$catalog_url/CreateBook" |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["book"]["id"])')
bufcurl -H "authorization: Bearer $seller_token" -d "{\"book_id\":\"$demo_book\",\"status\":\"BOOK_STATUS_ON_SALE\"}" \
  "$catalog_url/SetBookStatus" >/dev/null
bufcurl -H "authorization: Bearer $seller_token" -d "{\"book_id\":\"$demo_book\",\"on_hand\":100}" \
  "http://${BOOKSTORE_INVENTORY_ADDR:-127.0.0.1:50053}/bookstore.inventory.v1.InventoryService/SetStock" >/dev/null
echo "run-local: demo book $demo_book on sale, 100 in stock"
cat <<ACCOUNTS
run-local: demo accounts (this run only):
  admin     $BOOKSTORE_ADMIN_EMAIL  $BOOKSTORE_ADMIN_PASSWORD
  seller    seller@bookstore.local  $seller_password
  customer  customer@bookstore.local  $customer_password
ACCOUNTS
gateway=${BOOKSTORE_GATEWAY_ADDR:-127.0.0.1:8080}
echo "run-local: REST/JSON at http://$gateway/v1/books (OpenAPI: http://$gateway/openapi.json)"
echo "run-local: web console at http://$gateway/ (log in with an account below)"
echo "run-local: ready. Try: node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge --list-services http://${BOOKSTORE_IDENTITY_ADDR:-127.0.0.1:50051}"
echo "run-local: press Ctrl-C to stop"
wait -n "${pids[@]}" || true
echo "run-local: a service exited" >&2
exit 1
