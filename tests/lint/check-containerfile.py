#!/usr/bin/python3
"""The Containerfile cannot be built on this machine (no container engine), so
what can be checked is checked: the runtime stage installs (directly or as
dependencies) the Debian package of every shared library the six service
binaries load (from `ldd`), the build stage copies every source directory the build
needs and builds all six, and the image runs as a non-root user.
Usage: check-containerfile.py SOURCE_ROOT BUILD_DIR"""
import os
import re
import subprocess
import sys

root, build = sys.argv[1], sys.argv[2]
SERVICES = ["identity", "catalog", "inventory", "payment", "order", "checkout"]
text = open(os.path.join(root, "Containerfile")).read()
runtime = text[text.index("AS runtime"):]
listed = re.search(r'ARG RUNTIME_PACKAGES="([^"]+)"', runtime).group(1).split()


def candidates(path):
    """The names dpkg may know a library by (/lib or /usr/lib, link or target)."""
    names = {path, os.path.realpath(path)}
    for p in list(names):
        names.add(p[len("/usr"):] if p.startswith("/usr/lib/") else "/usr" + p)
    return names


libs = set()
for s in SERVICES:
    binary = os.path.join(build, "services", s, s)
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    if "not found" in out:
        sys.exit(f"check-containerfile: {binary} has unresolved libraries:\n{out}")
    assert "libasan" not in out, "run this against a build without sanitizers"
    libs |= set(re.findall(r"=> (/\S+)", out))
names = sorted({n for lib in libs for n in candidates(lib)})
owners = {}  # one dpkg call for all: it is slow per call
for line in subprocess.run(["dpkg", "-S", *names], capture_output=True, text=True).stdout.splitlines():
    pkgs, path = line.split(": ", 1)
    owners[path] = pkgs.split(",")[0].split(":")[0].strip()
needed = set()
for lib in libs:
    found = [owners[n] for n in candidates(lib) if n in owners]
    if not found:
        sys.exit(f"check-containerfile: no Debian package owns {lib}")
    needed.add(found[0])

closure = subprocess.run(
    ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
     "--no-breaks", "--no-replaces", "--no-enhances", "--no-pre-depends", *listed],
    check=True, capture_output=True, text=True).stdout
installed = {l.strip() for l in closure.splitlines() if l and not l.startswith(" ")}
installed |= {re.sub(r"^\s*(Pre)?Depends: ", "", l).strip("<> ")
              for l in closure.splitlines() if "Depends:" in l}
missing = sorted(p for p in needed if p not in installed)
if missing:
    sys.exit(f"check-containerfile: the runtime stage lacks {missing} (needed by the binaries)")
for s in SERVICES:
    assert f"services/{s}/{s}" in text, f"the build stage does not build {s}"
# the build stage copies every directory the top-level meson.build descends into
copied = set(re.findall(r"^COPY (\S+) \1$", text[:text.index("AS runtime")], re.M))
top = re.findall(r"^subdir\('([^']+)'\)", open(os.path.join(root, "meson.build")).read(), re.M)
assert set(top) <= copied, f"the build stage does not copy {sorted(set(top) - copied)}"
assert re.search(r"^USER 10001", runtime, re.M), "the image must run as a non-root user"
assert "useradd --system --uid 10001" in runtime
print(f"check-containerfile: {len(needed)} packages needed by the binaries, all installed by "
      f"the runtime stage's {len(listed)} ({len(installed)} with dependencies)")
