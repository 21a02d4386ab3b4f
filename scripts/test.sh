#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the debug and the
# ASan+UBSan trees, starts a throwaway MariaDB and Redis, runs all suites
# (lint, unit, contract, e2e) in both trees, then builds the container image
# (scripts/image.sh) and runs the chart's pods from it (suite image), and ends
# with "N passed, N failed". Extra arguments go to `meson test` (e.g.
# --suite unit); BOOKSTORE_SKIP_IMAGE=1 leaves the image out.
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
rm -f build/meson-logs/image-testlog.json
meson test -C build --print-errorlogs --no-suite image "$@" || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-asan --print-errorlogs --no-suite lint --no-suite image "$@" || status=1
image_failed=0
if [ "${BOOKSTORE_SKIP_IMAGE:-0}" != 1 ] && [ $# -eq 0 ]; then
  if scripts/image.sh; then
    meson test -C build --print-errorlogs --suite image --logbase image-testlog || status=1
  else
    image_failed=1 status=1
  fi
fi

/usr/bin/python3 - "$image_failed" "$root/build/meson-logs/testlog.json" \
  "$root/build-asan/meson-logs/testlog.json" "$root/build/meson-logs/image-testlog.json" <<'PY'
import json, sys
passed, failed = 0, int(sys.argv[1])
if failed:
    print("FAILED: the container image did not build (scripts/image.sh)")
for log in sys.argv[2:]:
    try:
        lines = open(log).read().splitlines()
    except FileNotFoundError:
        continue
    tree = log.split("/meson-logs/")[0]
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
