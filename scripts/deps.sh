#!/usr/bin/env bash
# Throwaway MariaDB and Redis for the local run and the tests.
#
#   scripts/deps.sh start DIR   start both with their data under DIR (keep DIR
#                               short: unix socket paths max ~107 chars) and
#                               write DIR/env with BOOKSTORE_MYSQL_* / BOOKSTORE_REDIS_*
#   scripts/deps.sh stop DIR    stop both (data stays until DIR is removed)
#
# Ports are free ones picked at the first start unless BOOKSTORE_DEPS_MYSQL_PORT
# / BOOKSTORE_DEPS_REDIS_PORT are set; starting the same DIR again reuses its
# ports and password, so services already running reconnect. Only loopback is
# listened on.
set -euo pipefail

cmd=${1:?usage: deps.sh start|stop DIR}
dir=${2:?usage: deps.sh start|stop DIR}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_until() { # tries, command...
  local tries=$1; shift
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

start_mariadb() {
  local port=$1 pw=$2
  mkdir -p "$dir/mysql"
  if [ ! -d "$dir/mysql/data/mysql" ]; then
    mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$dir/mysql/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/mysql/install.log" 2>&1 ||
      { cat "$dir/mysql/install.log" >&2; return 1; }
  fi
  mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/mysql/data" --socket="$dir/mysql/sock" \
    --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --innodb-buffer-pool-size=64M \
    --skip-log-bin --pid-file="$dir/mysql/pid" --log-error="$dir/mysql/error.log" \
    </dev/null >"$dir/mysql/stdout.log" 2>&1 &
  if ! wait_until 300 mariadb-admin --no-defaults -S "$dir/mysql/sock" -uroot ping; then
    echo "deps.sh: MariaDB did not start; see $dir/mysql/error.log" >&2
    tail -20 "$dir/mysql/error.log" >&2 || true
    return 1
  fi
  # one application user; every service schema is named bookstore_*
  mariadb --no-defaults -S "$dir/mysql/sock" -uroot <<SQL
CREATE USER IF NOT EXISTS 'bookstore'@'%' IDENTIFIED BY '$pw';
ALTER USER 'bookstore'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON \`bookstore\\_%\`.* TO 'bookstore'@'%';
CREATE DATABASE IF NOT EXISTS bookstore_test;
CREATE DATABASE IF NOT EXISTS bookstore_identity;
CREATE DATABASE IF NOT EXISTS bookstore_catalog;
CREATE DATABASE IF NOT EXISTS bookstore_inventory;
CREATE DATABASE IF NOT EXISTS bookstore_payment;
CREATE DATABASE IF NOT EXISTS bookstore_order;
CREATE DATABASE IF NOT EXISTS bookstore_checkout;
CREATE DATABASE IF NOT EXISTS bookstore_review;
SQL
}

start_redis() {
  local port=$1
  mkdir -p "$dir/redis"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis/pid" --logfile "$dir/redis/log" --dir "$dir/redis"
  if ! wait_until 100 redis-cli -p "$port" ping; then
    echo "deps.sh: Redis did not start; see $dir/redis/log" >&2
    return 1
  fi
}

stop_pidfile() { # pidfile
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

case $cmd in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/ports" ]; then # a restart: same ports, same password
    read -r mysql_port redis_port pw <"$dir/ports"
  else
    mysql_port=${BOOKSTORE_DEPS_MYSQL_PORT:-$(free_port)}
    redis_port=${BOOKSTORE_DEPS_REDIS_PORT:-$(free_port)}
    pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    echo "$mysql_port $redis_port $pw" >"$dir/ports"
  fi
  start_mariadb "$mysql_port" "$pw"
  start_redis "$redis_port"
  cat >"$dir/env" <<ENV
export BOOKSTORE_MYSQL_HOST=127.0.0.1
export BOOKSTORE_MYSQL_PORT=$mysql_port
export BOOKSTORE_MYSQL_USER=bookstore
export BOOKSTORE_MYSQL_PASSWORD=$pw
export BOOKSTORE_MYSQL_SOCKET=$dir/mysql/sock
export BOOKSTORE_REDIS_HOST=127.0.0.1
export BOOKSTORE_REDIS_PORT=$redis_port
ENV
  echo "deps.sh: MariaDB on 127.0.0.1:$mysql_port, Redis on 127.0.0.1:$redis_port (env in $dir/env)"
  ;;
stop)
  stop_pidfile "$dir/redis/pid"
  stop_pidfile "$dir/mysql/pid"
  ;;
*)
  echo "usage: deps.sh start|stop DIR" >&2
  exit 2
  ;;
esac
