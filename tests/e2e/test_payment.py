"""The payment service through generated Python stubs, with the simulated
provider and a real MariaDB schema."""
import concurrent.futures
import os
import re
import time
import uuid

import grpc
import pytest

from bookstore.common.v1 import common_pb2
from bookstore.payment.v1 import payment_pb2 as pb
from bookstore.payment.v1 import payment_pb2_grpc as pb_grpc

from conftest import Server
from test_catalog import keypair, token  # noqa: F401
from test_identity import mariadb

AUTHORIZED, CAPTURED, VOIDED, REFUNDED, DECLINED = (
    pb.PAYMENT_STATUS_AUTHORIZED, pb.PAYMENT_STATUS_CAPTURED, pb.PAYMENT_STATUS_VOIDED,
    pb.PAYMENT_STATUS_REFUNDED, pb.PAYMENT_STATUS_DECLINED)


@pytest.fixture(scope="module")
def payment(keypair):
    schema = f"bookstore_py{uuid.uuid4().hex[:8]}"
    mariadb(f"CREATE DATABASE {schema}")
    server = Server(os.environ["BOOKSTORE_PAYMENT"], port_env="BOOKSTORE_PAYMENT_ADDR", env={
        "BOOKSTORE_PAYMENT_DB_PORT": os.environ["BOOKSTORE_MYSQL_PORT"],
        "BOOKSTORE_PAYMENT_DB_PASSWORD": os.environ["BOOKSTORE_MYSQL_PASSWORD"],
        "BOOKSTORE_PAYMENT_DB_NAME": schema,
        "BOOKSTORE_JWT_VERIFY_KEYS": keypair[1],
        "BOOKSTORE_PAYMENT_FLAKY_FAILURES": "2",
    })
    server.keypair, server.schema = keypair, schema
    yield server
    assert server.stop() == 0, server.stderr[-2000:]
    # card digits never reach a log line (any run of them: random ids and trace ids may
    # contain "4111" by chance, so look for the card's groups, not four digits)
    assert not re.search(r"4111[ -]?1111", server.stderr)
    mariadb(f"DROP DATABASE {schema}")


class As:
    def __init__(self, server, role, sub):
        self.stub = pb_grpc.PaymentServiceStub(server.channel())
        self.md = [("authorization", f"Bearer {token(server.keypair, role, sub)}")]

    def __getattr__(self, name):
        method = getattr(self.stub, name)
        return lambda req, timeout=10: method(req, timeout=timeout, metadata=self.md)


def svc(server):
    return As(server, "SERVICE", "service:checkout")


def err(fn, req, **kw):
    with pytest.raises(grpc.RpcError) as e:
        fn(req, **kw)
    return e.value.code(), e.value.details()


def authorize(s, order, tok="tok_ok", units=25, customer="cust-1", **kw):
    return s.AuthorizePayment(pb.AuthorizePaymentRequest(
        order_id=order, customer_id=customer, payment_method_token=tok,
        amount=common_pb2.Money(currency_code="EUR", units=units)), **kw).payment


def order_id():
    return f"order-{uuid.uuid4().hex[:10]}"


def test_authorize_capture_refund_and_idempotency(payment):
    s, order = svc(payment), order_id()
    p = authorize(s, order)
    assert p.status == AUTHORIZED and p.provider_reference.startswith("sim_")
    assert authorize(s, order).id == p.id  # a repeat never charges twice
    assert err(lambda r: authorize(s, order, units=26), None)[0] == grpc.StatusCode.FAILED_PRECONDITION
    for _ in range(2):
        assert s.CapturePayment(pb.CapturePaymentRequest(order_id=order)).payment.status == CAPTURED
    assert err(s.VoidPayment, pb.VoidPaymentRequest(order_id=order)) == (
        grpc.StatusCode.FAILED_PRECONDITION, "the payment is not in a state that allows this")
    for _ in range(2):
        assert s.RefundPayment(pb.RefundPaymentRequest(order_id=order)).payment.status == REFUNDED
    rows = mariadb(f"SELECT COUNT(*) FROM payments WHERE order_id = '{order}'", payment.schema)
    assert rows.strip() == "1"


