#!/usr/bin/env bash
# The catalog's event consumer: how fast it applies order events to the
# best-sellers read model, and how fast it recognises redeliveries. N
# order.confirmed events (one line each, distinct orders, one book) are
# produced to tools/kafka-mock first. A release catalog (own schema, own
# consumer group) is timed until its read model holds all N: once applying
# one event per transaction (BOOKSTORE_CONSUMER_BATCH=1), once with the
# default batching of what is already fetched. Then the same N events are
# produced again (a full redelivery) and the batching catalog is timed until
# it has skipped them all as duplicates. Checked: units sold equal N and
# processed_events holds N rows, for each catalog.
# Writes bench/results/consumer.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release -Dbuildtype=release -De2e=false >/dev/null
ninja -C build-release services/catalog/catalog tools/kafka-mock >/dev/null
# shellcheck source=bench/lib.sh
. bench/lib.sh

N=${BENCH_EVENTS:-20000}
build-release/tools/kafka-mock 1 >"$work/kafka.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do grep -q bootstrap "$work/kafka.out" 2>/dev/null && break; sleep 0.05; done
brokers=$(awk '/bootstrap/ {print $3}' "$work/kafka.out")
mkdir -p "$work/py"
protoc -I proto --python_out="$work/py" proto/bookstore/common/v1/common.proto \
  proto/bookstore/events/v1/events.proto
book=bench-book # the read model does not need the book in the catalog
mariadb_q() { mariadb --no-defaults -S "$BOOKSTORE_MYSQL_SOCKET" -uroot -N -B "$1" -e "$2"; }

produce() { # produce the N events (the same ones every time: ids from a fixed seed)
  PYTHONPATH=$work/py /usr/bin/python3 - "$brokers" "$book" "$N" <<'EOF'
import sys, uuid, random
from confluent_kafka import Producer
from bookstore.events.v1 import events_pb2
from bookstore.common.v1 import common_pb2
brokers, book, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(42)
p = Producer({"bootstrap.servers": brokers, "enable.idempotence": True, "linger.ms": 20})
for i in range(n):
    order = f"o-{i}"
    env = events_pb2.EventEnvelope(event_id=str(uuid.UUID(int=rnd.getrandbits(128))),
                                   type="order.confirmed", aggregate_type="order", aggregate_id=order)
    env.order_confirmed.CopyFrom(events_pb2.OrderConfirmed(order_id=order, lines=[events_pb2.OrderLine(
        book_id=book, quantity=1, unit_price=common_pb2.Money(currency_code="EUR", units=10))]))
    while True:
        try:
            p.produce("bookstore.order", key=order, value=env.SerializeToString())
            break
        except BufferError:
            p.poll(0.1)
assert p.flush(60) == 0
EOF
}

counter() { # METRICS_PORT RESULT -> bookstore_consumer_events_total{result}
  curl -s "http://127.0.0.1:$1/metrics" |
    awk -v r="result=\"$2\"" 'index($0, "bookstore_consumer_events_total{") == 1 && index($0, r) {print $2}'
}

# consume BATCH -> a catalog on schema bookstore_bench_bBATCH, timed until it
# applied all N: sets pid, metrics, t0, t1, c0, c1
consume() {
  local schema=bookstore_bench_b$1
  start "consumer-b$1" build-release/services/catalog/catalog BOOKSTORE_CATALOG_ADDR=127.0.0.1:0 \
    BOOKSTORE_CATALOG_METRICS_ADDR=127.0.0.1:0 BOOKSTORE_CATALOG_DB_NAME="$schema" \
    KAFKA_BROKERS="$brokers" BOOKSTORE_CONSUMER_GROUP="bench-b$1" BOOKSTORE_CONSUMER_BATCH="$1" \
    $(db_env CATALOG)
  pid=$started_pid metrics=$(awk '/metrics on port/ {print $4}' "$work/consumer-b$1.out")
  t0=$(date +%s.%N) c0=$(cpu "$pid")
  until [ "$(mariadb_q "$schema" "SELECT COALESCE(SUM(units_sold), 0) FROM book_sales")" = "$N" ]; do
    sleep 0.05
  done
  t1=$(date +%s.%N) c1=$(cpu "$pid")
}
check() { # SCHEMA: units sold and processed rows are N
  local units processed
  units=$(mariadb_q "$1" "SELECT SUM(units_sold) FROM book_sales")
  processed=$(mariadb_q "$1" "SELECT COUNT(*) FROM processed_events")
  [ "$units" = "$N" ] && [ "$processed" = "$N" ] ||
    { echo "bench: $1: units $units, processed $processed, want $N" >&2; exit 1; }
}

mariadb --no-defaults -S "$BOOKSTORE_MYSQL_SOCKET" -uroot -e \
  "CREATE DATABASE bookstore_bench_b1; CREATE DATABASE bookstore_bench_b100"
produce
consume 1
one_t0=$t0 one_t1=$t1 one_c0=$c0 one_c1=$c1
kill "$pid"
consume 100
produce
t2=$(date +%s.%N) c2=$(cpu "$pid")
until [ "$(counter "$metrics" duplicate)" = "$N" ]; do sleep 0.05; done
t3=$(date +%s.%N) c3=$(cpu "$pid")
check bookstore_bench_b1
check bookstore_bench_b100

hz=$(getconf CLK_TCK)
rate() { awk -v n="$N" -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", n / (b - a)}'; }
cpu_per_k() { awk -v t=$(($2 - $1)) -v hz="$hz" -v n="$N" 'BEGIN {printf "%.1f", t / hz * 1000 / (n / 1000)}'; }
machine="$(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), shared"
cat >bench/results/consumer.md <<EOF
# The catalog's event consumer ($(date -u +%Y-%m-%d))

Machine: $machine; everything (mock broker, MariaDB with durable InnoDB, catalog release build) on it.
$N \`order.confirmed\` events (one line each, distinct orders, one book), produced before each
catalog starts (own schema, own consumer group). Per event: the processed_events insert, the
order's state, the book's totals (5 statements). Checked for each catalog: units sold = $N,
processed_events rows = $N.

| pass | events/s | catalog CPU ms per 1000 events |
|---|---|---|
| applied one event per transaction (\`BOOKSTORE_CONSUMER_BATCH=1\`) | $(rate "$one_t0" "$one_t1") | $(cpu_per_k "$one_c0" "$one_c1") |
| applied with batching (the default: what is fetched, up to 100 per transaction) | $(rate "$t0" "$t1") | $(cpu_per_k "$c0" "$c1") |
| redelivery of the same events, batched (all skipped as duplicates) | $(rate "$t2" "$t3") | $(cpu_per_k "$c2" "$c3") |

One consumer thread per process; partitions spread over replicas scale it out.
EOF
cat bench/results/consumer.md
