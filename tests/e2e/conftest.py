"""Fixtures for the e2e suite: real processes, called through stubs generated
from the .proto files (see gen-python-stubs.sh). Paths come from meson."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import grpc
import pytest

sys.path.insert(0, os.environ["BOOKSTORE_PY_STUBS"])


class Server:
    """A service process started on a free port; stop() checks it exits 0."""

    def __init__(self, binary, env=None, port_env="BOOKSTORE_TESTSVC_ADDR", port=0):
        full_env = dict(os.environ)
        full_env[port_env] = f"127.0.0.1:{port}"
        # services serve metrics on a port of their own: a free one in tests
        full_env[port_env.replace("_ADDR", "_METRICS_ADDR")] = "127.0.0.1:0"
        full_env.update(env or {})
        self.proc = subprocess.Popen([binary], env=full_env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.metrics_port = None
        if line.startswith("metrics on port "):
            self.metrics_port = int(line.split()[-1])
            line = self.proc.stdout.readline()
        if not line.startswith("listening on port "):
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
            raise RuntimeError(f"server did not start: {line!r} {err}")
        self.port = int(line.split()[-1])
        self.target = f"127.0.0.1:{self.port}"
        self.returncode = None
        self.stderr = ""
        self.channels = []
        # the log is read as it comes: a full pipe would block the service
        self._log = []
        self._reader = threading.Thread(target=lambda: self._log.extend(self.proc.stderr),
                                        daemon=True)
        self._reader.start()

    def metrics(self):
        """The service's /metrics, parsed: {(name, frozenset(labels)): value}."""
        from prometheus_client.parser import text_string_to_metric_families
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                    timeout=10) as r:
            assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = r.read().decode()
        return {(s.name, frozenset(s.labels.items())): s.value
                for f in text_string_to_metric_families(text) for s in f.samples}

    def log_text(self):
        """What the service has logged so far (it keeps running)."""
        return "".join(self._log)

    def channel(self):
        ch = grpc.insecure_channel(self.target)
        self.channels.append(ch)
        return ch

    def close_channels(self):
        # an open client connection keeps a graceful shutdown waiting (up to
        # the grace period) for the client to go away
        for ch in self.channels:
            ch.close()
        self.channels = []

    def stop(self, sig=signal.SIGTERM, timeout=30, close_channels=True):
        if close_channels:
            self.close_channels()
        if self.returncode is None:
            self.proc.send_signal(sig)
            self.wait(timeout)
        return self.returncode

    def wait(self, timeout=30):
        """Waits for the process to end (however it ends) and collects its log."""
        self.returncode = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        self.stderr = "".join(self._log)
        self.proc.stdout.close()
        return self.returncode

    def log_lines(self):
        """The JSON log lines written so far (after stop())."""
        return [json.loads(l) for l in self.stderr.splitlines() if l.startswith("{")]


def write_keypair(d, kid="k1"):
    """A P-256 token key pair in d (kid.pem, kid.pub.pem): returns the private
    key PEM and the BOOKSTORE_JWT_VERIFY_KEYS value for its public half."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    (d / f"{kid}.pem").write_bytes(priv)
    (d / f"{kid}.pub.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return priv, f"{kid}={d / f'{kid}.pub.pem'}"


@pytest.fixture
def start_testsvc():
    started = []

    def start(env=None, port=0):
        s = Server(os.environ["BOOKSTORE_TESTSVC"], env=env, port=port)
        started.append(s)
        return s

    yield start
    for s in started:
        assert s.stop() == 0, f"testsvc exited with {s.returncode}: {s.stderr[-2000:]}"


@pytest.fixture
def testsvc(start_testsvc):
    return start_testsvc()


def start_kafka_mock(brokers=1):
    """tools/kafka-mock: a Kafka-protocol broker with the bookstore's topics;
    .bootstrap is its address. SIGUSR1/SIGUSR2 take its brokers down/up."""
    proc = subprocess.Popen([os.environ["BOOKSTORE_KAFKA_MOCK"], str(brokers)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    assert line.startswith("kafka-mock: bootstrap "), line
    proc.bootstrap = line.split()[-1]
    return proc


def stop_kafka_mock(proc):
    proc.terminate()
    assert proc.wait(timeout=10) == 0


def memory_bytes(server, field):
    """VmRSS (now) or VmHWM (the peak) of a service process, in bytes."""
    with open(f"/proc/{server.proc.pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field}")


def wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
