#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the debug and the
# ASan+UBSan trees, starts a throwaway MariaDB and Redis, runs all suites
# (lint, unit, contract, e2e) in both trees, and ends with "N passed, N failed".
# Extra arguments go to `meson test` (e.g. --suite unit).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-deps.sh

build() { # dir [meson options]
  local dir=$1; shift
  [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
  ninja -C "$dir" >/dev/null || ninja -C "$dir" # print errors on failure
}
build build
build build-asan -Dsanitize_address_undefined=true

deps=$(mktemp -d /tmp/bs-test.XXXXXX)
trap 'scripts/deps.sh stop "$deps"; rm -rf "$deps"' EXIT
scripts/deps.sh start "$deps"
# shellcheck disable=SC1091
. "$deps/env"

status=0
meson test -C build --print-errorlogs "$@" || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-asan --print-errorlogs --no-suite lint "$@" || status=1

/usr/bin/python3 - "$root/build" "$root/build-asan" <<'PY'
import json, sys
passed = failed = 0
for tree in sys.argv[1:]:
    try:
        lines = open(f"{tree}/meson-logs/testlog.json").read().splitlines()
    except FileNotFoundError:
        continue
    for line in lines:
        t = json.loads(line)
        ok = t["result"] in ("OK", "EXPECTEDFAIL")
        passed += ok
        failed += not ok
        if not ok:
            print(f"FAILED: {tree.rsplit('/', 1)[-1]}: {t['name']} ({t['result']})")
print(f"{passed} passed, {failed} failed")
PY
exit $status
