"""Hostile values in every id a method takes, through the real services: ids
in other scripts, emoji, spaces, control characters, SQL and LIKE
metacharacters, and ids longer than any stored one. Each call is answered
with a status a caller can act on (INVALID_ARGUMENT, NOT_FOUND, ...), never
INTERNAL or UNKNOWN, and no service logs an error line for it."""
import re
import uuid

import grpc
import pytest

from bookstore.catalog.v1 import catalog_pb2 as cpb
from bookstore.catalog.v1 import catalog_pb2_grpc as cpb_grpc
from bookstore.checkout.v1 import checkout_pb2 as pb
from bookstore.checkout.v1 import checkout_pb2_grpc as pb_grpc
from bookstore.common.v1 import common_pb2
from bookstore.identity.v1 import identity_pb2 as ipb
from bookstore.identity.v1 import identity_pb2_grpc as ipb_grpc
from bookstore.inventory.v1 import inventory_pb2 as invpb
from bookstore.inventory.v1 import inventory_pb2_grpc as invpb_grpc
from bookstore.order.v1 import order_pb2 as opb
from bookstore.order.v1 import order_pb2_grpc as opb_grpc
from bookstore.payment.v1 import payment_pb2 as paypb
from bookstore.payment.v1 import payment_pb2_grpc as paypb_grpc

from test_checkout import ADDRESS, Stack, bearer

HOSTILE = ["é", "日本", "😀", "x" * 64, "y" * 300, " ", "a b", "a\tb", "'; DROP TABLE x; --",
           "%", "_", "..", "\u200b"]
REFUSALS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.PERMISSION_DENIED}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("keys"))
    yield s
    s.stop()


