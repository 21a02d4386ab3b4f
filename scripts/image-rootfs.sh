#!/bin/sh
# image-rootfs.sh OUT BINARY...: assembles the runtime image's whole
# filesystem in OUT, distroless-style: the binaries in /usr/local/bin, exactly
# the shared libraries they load (from ldd, copied from the Debian packages
# installed where this runs), each library's package copyright and a dpkg
# status entry (so image scanners see the packages), a passwd/group with the
# non-root user 10001, and an empty /tmp. No shell, no package manager.
# Runs in the Containerfile's build stage.
set -eu
out=$1
shift
mkdir -p "$out/usr/local/bin" "$out/etc" "$out/tmp" "$out/var/lib/dpkg/status.d"
chmod 1777 "$out/tmp"
for b in "$@"; do
  install -m 0755 "$b" "$out/usr/local/bin/"
done

# every library path ldd resolves, and the dynamic loader (printed without "=>")
resolved=$(for b in "$@"; do ldd "$b"; done)
if echo "$resolved" | grep -q "not found"; then
  echo "image-rootfs: a binary has unresolved libraries:" >&2
  echo "$resolved" | grep "not found" >&2
  exit 1
fi
libs=$(echo "$resolved" |
  awk '/=> \// {print $3} /^[[:space:]]*\/[^ ]*ld-linux/ {print $1}' | sort -u)

owner() { # the Debian package that installed library path $1 (merged /usr or not)
  real=$(realpath "$1")
  for p in "$real" "${real#/usr}" "$1" "/usr$1"; do
    dpkg -S "$p" 2>/dev/null | head -n1 | cut -d: -f1 && return 0
  done
  return 1
}

packages=""
for lib in $libs; do
  dir=$(realpath "$(dirname "$lib")")
  mkdir -p "$out$dir"
  cp -L "$lib" "$out$dir/$(basename "$lib")" # under the name the loader asks for
  pkg=$(owner "$lib") || {
    echo "image-rootfs: no Debian package owns $lib" >&2
    exit 1
  }
  packages="$packages $pkg"
done
for pkg in $(echo "$packages" | tr ' ' '\n' | sort -u); do
  mkdir -p "$out/usr/share/doc/$pkg"
  cp "/usr/share/doc/$pkg/copyright" "$out/usr/share/doc/$pkg/"
  dpkg-query -s "$pkg" >"$out/var/lib/dpkg/status.d/$pkg"
done

# merged /usr, as Debian 12 has it: the loader's path (/lib64/...) and the
# default library directories (/lib/<triplet>) resolve through these
ln -s usr/lib "$out/lib"
[ ! -d "$out/usr/lib64" ] || ln -s usr/lib64 "$out/lib64"

echo "bookstore:x:10001:10001:bookstore:/nonexistent:/usr/sbin/nologin" >"$out/etc/passwd"
echo "bookstore:x:10001:" >"$out/etc/group"
echo "image-rootfs: $(echo "$libs" | wc -w) libraries from $(echo "$packages" | tr ' ' '\n' | sort -u | grep -c .) packages"