def test_void_and_compensations_of_nothing(payment):
    s, order = svc(payment), order_id()
    authorize(s, order)
    assert s.VoidPayment(pb.VoidPaymentRequest(order_id=order)).payment.status == VOIDED
    assert s.VoidPayment(pb.VoidPaymentRequest(order_id=order)).payment.status == VOIDED
    assert err(s.CapturePayment, pb.CapturePaymentRequest(order_id=order))[0] == \
        grpc.StatusCode.FAILED_PRECONDITION
    # compensations must not fail because the step never happened; they leave a
    # fence, so the authorization that arrives late is refused and holds nothing
    for undo in (lambda o: s.VoidPayment(pb.VoidPaymentRequest(order_id=o)),
                 lambda o: s.RefundPayment(pb.RefundPaymentRequest(order_id=o))):
        never = order_id()
        assert undo(never).payment.status == VOIDED
        assert undo(never).payment.status == VOIDED
        code, msg = err(lambda o: authorize(s, o), never)
        assert code == grpc.StatusCode.FAILED_PRECONDITION and "compensated" in msg
        assert err(s.GetPayment, pb.GetPaymentRequest(order_id=never))[0] == \
            grpc.StatusCode.NOT_FOUND  # a fence is not a payment


def test_declines_are_results(payment):
    s = svc(payment)
    for tok, reason in (("tok_decline", "card_declined"), ("tok_insufficient_funds", "insufficient_funds"),
                        ("tok_unknown_thing", "unknown_token")):
        order = order_id()
        p = authorize(s, order, tok=tok)
        assert (p.status, p.decline_reason) == (DECLINED, reason)
        assert s.VoidPayment(pb.VoidPaymentRequest(order_id=order)).payment.status == DECLINED


def test_card_numbers_are_refused_and_never_stored(payment):
    s = svc(payment)
    for pan in ("4111111111111111", "4111 1111 1111 1111", "tok-4111-1111-1111-1111"):
        order = order_id()
        assert err(lambda r: authorize(s, order, tok=pan), None) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "send a payment token, never a card number: card data is not accepted")
        assert mariadb(f"SELECT COUNT(*) FROM payments WHERE order_id = '{order}'",
                       payment.schema).strip() == "0"


def test_flaky_and_slow_providers(payment):
    s, order = svc(payment), order_id()
    for _ in range(2):
        assert err(lambda r: authorize(s, order, tok="tok_flaky"), None)[0] == grpc.StatusCode.UNAVAILABLE
    assert authorize(s, order, tok="tok_flaky").status == AUTHORIZED
    slow = order_id()
    assert err(lambda r: authorize(s, slow, tok="tok_slow", timeout=0.5), None)[0] == \
        grpc.StatusCode.DEADLINE_EXCEEDED
    time.sleep(1)  # the provider answered after the deadline; a retry finds the result
    first = authorize(s, slow, tok="tok_slow", timeout=10)
    assert first.status == AUTHORIZED and authorize(s, slow, tok="tok_slow").id == first.id


def test_concurrent_repeats_make_one_payment(payment):
    s, order = svc(payment), order_id()
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        ids = set(pool.map(lambda _: authorize(s, order).id, range(10)))
    assert len(ids) == 1
    assert mariadb(f"SELECT COUNT(*) FROM payments WHERE order_id = '{order}'",
                   payment.schema).strip() == "1"


def test_who_may_see_a_payment(payment):
    order = order_id()
    authorize(svc(payment), order, customer="cust-42")
    get = pb.GetPaymentRequest(order_id=order)
    assert As(payment, "CUSTOMER", "cust-42").GetPayment(get).payment.order_id == order
    assert As(payment, "ADMIN", "a1").GetPayment(get).payment.customer_id == "cust-42"
    assert err(As(payment, "CUSTOMER", "cust-7").GetPayment, get)[0] == grpc.StatusCode.NOT_FOUND
    assert err(As(payment, "CUSTOMER", "cust-42").AuthorizePayment, pb.AuthorizePaymentRequest(
        order_id=order_id(), customer_id="cust-42", payment_method_token="tok_ok",
        amount=common_pb2.Money(currency_code="EUR", units=1)))[0] == grpc.StatusCode.PERMISSION_DENIED
