"""Clients in other languages against the whole running system: the Python,
Node and Go examples (stubs from `buf generate`, as their READMEs say), and the
README's walkthrough -- the buf curl version run command by command, the
grpcurl version checked to call the same methods in the same order."""
import os
import re
import shutil
import subprocess
import uuid

import pytest

from bookstore.order.v1 import order_pb2 as opb
from bookstore.order.v1 import order_pb2_grpc as opb_grpc
from bookstore.review.v1 import review_pb2 as rpb
from bookstore.review.v1 import review_pb2_grpc as rpb_grpc

from test_checkout import Stack, bearer

ROOT = os.environ["BOOKSTORE_SOURCE_ROOT"]


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    st = Stack(tmp_path_factory.mktemp("keys"))
    st.book_id = st.book(on_hand=50, units=20)
    # a review of the book, by a customer whose order of it was delivered
    st.review = st.start("review", {"BOOKSTORE_JWT_VERIFY_KEYS": st.keypair[1],
                                    "BOOKSTORE_ORDER_TARGET": st.order.target})
    reader = st.customer()
    placed = reader.place(st.book_id)
    orders = opb_grpc.OrderServiceStub(st.order.channel())
    seller = bearer(st.keypair, "SELLER", "seller-1")
    orders.MarkShipped(opb.MarkShippedRequest(order_id=placed.order_id), timeout=10,
                       metadata=seller)
    orders.MarkDelivered(opb.MarkDeliveredRequest(order_id=placed.order_id), timeout=10,
                         metadata=seller)
    rpb_grpc.ReviewServiceStub(st.review.channel()).CreateReview(rpb.CreateReviewRequest(
        book_id=st.book_id, rating=4, text="Worth it."), timeout=10, metadata=reader.md)
    st.env = dict(os.environ,
                  BOOKSTORE_IDENTITY_TARGET=st.identity.target,
                  BOOKSTORE_CATALOG_TARGET=st.catalog.target,
                  BOOKSTORE_ORDER_TARGET=st.order.target,
                  BOOKSTORE_CHECKOUT_TARGET=st.checkout.target,
                  BOOKSTORE_REVIEW_TARGET=st.review.target,
                  IDENTITY=st.identity.target, CATALOG=st.catalog.target,
                  CHECKOUT=st.checkout.target)
    yield st
    assert st.review.stop() == 0, st.review.stderr[-2000:]
    st.stop()


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    # inside the repository (the build tree), so the Node stubs find node_modules
    out = os.path.join(os.path.dirname(os.environ["BOOKSTORE_PY_STUBS"]), f"gen-{uuid.uuid4().hex[:6]}")
    subprocess.run([os.environ["BOOKSTORE_BUF"], "generate", "-o", out], cwd=ROOT, check=True)
    yield out
    shutil.rmtree(out, ignore_errors=True)


EXPECTED = [
    r"registered reader-[0-9a-f]{8}@example\.com",
    r'books: \d+ on sale, buying "Book \d+" \((?P<book>[0-9a-f-]{36})\)',
    r"saga (?P<saga>[0-9a-f-]{36}): SAGA_STATUS_\w+ \(\d/6 steps done\)",
    r'order (?P<order>[0-9a-f-]{36}): ORDER_STATUS_CONFIRMED, total 20\.00 EUR, 1 x "Book \d+"',
    r"reviews of (?P<rated>[0-9a-f-]{36}): (?P<count>\d+), average (?P<avg>\d\.\d), "
    r"most helpful first: \[(?P<stars>[0-9, ]*)\]",
    r"review before delivery -> FAILED_PRECONDITION: you can review a book once an order of "
    r"yours with it was delivered",
    r"bad request -> INVALID_ARGUMENT: items must list 1 to 50 distinct books",
    r"bad token -> UNAUTHENTICATED: invalid token",
]


def check_example_output(system, out):
    lines = out.strip().splitlines()
    for pattern in EXPECTED:
        assert any(re.match(pattern, l) for l in lines), (pattern, out)
    final = [l for l in lines if l.startswith("saga ")][-1]
    assert "SAGA_STATUS_COMPLETED (6/6 steps done)" in final
    order = re.search(EXPECTED[3], out).group("order")
    assert system.order_of(order) == (3, 20)  # CONFIRMED, in the order service's database
    assert re.search(EXPECTED[1], out).group("book") == system.book_id
    # the book's reviews as the review service has them (one from the fixture)
    rated = re.search(EXPECTED[4], out)
    assert (rated.group("rated"), rated.group("count"), rated.group("avg"),
            rated.group("stars")) == (system.book_id, "1", "4.0", "4")


def run_example(system, cmd, env):
    r = subprocess.run(cmd, env={**system.env, **env}, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr + r.stdout
    check_example_output(system, r.stdout)


def test_python_example(system, stubs):
    run_example(system, ["/usr/bin/python3", os.path.join(ROOT, "examples/python/checkout.py")],
                {"BOOKSTORE_STUBS": os.path.join(stubs, "python")})


def test_node_example(system, stubs):
    run_example(system, ["node", os.path.join(ROOT, "examples/node/checkout.js")],
                {"BOOKSTORE_NODE_STUBS": os.path.join(stubs, "node")})


def test_go_example(system, stubs):
    run_example(system, [os.path.join(ROOT, "examples/go/run.sh")],
                {"BOOKSTORE_GO_STUBS": os.path.join(stubs, "go"),
                 "GOCACHE": os.path.join(os.path.dirname(stubs), "gocache")})


def readme_block(marker):
    text = open(os.path.join(ROOT, "README.md")).read()
    return text.split(f"<!-- walkthrough: {marker} -->", 1)[1].split("```sh\n", 1)[1] \
        .split("```", 1)[0]


def test_the_buf_curl_walkthrough_runs(system):
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", readme_block("buf curl")],
                       cwd=ROOT, env=system.env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
    out = r.stdout
    assert "bookstore.checkout.v1.CheckoutService" in out and "grpc.health.v1.Health" in out
    assert "bookstore.checkout.v1.CheckoutService/WatchSaga" in out  # --list-methods
    assert '"idempotencyKey"' in out  # the described request
    assert re.search(r'"email": "walk-\d+@example\.com"', out)  # GetMe with the token
    assert out.rstrip().endswith("}") and '"status": "SAGA_STATUS_COMPLETED"' in out


def methods(block):
    calls = re.findall(r"(bookstore\.\w+\.v1\.\w+Service)/(\w+)", block)
    return [f"{s}/{m}" for s, m in calls]


def test_the_grpcurl_walkthrough_calls_the_same_methods():
    buf, grpcurl = readme_block("buf curl"), readme_block("grpcurl")
    assert methods(grpcurl) == methods(buf) and len(methods(buf)) == 6
    assert "list" in grpcurl and "describe bookstore.checkout.v1.PlaceOrderRequest" in grpcurl
