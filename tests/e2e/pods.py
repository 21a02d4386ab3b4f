"""Runs the containers of a pod spec rendered by `helm template` with podman,
the way the kubelet would: the command and args, the environment (envFrom,
valueFrom and $(VAR) references), the security context, secret and emptyDir
volumes (files owned and moded as the kubelet leaves them), memory and CPU
limits, and the native gRPC probes. Every field of a pod or container that it
does not know how to honour makes it fail, so the chart cannot grow a setting
this emulation silently drops.

What differs from a cluster, by necessity: the containers share the host's
network (so one replica per Deployment, and a Service's port must be its
target port), Service names resolve through --add-host to 127.0.0.1, and
emptyDir is a host directory without its sizeLimit."""
import base64
import json
import os
import random
import re
import subprocess
import time

import urllib.error
import urllib.request

import grpc

from grpc_health.v1 import health_pb2, health_pb2_grpc

# fields the emulation honours (or that change nothing with one host network);
# anything else in a rendered spec is an error
POD_FIELDS = {"automountServiceAccountToken", "securityContext", "containers", "volumes",
              "restartPolicy", "imagePullSecrets", "nodeSelector", "tolerations", "affinity"}
CONTAINER_FIELDS = {"name", "image", "imagePullPolicy", "command", "args", "ports", "envFrom",
                    "env", "startupProbe", "readinessProbe", "livenessProbe", "resources",
                    "securityContext", "volumeMounts"}
POD_SECURITY = {"runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "seccompProfile"}
CONTAINER_SECURITY = {"allowPrivilegeEscalation", "readOnlyRootFilesystem", "privileged",
                      "capabilities", "runAsNonRoot", "runAsUser", "runAsGroup", "seccompProfile"}


def podman(*args, check=True, timeout=120):
    return subprocess.run(["podman", *args], check=check, capture_output=True, text=True,
                          timeout=timeout)


def decoded(secret):
    return {k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()}


def quantity_bytes(q):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9}
    m = re.fullmatch(r"(\d+)([KMG]i?|k)?", str(q))
    assert m, f"memory quantity {q!r}"
    return int(m.group(1)) * units.get(m.group(2) or "", 1)


