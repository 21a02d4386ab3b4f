#!/usr/bin/python3
"""What can be checked of the Containerfile without building it (the image
suite builds and runs it): the build stage copies every source directory the
build needs, builds all seven services, the REST gateway and the health-check tool and puts
exactly those into the runtime filesystem (scripts/image-rootfs.sh, which
takes the libraries from ldd); the runtime stage starts from nothing (no
shell, no package manager) and runs as a non-root user; every binary's
libraries resolve on a Debian 12 machine with the build stage's packages.
Usage: check-containerfile.py SOURCE_ROOT BUILD_DIR"""
import os
import re
import subprocess
import sys

root, build = sys.argv[1], sys.argv[2]
BINARIES = [f"services/{s}/{s}" for s in
            ("identity", "catalog", "inventory", "payment", "order", "checkout", "review")]
BINARIES += ["services/gateway/gateway", "tools/health-check"]
text = open(os.path.join(root, "Containerfile")).read()
build_stage, runtime = text[:text.index("AS runtime")], text[text.index("AS runtime"):]

built = re.search(r"ninja -C /build ([^&]+)&&", build_stage).group(1).replace("\\", " ").split()
assert sorted(built) == sorted(BINARIES), f"the build stage builds {built}, not {BINARIES}"
rootfs = re.search(r"image-rootfs\.sh /rootfs ([^\n]+(?:\n\s+/[^\n]+)*)", build_stage).group(1)
shipped = [p[len("/build/"):] for p in rootfs.replace("\\", " ").split()]
assert sorted(shipped) == sorted(BINARIES), f"the runtime filesystem gets {shipped}"
copied = set(re.findall(r"^COPY (\S+) \1$", build_stage, re.M))
top = re.findall(r"^subdir\('([^']+)'\)", open(os.path.join(root, "meson.build")).read(), re.M)
assert set(top) | {"scripts"} <= copied, f"the build stage does not copy {sorted(set(top) - copied)}"
assert re.search(r"^FROM scratch AS runtime", text, re.M), "the runtime stage must start empty"
assert re.search(r"^USER 10001", runtime, re.M), "the image must run as a non-root user"
assert re.search(r"^ARG BUILD_IMAGE=docker\.io/library/debian:12$", text, re.M)
for b in BINARIES:
    out = subprocess.run(["ldd", os.path.join(build, b)], check=True, capture_output=True,
                         text=True).stdout
    assert "not found" not in out, f"{b} has unresolved libraries:\n{out}"
print(f"check-containerfile: {len(BINARIES)} binaries built and shipped, runtime from scratch")
