"""The README's first command: scripts/run-local.sh brings the system up with
its own MariaDB and Redis, serves health, takes an order end to end with the
demo accounts it prints (ordered, delivered, reviewed), and stops cleanly."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import grpc

from bookstore.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from bookstore.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from bookstore.common.v1 import common_pb2
from bookstore.identity.v1 import identity_pb2, identity_pb2_grpc
from bookstore.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from bookstore.order.v1 import order_pb2, order_pb2_grpc
from bookstore.review.v1 import review_pb2, review_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_local_starts_everything_and_stops_on_ctrl_c():
    root = os.environ["BOOKSTORE_SOURCE_ROOT"]
    (port, catalog_port, inventory_port, payment_port, order_port, checkout_port, review_port,
     gateway_port) = (_free_port() for _ in range(8))
    env = dict(os.environ, BOOKSTORE_SKIP_BUILD="1",
               BOOKSTORE_BUILD_DIR=os.path.dirname(os.path.dirname(os.environ["BOOKSTORE_TESTSVC"])),
               BOOKSTORE_IDENTITY_ADDR=f"127.0.0.1:{port}",
               BOOKSTORE_CATALOG_ADDR=f"127.0.0.1:{catalog_port}",
               BOOKSTORE_INVENTORY_ADDR=f"127.0.0.1:{inventory_port}",
               BOOKSTORE_PAYMENT_ADDR=f"127.0.0.1:{payment_port}",
               BOOKSTORE_ORDER_ADDR=f"127.0.0.1:{order_port}",
               BOOKSTORE_CHECKOUT_ADDR=f"127.0.0.1:{checkout_port}",
               BOOKSTORE_REVIEW_ADDR=f"127.0.0.1:{review_port}",
               BOOKSTORE_GATEWAY_ADDR=f"127.0.0.1:{gateway_port}")
    metrics_ports = {name: _free_port() for name in
                     ("identity", "catalog", "inventory", "payment", "order", "checkout",
                      "review")}
    for name, p in metrics_ports.items():
        env[f"BOOKSTORE_{name.upper()}_METRICS_ADDR"] = f"127.0.0.1:{p}"
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
        assert f"run-local: REST/JSON at http://127.0.0.1:{gateway_port}/v1/books" in "".join(lines)
        assert f"run-local: web console at http://127.0.0.1:{gateway_port}/" in "".join(lines)
        # the printed demo accounts can log in
        accounts = {l.split()[0]: l.split()[1:] for l in lines if l.startswith("  ")}
        assert set(accounts) == {"admin", "seller", "customer"}
        tokens = {}
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            ident = identity_pb2_grpc.IdentityServiceStub(ch)
            for role, (email, password) in accounts.items():
                login = ident.Login(identity_pb2.LoginRequest(email=email, password=password),
                                    timeout=10)
                assert identity_pb2.Role.Name(login.user.role) == f"ROLE_{role.upper()}"
                tokens[role] = [("authorization", f"Bearer {login.tokens.access_token}")]
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
        for p in (catalog_port, inventory_port, payment_port, order_port, checkout_port,
                  review_port):
            with grpc.insecure_channel(f"127.0.0.1:{p}") as ch:
                assert health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=10).status == \
                    health_pb2.HealthCheckResponse.SERVING
        # the demo seller puts a book on sale, the demo customer buys it
        with grpc.insecure_channel(f"127.0.0.1:{catalog_port}") as ch:
            cat = catalog_pb2_grpc.CatalogServiceStub(ch)
            book = cat.CreateBook(catalog_pb2.CreateBookRequest(
                title="Local", authors=["A"], isbn13="9780306406157",
                price=common_pb2.Money(currency_code="EUR", units=9)),
                timeout=10, metadata=tokens["seller"]).book
            cat.SetBookStatus(catalog_pb2.SetBookStatusRequest(
                book_id=book.id, status=catalog_pb2.BOOK_STATUS_ON_SALE),
                timeout=10, metadata=tokens["seller"])
        with grpc.insecure_channel(f"127.0.0.1:{inventory_port}") as ch:
            inventory_pb2_grpc.InventoryServiceStub(ch).SetStock(
                inventory_pb2.SetStockRequest(book_id=book.id, on_hand=2),
                timeout=10, metadata=tokens["seller"])
        with grpc.insecure_channel(f"127.0.0.1:{checkout_port}") as ch:
            placed = checkout_pb2_grpc.CheckoutServiceStub(ch).PlaceOrder(
                checkout_pb2.PlaceOrderRequest(
                    items=[checkout_pb2.CheckoutItem(book_id=book.id, quantity=1)],
                    shipping_address=common_pb2.Address(
                        recipient="Demo", line1="1 Main St", city="Berlin",
                        postal_code="10115", country_code="DE"),
                    payment_method_token="tok_ok", idempotency_key="run-local-1"),
                timeout=30, metadata=tokens["customer"])
            assert placed.saga.status == checkout_pb2.SAGA_STATUS_COMPLETED, placed.saga
            assert placed.total.units == 9
        # events flow through the local Kafka: the catalog's best sellers count the sale
        with grpc.insecure_channel(f"127.0.0.1:{catalog_port}") as ch:
            cat = catalog_pb2_grpc.CatalogServiceStub(ch)
            sold = lambda: [(b.units_sold, b.revenue.units) for b in cat.ListBestSellers(
                catalog_pb2.ListBestSellersRequest(limit=100), timeout=10).best_sellers
                if b.book_id == book.id]
            deadline = time.monotonic() + 30
            while sold() != [(1, 9)] and time.monotonic() < deadline:
                time.sleep(0.2)
            assert sold() == [(1, 9)]
        # the same book through the REST/JSON gateway
        with urllib.request.urlopen(f"http://127.0.0.1:{gateway_port}/v1/books/{book.id}",
                                    timeout=10) as r:
            assert json.loads(r.read())["book"]["price"]["units"] == "9"
        # the seller delivers it, the customer reviews it, the catalog shows the rating
        with grpc.insecure_channel(f"127.0.0.1:{order_port}") as ch:
            orders = order_pb2_grpc.OrderServiceStub(ch)
            orders.MarkShipped(order_pb2.MarkShippedRequest(order_id=placed.order_id),
                               timeout=10, metadata=tokens["seller"])
            orders.MarkDelivered(order_pb2.MarkDeliveredRequest(order_id=placed.order_id),
                                 timeout=10, metadata=tokens["seller"])
        with grpc.insecure_channel(f"127.0.0.1:{review_port}") as ch:
            review_pb2_grpc.ReviewServiceStub(ch).CreateReview(review_pb2.CreateReviewRequest(
                book_id=book.id, rating=4, text="Clear and short."),
                timeout=10, metadata=tokens["customer"])
        with grpc.insecure_channel(f"127.0.0.1:{catalog_port}") as ch:
            cat = catalog_pb2_grpc.CatalogServiceStub(ch)
            rated = lambda: cat.GetBook(catalog_pb2.GetBookRequest(book_id=book.id),
                                        timeout=10).book.rating.count
            deadline = time.monotonic() + 30
            while rated() != 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert rated() == 1
        # and every service serves its metrics; checkout counted the saga
        texts = {}
        for name, p in metrics_ports.items():
            with urllib.request.urlopen(f"http://127.0.0.1:{p}/metrics", timeout=10) as r:
                texts[name] = r.read().decode()
            assert "grpc_server_handled_total{" in texts[name], name
        assert 'bookstore_sagas_total{kind="checkout",outcome="completed"} 1\n' in \
            texts["checkout"]
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal
        rest, _ = proc.communicate(timeout=60)
        assert "run-local: stopping" in rest and "run-local: stopped cleanly" in rest, rest
        assert "a service exited" not in rest and proc.returncode == 0, rest
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