def calls(s, bad):
    """(service, method, request, role) for every id field of every method."""
    cat = cpb_grpc.CatalogServiceStub(s.catalog.channel())
    inv = invpb_grpc.InventoryServiceStub(s.inventory.channel())
    pay = paypb_grpc.PaymentServiceStub(s.payment.channel())
    ordr = opb_grpc.OrderServiceStub(s.order.channel())
    chk = pb_grpc.CheckoutServiceStub(s.checkout.channel())
    ids = ipb_grpc.IdentityServiceStub(s.identity.channel())
    eur = common_pb2.Money(currency_code="EUR", units=1)
    return [
        ("catalog", cat.GetBook, cpb.GetBookRequest(book_id=bad), None),
        ("catalog", cat.GetBook, cpb.GetBookRequest(book_id=bad, fresh=True), None),
        ("catalog", cat.SetBookStatus, cpb.SetBookStatusRequest(
            book_id=bad, status=cpb.BOOK_STATUS_ON_SALE), "SELLER"),
        ("catalog", cat.UpdateBook, cpb.UpdateBookRequest(book_id=bad, title="t"), "SELLER"),
        ("catalog", cat.ListBooks, cpb.ListBooksRequest(category_id=bad), None),
        ("catalog", cat.ListBestSellers, cpb.ListBestSellersRequest(category_id=bad), None),
        ("catalog", cat.CreateBook, cpb.CreateBookRequest(
            title="t", authors=["a"], isbn13="9780000000002", category_id=bad, price=eur),
         "SELLER"),
        ("inventory", inv.GetStock, invpb.GetStockRequest(book_id=bad), None),
        ("inventory", inv.SetStock, invpb.SetStockRequest(book_id=bad, on_hand=1), "ADMIN"),
        ("inventory", inv.AdjustStock, invpb.AdjustStockRequest(book_id=bad, delta=1), "ADMIN"),
        ("inventory", inv.ReserveStock, invpb.ReserveStockRequest(
            order_id=bad, items=[invpb.StockItem(book_id="b", quantity=1)]), "SERVICE"),
        ("inventory", inv.ReserveStock, invpb.ReserveStockRequest(
            order_id="o-1", items=[invpb.StockItem(book_id=bad, quantity=1)]), "SERVICE"),
        ("inventory", inv.ReleaseStock, invpb.ReleaseStockRequest(order_id=bad), "SERVICE"),
        ("inventory", inv.CommitReservation, invpb.CommitReservationRequest(order_id=bad),
         "SERVICE"),
        ("inventory", inv.RestockOrder, invpb.RestockOrderRequest(order_id=bad), "SERVICE"),
        ("payment", pay.AuthorizePayment, paypb.AuthorizePaymentRequest(
            order_id=bad, customer_id="c-1", amount=eur, payment_method_token="tok_ok"),
         "SERVICE"),
        ("payment", pay.AuthorizePayment, paypb.AuthorizePaymentRequest(
            order_id=f"o-{uuid.uuid4().hex[:8]}", customer_id=bad, amount=eur,
            payment_method_token="tok_ok"), "SERVICE"),
        ("payment", pay.CapturePayment, paypb.CapturePaymentRequest(order_id=bad), "SERVICE"),
        ("payment", pay.VoidPayment, paypb.VoidPaymentRequest(order_id=bad), "SERVICE"),
        ("payment", pay.RefundPayment, paypb.RefundPaymentRequest(order_id=bad), "SERVICE"),
        ("payment", pay.GetPayment, paypb.GetPaymentRequest(order_id=bad), "ADMIN"),
        ("order", ordr.GetOrder, opb.GetOrderRequest(order_id=bad), "ADMIN"),
        ("order", ordr.ChangeOrderStatus, opb.ChangeOrderStatusRequest(
            order_id=bad, status=opb.ORDER_STATUS_CONFIRMED), "SERVICE"),
        ("order", ordr.MarkShipped, opb.MarkShippedRequest(order_id=bad), "ADMIN"),
        ("order", ordr.MarkDelivered, opb.MarkDeliveredRequest(order_id=bad), "ADMIN"),
        ("order", ordr.CreateOrder, opb.CreateOrderRequest(
            items=[opb.OrderItemRequest(book_id=bad, quantity=1)], shipping_address=ADDRESS,
            customer_id="c-1"), "SERVICE"),
        ("order", ordr.CreateOrder, opb.CreateOrderRequest(
            items=[opb.OrderItemRequest(book_id="b", quantity=1)], shipping_address=ADDRESS,
            customer_id=bad), "SERVICE"),
        ("checkout", chk.GetSaga, pb.GetSagaRequest(saga_id=bad), "ADMIN"),
        ("checkout", chk.GetSaga, pb.GetSagaRequest(order_id=bad), "ADMIN"),
        ("checkout", chk.CancelOrder, pb.CancelOrderRequest(order_id=bad), "CUSTOMER"),
        ("checkout", chk.PlaceOrder, pb.PlaceOrderRequest(
            items=[pb.CheckoutItem(book_id=bad, quantity=1)], shipping_address=ADDRESS,
            payment_method_token="tok_ok", idempotency_key=uuid.uuid4().hex), "CUSTOMER"),
        ("checkout", chk.PlaceOrder, pb.PlaceOrderRequest(
            items=[pb.CheckoutItem(book_id="b", quantity=1)], shipping_address_id=bad,
            payment_method_token="tok_ok", idempotency_key=uuid.uuid4().hex), "CUSTOMER"),
        ("identity", ids.RemoveAddress, ipb.RemoveAddressRequest(address_id=bad), "CUSTOMER"),
        ("identity", ids.DisableUser, ipb.DisableUserRequest(user_id=bad), "ADMIN"),
    ]


def error_lines(stack):
    servers = {"identity": stack.identity, "catalog": stack.catalog, "inventory": stack.inventory,
               "payment": stack.payment, "order": stack.order, "checkout": stack.checkout}
    return {name: len(re.findall(r'"level":"error"', s.log_text())) for name, s in servers.items()}


def test_hostile_ids_get_clear_refusals_everywhere(stack):
    customer = stack.customer()
    before = error_lines(stack)
    wrong = []
    for bad in HOSTILE:
        for service, method, req, role in calls(stack, bad):
            md = customer.md if role == "CUSTOMER" else (
                bearer(stack.keypair, role, "seller-1" if role == "SELLER" else "admin-1")
                if role else [])
            try:
                method(req, timeout=10, metadata=md)
                continue  # an answer is fine (e.g. an empty list for an unknown category)
            except grpc.RpcError as e:
                if e.code() not in REFUSALS:
                    wrong.append((service, method._method.decode(), repr(bad), e.code().name,
                                  e.details()))
    assert wrong == [], "\n".join(map(str, wrong))
    assert error_lines(stack) == before


