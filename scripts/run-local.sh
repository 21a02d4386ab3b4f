#!/usr/bin/env bash
# Runs the whole system locally: installs what is missing, builds, starts a
# throwaway MariaDB and Redis, then every service on its own port, and stops
# everything on Ctrl-C (data is thrown away).
#
# Services so far: the runtime's demo service (bookstore.testing.v1) on 50050.
# The bookstore services join this table as they land (identity 50051,
# catalog 50052, inventory 50053, payment 50054, order 50055, checkout 50056).
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
trap stop_all INT TERM EXIT

scripts/deps.sh start "$run"
# shellcheck disable=SC1091
. "$run/env"

# name | binary | address variable | default address | database-backed
services=(
  "testsvc|$build/tests/testsvc|BOOKSTORE_TESTSVC_ADDR|127.0.0.1:50050|yes"
)

for entry in "${services[@]}"; do
  IFS='|' read -r name binary addr_var addr_default uses_db <<<"$entry"
  addr=${!addr_var:-$addr_default}
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  env_args=("$addr_var=$addr")
  if [ "$uses_db" = yes ]; then
    env_args+=("BOOKSTORE_${upper}_DB_HOST=$BOOKSTORE_MYSQL_HOST"
      "BOOKSTORE_${upper}_DB_PORT=$BOOKSTORE_MYSQL_PORT"
      "BOOKSTORE_${upper}_DB_USER=$BOOKSTORE_MYSQL_USER"
      "BOOKSTORE_${upper}_DB_PASSWORD=$BOOKSTORE_MYSQL_PASSWORD")
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

echo "run-local: ready. Try: node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge --list-services http://127.0.0.1:50050"
echo "run-local: press Ctrl-C to stop"
wait -n "${pids[@]}" || true
echo "run-local: a service exited" >&2
exit 1
