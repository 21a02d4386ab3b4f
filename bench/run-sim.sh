#!/usr/bin/env bash
# The checkout simulation at scale (release build): a million seeds (or
# BENCH_SIM_SEEDS) of every fault class, in one process per core, each on
# its own range of seeds; all invariants must hold. Then a slice of the same
# seeds (BENCH_SIM_MYSQL_SEEDS, 2000) on the services' MariaDB stores (a
# throwaway server from scripts/deps.sh; one process: the seeds wait on the
# database, not the CPU). Writes seeds/s of both modes and the faults
# injected to bench/results/sim.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release -Dbuildtype=release -De2e=false >/dev/null
ninja -C build-release services/checkout/sim-checkout >/dev/null

seeds=${BENCH_SIM_SEEDS:-1000000} cores=$(nproc)
per=$(( (seeds + cores - 1) / cores ))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s.%N)
for i in $(seq 0 $((cores - 1))); do
  BOOKSTORE_SIM_FIRST=$((1 + i * per)) BOOKSTORE_SIM_SEEDS=$per \
    build-release/services/checkout/sim-checkout >"$work/$i.out" &
done
status=0
wait || status=$?
end=$(date +%s.%N)
if [ $status -ne 0 ] || grep -q '^FAILED' "$work"/*.out; then
  grep -h -A3 '^FAILED' "$work"/*.out | head -20
  echo "run-sim: a seed failed (replay it with BOOKSTORE_SIM_SEED=<n>)" >&2
  exit 1
fi
rate=$(echo "$seeds $start $end" | awk '{printf "%.0f", $1 / ($3 - $2)}')

mysql_seeds=${BENCH_SIM_MYSQL_SEEDS:-2000}
deps=$(mktemp -d /tmp/bs-sim.XXXXXX)
trap 'scripts/deps.sh stop "$deps" >/dev/null 2>&1 || true; rm -rf "$work" "$deps"' EXIT
scripts/deps.sh start "$deps" >/dev/null
(set -a; . "$deps/env"; BOOKSTORE_SIM_SEEDS=$mysql_seeds \
  build-release/services/checkout/sim-checkout mysql >"$work/mysql.out") ||
  { grep -A3 '^FAILED' "$work/mysql.out" | head -20; echo "run-sim: a MariaDB seed failed" >&2; exit 1; }
mysql_rate=$(sed -n 's/.*on MariaDB.*; \([0-9]*\) seeds\/s$/\1/p' "$work/mysql.out")
{
  echo "# Checkout simulation"
  echo
  echo "Run $(date -u +%Y-%m-%d) by \`bench/run-sim.sh\` on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))."
  echo
  echo "- seeds: $seeds ($cores processes), every fault class, all invariants held"
  echo "- seeds/s: $rate (all processes together)"
  echo "- on the MariaDB stores (checkout, order, payment, inventory; one process, schemas emptied"
  echo "  before every seed): $mysql_seeds seeds, all invariants held, $mysql_rate seeds/s"
  echo "  ($(echo "$rate $mysql_rate $cores" | awk '{printf "%.0f", $1 / $3 / $2}')x slower than one memory process)"
  echo
  echo "Per process, what was simulated:"
  echo
  grep -h '^sim:' "$work"/[0-9]*.out | sed 's/^/    /'
  echo
  echo "On MariaDB:"
  echo
  grep -h '^sim:' "$work/mysql.out" | sed 's/^/    /'
} >bench/results/sim.md
cat bench/results/sim.md