def test_an_id_refusal_names_the_rule(stack):
    """A 64-character book id is not 'required': the answer says what an id is."""
    inv = invpb_grpc.InventoryServiceStub(stack.inventory.channel())
    chk = pb_grpc.CheckoutServiceStub(stack.checkout.channel())
    customer = stack.customer()
    rule = "book_id must be 1 to 63 printable ASCII characters (no spaces)"
    for bad in ("x" * 64, "日本", "a b"):
        with pytest.raises(grpc.RpcError) as e:
            inv.GetStock(invpb.GetStockRequest(book_id=bad), timeout=10)
        assert (e.value.code(), e.value.details()) == (grpc.StatusCode.INVALID_ARGUMENT, rule)
        with pytest.raises(grpc.RpcError) as e:
            inv.ReserveStock(invpb.ReserveStockRequest(order_id="o-1", items=[
                invpb.StockItem(book_id=bad, quantity=1)]), timeout=10,
                metadata=bearer(stack.keypair, "SERVICE", "checkout"))
        assert (e.value.code(), e.value.details()) == (grpc.StatusCode.INVALID_ARGUMENT, rule)
        with pytest.raises(grpc.RpcError) as e:
            chk.PlaceOrder(pb.PlaceOrderRequest(
                items=[pb.CheckoutItem(book_id=bad, quantity=1)], shipping_address=ADDRESS,
                payment_method_token="tok_ok", idempotency_key=uuid.uuid4().hex), timeout=10,
                metadata=customer.md)
        assert (e.value.code(), e.value.details()) == (grpc.StatusCode.INVALID_ARGUMENT,
                                                       "each " + rule)


def test_limits_are_refused_with_their_own_rule(stack):
    """Stock above its ceiling is not 'below what is reserved'; a price beyond
    the limit says the limit."""
    book = stack.book(on_hand=999_999_999)
    inv = invpb_grpc.InventoryServiceStub(stack.inventory.channel())
    with pytest.raises(grpc.RpcError) as e:
        inv.AdjustStock(invpb.AdjustStockRequest(book_id=book, delta=2), timeout=10,
                        metadata=bearer(stack.keypair, "ADMIN", "admin-1"))
    assert (e.value.code(), e.value.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "on_hand would exceed 1000000000, the most a book may have in stock")
    cat = cpb_grpc.CatalogServiceStub(stack.catalog.channel())
    with pytest.raises(grpc.RpcError) as e:
        cat.CreateBook(cpb.CreateBookRequest(
            title="Dear", authors=["A"], isbn13="9780000000019",
            price=common_pb2.Money(currency_code="EUR", units=10**9)), timeout=10,
            metadata=bearer(stack.keypair, "SELLER", "seller-1"))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "less than 1000000000 units" in e.value.details()


def test_an_infrastructure_error_line_names_its_cause(stack):
    """A failure no caller can fix is INTERNAL, and its log line carries what
    MariaDB said (code and text), not only 'Input/output error'."""
    from test_identity import mariadb
    book = stack.book(on_hand=1)
    cat = cpb_grpc.CatalogServiceStub(stack.catalog.channel())
    mariadb("RENAME TABLE books TO books_away", stack.catalog.schema)
    try:
        with pytest.raises(grpc.RpcError) as e:
            cat.GetBook(cpb.GetBookRequest(book_id=book, fresh=True), timeout=10)
        assert e.value.code() == grpc.StatusCode.INTERNAL
    finally:
        mariadb("RENAME TABLE books_away TO books", stack.catalog.schema)
    failed = [l for l in stack.catalog.log_text().splitlines()
              if '"msg":"operation failed"' in l and "GetBook" in l]
    assert failed and '"cause":"mariadb 1146: ' in failed[-1], failed[-1:]
    assert "(libs/db/" in failed[-1]  # and the line that saw it
    assert cat.GetBook(cpb.GetBookRequest(book_id=book, fresh=True), timeout=10).book.id == book


def test_public_methods_take_small_requests_only(stack):
    """Methods served without a token decode at most 4 KiB (RPC_PUBLIC_REQUEST_BYTES)."""
    cat = cpb_grpc.CatalogServiceStub(stack.catalog.channel())
    ids = ipb_grpc.IdentityServiceStub(stack.identity.channel())
    for call, req in ((cat.GetBook, cpb.GetBookRequest(book_id="b" * 5000)),
                      (ids.Login, ipb.LoginRequest(email="a@b.c", password="p" * 5000))):
        with pytest.raises(grpc.RpcError) as e:
            call(req, timeout=10)
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert e.value.details().endswith("the limit is 4096"), e.value.details()