def pod_name(workload):
    """A name as a ReplicaSet gives its pods: <deployment>-<hash>-<suffix>."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return (f"{workload}-{''.join(random.choices(alphabet, k=10))}-"
            f"{''.join(random.choices(alphabet, k=5))}")


class Cluster:
    """The objects of one rendering, and what the test supplies in place of
    the cluster: Secrets that are not rendered (existingSecret), the host
    names to resolve to 127.0.0.1, a directory for volumes."""

    def __init__(self, docs, workdir, extra_secrets=None, namespace="default"):
        self.docs = docs
        self.workdir = workdir
        self.namespace = namespace
        self.secrets = {k.split("/", 1)[1]: decoded(o) for k, o in docs.items()
                        if k.startswith("Secret/")}
        self.secrets.update(extra_secrets or {})
        self.config_maps = {k.split("/", 1)[1]: dict(o.get("data", {}))
                            for k, o in docs.items() if k.startswith("ConfigMap/")}
        self.hosts = set()
        for k, o in docs.items():
            if k.startswith("Service/"):
                name = o["metadata"]["name"]
                self.hosts |= {name, f"{name}.{namespace}", f"{name}.{namespace}.svc",
                               f"{name}.{namespace}.svc.cluster.local"}
        self.containers = []

    # ---- environment --------------------------------------------------------

    def _value_from(self, ref, pod):
        if "configMapKeyRef" in ref:
            r = ref["configMapKeyRef"]
            return self.config_maps[r["name"]][r["key"]]
        if "secretKeyRef" in ref:
            r = ref["secretKeyRef"]
            return self.secrets[r["name"]][r["key"]]
        if "fieldRef" in ref:
            path = ref["fieldRef"]["fieldPath"]
            known = {"metadata.name": pod, "metadata.namespace": self.namespace}
            assert path in known, f"fieldRef {path} is not emulated"
            return known[path]
        raise AssertionError(f"valueFrom {ref} is not emulated")

    def environment(self, container, pod):
        """The container's environment in the kubelet's order: envFrom, then
        env, with $(NAME) expanded from what came before ($$ is a $)."""
        env = {}
        for src in container.get("envFrom", []):
            assert set(src) <= {"configMapRef", "secretRef", "prefix"}, src
            prefix = src.get("prefix", "")
            if "configMapRef" in src:
                env.update({prefix + k: v for k, v in
                            self.config_maps[src["configMapRef"]["name"]].items()})
            else:
                env.update({prefix + k: v for k, v in
                            self.secrets[src["secretRef"]["name"]].items()})

        def expand(value):
            return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                          lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1),
                                                                            m.group(0)), value)
        for e in container.get("env", []):
            env[e["name"]] = (expand(str(e["value"])) if "value" in e
                              else self._value_from(e["valueFrom"], pod))
        return env

    # ---- volumes ------------------------------------------------------------

    def _volume_dir(self, volume, fs_group, label):
        d = self.workdir / f"{label}-{volume['name']}"
        d.mkdir(parents=True)
        if "emptyDir" in volume:
            os.chmod(d, 0o777)  # as the kubelet makes it
            return d, False
        if "secret" in volume:
            src = volume["secret"]
            data = self.secrets[src["secretName"]]
            items = src.get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                f = d / item["path"]
                f.write_text(data[item["key"]])
                mode = item.get("mode", src.get("defaultMode", 0o644))
                if fs_group is not None:  # the kubelet gives fsGroup read on read-only volumes
                    os.chown(f, 0, fs_group)
                    mode |= 0o440
                os.chmod(f, mode)
            return d, True
        raise AssertionError(f"volume {volume} is not emulated")

    # ---- running --------------------------------------------------------------

    def podman_args(self, pod_spec, container, pod, label):
        """podman run arguments for one container of pod_spec."""
        assert set(pod_spec) <= POD_FIELDS, set(pod_spec) - POD_FIELDS
        assert set(container) <= CONTAINER_FIELDS, set(container) - CONTAINER_FIELDS
        pod_sc = pod_spec.get("securityContext", {})
        sc = container.get("securityContext", {})
        assert set(pod_sc) <= POD_SECURITY, set(pod_sc) - POD_SECURITY
        assert set(sc) <= CONTAINER_SECURITY, set(sc) - CONTAINER_SECURITY
        merged = {**pod_sc, **sc}
        assert pod_spec.get("automountServiceAccountToken") is False, \
            "a service account token would be mounted; the emulation has none"
        args = ["run", "-d", "--name", f"{label}-{container['name']}", "--network=host",
                "--pull=never", "--hostname", pod]
        uid, gid = merged.get("runAsUser"), merged.get("runAsGroup")
        if merged.get("runAsNonRoot"):
            assert uid not in (None, 0), "runAsNonRoot needs a numeric non-root runAsUser"
        if uid is not None:
            args += ["--user", f"{uid}:{gid if gid is not None else 0}"]
        fs_group = pod_sc.get("fsGroup")
        if fs_group is not None:
            args += ["--group-add", str(fs_group)]
        if merged.get("readOnlyRootFilesystem"):
            # only the volumes are writable: no tmpfs of podman's own on /tmp, /run
            args += ["--read-only", "--read-only-tmpfs=false"]
        if merged.get("allowPrivilegeEscalation") is False:
            args += ["--security-opt", "no-new-privileges"]
        assert not merged.get("privileged"), "privileged containers are not emulated"
        caps = merged.get("capabilities", {})
        args += [f"--cap-drop={c.lower()}" for c in caps.get("drop", [])]
        args += [f"--cap-add={c.lower()}" for c in caps.get("add", [])]
        seccomp = merged.get("seccompProfile", {}).get("type", "RuntimeDefault")
        assert seccomp in ("RuntimeDefault", "Unconfined"), seccomp
        if seccomp == "Unconfined":
            args += ["--security-opt", "seccomp=unconfined"]
        limits = container.get("resources", {}).get("limits", {})
        if "memory" in limits:
            args += ["--memory", str(quantity_bytes(limits["memory"]))]
        if "cpu" in limits:
            cpu = str(limits["cpu"])
            args += ["--cpus", str(int(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu))]
        for h in sorted(self.hosts):
            args += ["--add-host", f"{h}:127.0.0.1"]
        for k, v in self.environment(container, pod).items():
            args += ["-e", f"{k}={v}"]
        volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
        for m in container.get("volumeMounts", []):
            assert set(m) <= {"name", "mountPath", "readOnly"}, m
            host_dir, read_only = self._volume_dir(volumes[m["name"]], fs_group, label)
            ro = read_only or m.get("readOnly", False)
            args += ["-v", f"{host_dir}:{m['mountPath']}{':ro' if ro else ''}"]
        if "command" in container:  # replaces the image's entrypoint and its CMD
            args += ["--entrypoint", json.dumps(container["command"])]
        args.append(container["image"])
        args += container.get("args", [])
        return args

    def start(self, pod_spec, container, workload):
        pod = pod_name(workload)
        label = f"bs-{pod}"
        out = podman(*self.podman_args(pod_spec, container, pod, label))
        c = Container(out.stdout.strip(), container, label)
        self.containers.append(c)
        return c

    def run_to_completion(self, pod_spec, container, workload, timeout=60):
        """A container of a run-to-completion pod (helm test): its exit code and log."""
        c = self.start(pod_spec, container, workload)
        code = int(podman("wait", c.id, timeout=timeout).stdout.strip())
        return code, c.logs()

    def remove_all(self):
        for c in self.containers:
            podman("rm", "-f", "-t", "5", c.id, check=False)
        self.containers = []


class Container:
    def __init__(self, cid, spec, label):
        self.id, self.spec, self.label = cid, spec, label

    def inspect(self):
        return json.loads(podman("inspect", self.id).stdout)[0]

    def logs(self):
        out = podman("logs", self.id, check=False)
        return out.stdout + out.stderr

    def running(self):
        state = self.inspect()["State"]
        return state["Running"] and state.get("RestartCount", 0) == 0

    def _proc(self, what):
        return open(f"/proc/{self.inspect()['State']['Pid']}/{what}")

    def argv(self):
        """The container process's command line, as the kernel has it."""
        with self._proc("cmdline") as f:
            return f.read().split("\0")[:-1]

    def rss_bytes(self):
        with self._proc("status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def probe_once(self, probe):
        """One native gRPC probe, as the kubelet makes it: Health/Check with
        the probe's service name, timeoutSeconds (default 1), SERVING or not;
        or an httpGet probe: a status from 200 to 399."""
        if "httpGet" in probe:
            h = probe["httpGet"]
            port = h["port"] if isinstance(h["port"], int) else next(
                p["containerPort"] for p in self.spec["ports"] if p["name"] == h["port"])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{h['path']}",
                                            timeout=probe.get("timeoutSeconds", 1)) as r:
                    return 200 <= r.status < 400
            except (OSError, urllib.error.HTTPError):
                return False
        g = probe["grpc"]
        with grpc.insecure_channel(f"127.0.0.1:{g['port']}") as ch:
            try:
                r = health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(service=g.get("service", "")),
                    timeout=probe.get("timeoutSeconds", 1))
                return r.status == health_pb2.HealthCheckResponse.SERVING
            except grpc.RpcError:
                return False

    def probe(self, kind):
        """Runs the container's <kind>Probe as the kubelet does: from
        initialDelaySeconds, every periodSeconds, failing after
        failureThreshold consecutive failures. Returns the seconds it took."""
        if kind == "startup" and "startupProbe" not in self.spec:
            kind = "readiness"  # the kubelet's order without a startup probe
        probe = self.spec[f"{kind}Probe"]
        assert set(probe) <= {"grpc", "httpGet", "periodSeconds", "failureThreshold", "timeoutSeconds",
                              "initialDelaySeconds", "successThreshold"}, probe
        assert probe.get("successThreshold", 1) == 1
        started = time.monotonic()
        time.sleep(probe.get("initialDelaySeconds", 0))
        for attempt in range(probe.get("failureThreshold", 3)):
            if attempt:
                time.sleep(probe.get("periodSeconds", 10))
            if not self.running():
                break
            if self.probe_once(probe):
                return time.monotonic() - started
        raise AssertionError(f"{self.label}: {kind} probe failed; log:\n{self.logs()[-3000:]}")
