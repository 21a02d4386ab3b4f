"""The web console the gateway serves, in a real browser: Debian's Chromium
driven by playwright-core (tests/browser/console.test.mjs) against the whole
system. Screenshots of each page are kept in the build's meson-logs as test
artifacts (console-screenshots/)."""
import os
import subprocess
import urllib.request

import pytest

from test_checkout import Stack, bearer
from test_gateway import start_gateway

ROOT = os.environ["BOOKSTORE_SOURCE_ROOT"]


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    st = Stack(tmp_path_factory.mktemp("keys"))
    st.review = st.start("review", {"BOOKSTORE_JWT_VERIFY_KEYS": st.keypair[1],
                                    "BOOKSTORE_ORDER_TARGET": st.order.target})
    st.gateway = start_gateway(st)
    yield st
    assert st.gateway.stop() == 0, st.gateway.stderr[-3000:]
    assert st.review.stop() == 0, st.review.stderr[-3000:]
    st.stop()


def test_the_console_is_served(system):
    base = f"http://127.0.0.1:{system.gateway.port}"
    with urllib.request.urlopen(base + "/", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/html")
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        assert b'<script type="module" src="/console/console.js">' in r.read()
    with urllib.request.urlopen(base + "/console/console.js", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/javascript")


def test_the_console_in_chromium(system):
    title = f"Browser Book {os.getpid()}"
    from test_catalog import Caller, money, new_book
    system.catalog.keypair = system.keypair
    book = new_book(Caller(system.catalog, "SELLER", "seller-1"), title=title, price=money(14))
    from bookstore.inventory.v1 import inventory_pb2 as invpb
    from bookstore.inventory.v1 import inventory_pb2_grpc as invpb_grpc
    invpb_grpc.InventoryServiceStub(system.inventory.channel()).SetStock(
        invpb.SetStockRequest(book_id=book.id, on_hand=20), timeout=10,
        metadata=bearer(system.keypair, "SELLER", "seller-1"))
    shots = os.path.join(os.path.dirname(os.path.dirname(os.environ["BOOKSTORE_TESTSVC"])),
                         "meson-logs", "console-screenshots")
    os.makedirs(shots, exist_ok=True)
    env = dict(os.environ, GATEWAY_URL=f"http://127.0.0.1:{system.gateway.port}",
               BOOK_TITLE=title, SCREENSHOTS=shots,
               ADMIN_TOKEN=bearer(system.keypair, "ADMIN", "admin-1")[0][1].split(" ", 1)[1])
    r = subprocess.run(["node", "--test", "--test-reporter=spec",
                        os.path.join(ROOT, "tests", "browser", "console.test.mjs")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
    for name in ("books", "cart", "saga-completed", "orders", "saga-declined", "admin-sagas"):
        path = os.path.join(shots, f"{name}.png")
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", path
        assert os.path.getsize(path) > 5000, path
