"""The README's first command: scripts/run-local.sh brings the system up with
its own MariaDB and Redis, serves health and reflection, and stops cleanly."""
import os
import signal
import socket
import subprocess
import time

import grpc

from bookstore.identity.v1 import identity_pb2, identity_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_local_starts_everything_and_stops_on_ctrl_c():
    root = os.environ["BOOKSTORE_SOURCE_ROOT"]
    port, catalog_port, inventory_port, payment_port, order_port = (
        _free_port(), _free_port(), _free_port(), _free_port(), _free_port())
    env = dict(os.environ, BOOKSTORE_SKIP_BUILD="1",
               BOOKSTORE_BUILD_DIR=os.path.dirname(os.path.dirname(os.environ["BOOKSTORE_TESTSVC"])),
               BOOKSTORE_IDENTITY_ADDR=f"127.0.0.1:{port}",
               BOOKSTORE_CATALOG_ADDR=f"127.0.0.1:{catalog_port}",
               BOOKSTORE_INVENTORY_ADDR=f"127.0.0.1:{inventory_port}",
               BOOKSTORE_PAYMENT_ADDR=f"127.0.0.1:{payment_port}",
               BOOKSTORE_ORDER_ADDR=f"127.0.0.1:{order_port}")
    proc = subprocess.Popen([os.path.join(root, "scripts", "run-local.sh")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "run-local: ready" in line:
                break
        assert any("ready" in l for l in lines), "".join(lines)
        # the printed demo accounts can log in
        accounts = {l.split()[0]: l.split()[1:] for l in lines if l.startswith("  ")}
        assert set(accounts) == {"admin", "seller", "customer"}
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            ident = identity_pb2_grpc.IdentityServiceStub(ch)
            for role, (email, password) in accounts.items():
                user = ident.Login(identity_pb2.LoginRequest(email=email, password=password),
                                   timeout=10).user
                assert identity_pb2.Role.Name(user.role) == f"ROLE_{role.upper()}"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            health = health_pb2_grpc.HealthStub(ch)
            # healthy, database included (the service probes its MariaDB)
            deadline = time.monotonic() + 20
            status = None
            while time.monotonic() < deadline:
                status = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status
                if status == health_pb2.HealthCheckResponse.SERVING:
                    break
                time.sleep(0.2)
            assert status == health_pb2.HealthCheckResponse.SERVING
        # every service is up and healthy, each with its own schema
        for p in (catalog_port, inventory_port, payment_port, order_port):
            with grpc.insecure_channel(f"127.0.0.1:{p}") as ch:
                assert health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=10).status == \
                    health_pb2.HealthCheckResponse.SERVING
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal
        rest, _ = proc.communicate(timeout=60)
        assert "run-local: stopping" in rest
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
