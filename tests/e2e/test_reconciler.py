"""The reconciler through the real services: the participants' listings it
reads (ListPayments, ListReservations, ListOrders by order ids), and each kind
of divergence made on purpose in a participant's database -- reported once
(RPC, metric, log line), repaired where the repair is safe, left open for an
operator where it is not, and resolved once put right by hand."""
import os
import subprocess
import time

import grpc
import pytest

from bookstore.checkout.v1 import checkout_pb2 as pb
from bookstore.common.v1 import common_pb2
from bookstore.inventory.v1 import inventory_pb2 as invpb
from bookstore.inventory.v1 import inventory_pb2_grpc as invpb_grpc
from bookstore.order.v1 import order_pb2 as opb
from bookstore.order.v1 import order_pb2_grpc as opb_grpc
from bookstore.payment.v1 import payment_pb2 as paypb
from bookstore.payment.v1 import payment_pb2_grpc as paypb_grpc

from conftest import wait_for
from test_checkout import COMPLETED, Stack, bearer, err
from test_catalog import token
from test_identity import mariadb
from test_saga_ops import runbook_block

K = pb  # DivergenceKind values
OPEN, REPAIRED, RESOLVED = (pb.DIVERGENCE_STATUS_OPEN, pb.DIVERGENCE_STATUS_REPAIRED,
                            pb.DIVERGENCE_STATUS_RESOLVED)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    st = Stack(tmp_path_factory.mktemp("keys"))
    yield st
    st.stop()


@pytest.fixture(scope="module")
def rec(stack):
    """A coordinator whose reconciler runs only when asked (Reconcile), with no
    grace: every order placed here has its saga in its schema."""
    co = stack.start_checkout(BOOKSTORE_RECONCILE_INTERVAL_MS="0",
                              BOOKSTORE_RECONCILE_GRACE_MS="0")
    co.keypair = stack.keypair
    stack.others.append(co)
    yield co


def admin_client(stack, server):
    return checkout_client(server), bearer(stack.keypair, "ADMIN", "admin-1")


def checkout_client(server):
    from bookstore.checkout.v1 import checkout_pb2_grpc as pb_grpc
    return pb_grpc.CheckoutServiceStub(server.channel())


def reconcile(stack, server):
    stub, md = admin_client(stack, server)
    return stub.Reconcile(pb.ReconcileRequest(), timeout=60, metadata=md)


def divergences(stack, server, **filters):
    stub, md = admin_client(stack, server)
    return list(stub.ListDivergences(pb.ListDivergencesRequest(**filters), timeout=10,
                                     metadata=md).divergences)


def sql(stack, service, statement):
    return mariadb(statement, getattr(stack, service).schema)


def test_participants_list_what_the_reconciler_reads(stack):
    books = [stack.book(on_hand=5) for _ in range(3)]
    buyer = stack.customer()
    orders = [buyer.place(b).order_id for b in books]
    admin = bearer(stack.keypair, "ADMIN", "admin-1")
    pay = paypb_grpc.PaymentServiceStub(stack.payment.channel())
    got = pay.ListPayments(paypb.ListPaymentsRequest(order_ids=orders), timeout=10,
                           metadata=admin)
    assert sorted(p.order_id for p in got.payments) == sorted(orders)
    assert all(p.status == paypb.PAYMENT_STATUS_CAPTURED for p in got.payments)
    # page by page, in order id order, each once
    seen, token = [], ""
    while True:
        page = pay.ListPayments(paypb.ListPaymentsRequest(
            order_ids=orders, page=common_pb2.PageRequest(page_size=1, page_token=token)),
            timeout=10, metadata=admin)
        seen += [p.order_id for p in page.payments]
        token = page.page.next_page_token
        if not token:
            break
    assert seen == sorted(orders)
    since = pay.ListPayments(paypb.ListPaymentsRequest(
        status=paypb.PAYMENT_STATUS_CAPTURED,
        updated_since={"seconds": int(time.time()) + 3600}), timeout=10, metadata=admin)
    assert list(since.payments) == []
    # refusals
    code, msg = err(pay.ListPayments, paypb.ListPaymentsRequest(order_ids=["x"] * 101),
                    timeout=10, metadata=admin)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "100" in msg
    assert err(pay.ListPayments, paypb.ListPaymentsRequest(
        page=common_pb2.PageRequest(page_token="r123")), timeout=10,
        metadata=admin)[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert err(pay.ListPayments, paypb.ListPaymentsRequest(), timeout=10,
               metadata=buyer.md)[0] == grpc.StatusCode.PERMISSION_DENIED
    inv = invpb_grpc.InventoryServiceStub(stack.inventory.channel())
    res = inv.ListReservations(invpb.ListReservationsRequest(
        order_ids=orders, status=invpb.RESERVATION_STATUS_COMMITTED), timeout=10,
        metadata=admin).reservations
    assert sorted(r.order_id for r in res) == sorted(orders)
    assert all(r.items and r.items[0].quantity == 1 and r.updated_at.seconds > 0 for r in res)
    assert err(inv.ListReservations, invpb.ListReservationsRequest(), timeout=10,
               metadata=buyer.md)[0] == grpc.StatusCode.PERMISSION_DENIED
    ords = opb_grpc.OrderServiceStub(stack.order.channel())
    listed = ords.ListOrders(opb.ListOrdersRequest(order_ids=orders[:2]), timeout=10,
                             metadata=bearer(stack.keypair, "SERVICE", "checkout")).orders
    assert sorted(o.id for o in listed) == sorted(orders[:2])
    # a customer's filter stays within their own orders
    other = stack.customer()
    assert list(ords.ListOrders(opb.ListOrdersRequest(order_ids=orders), timeout=10,
                                metadata=other.md).orders) == []


def completed(stack, buyer, server):
    """A book with 3 on hand and a completed order of one copy, placed through
    server (its saga in server's schema)."""
    book = stack.book(on_hand=3)
    r = buyer.place(book, server=server)
    assert r.saga.status == COMPLETED
    return book, r.order_id


def test_each_kind_is_reported_and_the_safe_ones_repaired(stack, rec):
    buyer = stack.customer()
    # made in the participants' databases, as a bug or a hand edit would
    paid, paid_order = completed(stack, buyer, rec)
    sql(stack, "order", f"UPDATE orders SET status = 6 WHERE id = '{paid_order}'")
    unpaid, unpaid_order = completed(stack, buyer, rec)
    sql(stack, "payment", f"UPDATE payments SET status = 3 WHERE order_id = '{unpaid_order}'")
    unreserved, unreserved_order = completed(stack, buyer, rec)
    sql(stack, "inventory",
        f"UPDATE reservations SET status = 2 WHERE order_id = '{unreserved_order}'")
    refunded, refunded_order = completed(stack, buyer, rec)
    sql(stack, "payment", f"UPDATE payments SET status = 4 WHERE order_id = '{refunded_order}'")
    # cancelled and refunded, but the stock held instead of restocked
    held, held_order = completed(stack, buyer, rec)
    sql(stack, "order", f"UPDATE orders SET status = 8 WHERE id = '{held_order}'")
    sql(stack, "payment", f"UPDATE payments SET status = 4 WHERE order_id = '{held_order}'")
    sql(stack, "inventory",
        f"UPDATE reservations SET status = 1 WHERE order_id = '{held_order}'; "
        f"UPDATE stock SET on_hand = on_hand + 1, reserved = reserved + 1 "
        f"WHERE book_id = '{held}'")
    # a card hold whose saga is lost: its coordinator died right after the
    # authorization and never came back (its saga is in another schema)
    lost = stack.book(on_hand=3)
    doomed = stack.start_checkout(BOOKSTORE_CHECKOUT_CRASH_AFTER_STEP="make_payment")
    assert err(buyer.place, lost, server=doomed)[0] == grpc.StatusCode.UNAVAILABLE
    assert doomed.wait(timeout=10) == -9
    doomed.close_channels()
    lost_order = sql(stack, "order", f"SELECT id FROM orders WHERE customer_id = '{buyer.id}' "
                                     "AND status = 1").strip()
    assert lost_order and stack.payment_of(lost_order) == [(1, 10)]  # AUTHORIZED

    r = reconcile(stack, rec)
    # the lost saga's order is two: its hold (voided) and the order itself, in
    # a checkout's middle with no saga to finish it (its stock released, rejected)
    assert (r.found, r.repaired, r.repair_failures, r.open) == (7, 3, 0, 4), r
    opened = {(d.order_id, d.kind): d for d in divergences(stack, rec, status=OPEN)}
    assert set(opened) == {
        (paid_order, pb.DIVERGENCE_KIND_PAID_NOT_CONFIRMED),
        (unpaid_order, pb.DIVERGENCE_KIND_CONFIRMED_NOT_PAID),
        (unreserved_order, pb.DIVERGENCE_KIND_CONFIRMED_NOT_RESERVED),
        (refunded_order, pb.DIVERGENCE_KIND_REFUNDED_STILL_CONFIRMED)}
    assert opened[(unpaid_order, pb.DIVERGENCE_KIND_CONFIRMED_NOT_PAID)].detail == \
        "order CONFIRMED, payment VOIDED, reservation COMMITTED"
    fixed = {(d.order_id, d.kind): d for d in divergences(stack, rec, status=REPAIRED)}
    assert set(fixed) == {(held_order, pb.DIVERGENCE_KIND_RESERVED_FOR_CLOSED_ORDER),
                          (lost_order, pb.DIVERGENCE_KIND_AUTHORIZED_WITHOUT_SAGA),
                          (lost_order, pb.DIVERGENCE_KIND_ORDER_WITHOUT_SAGA)}
    assert fixed[(lost_order, pb.DIVERGENCE_KIND_ORDER_WITHOUT_SAGA)].repair == "reject_order"
    assert fixed[(lost_order, pb.DIVERGENCE_KIND_AUTHORIZED_WITHOUT_SAGA)].repair == \
        "void_payment"
    assert fixed[(held_order, pb.DIVERGENCE_KIND_RESERVED_FOR_CLOSED_ORDER)].repair == \
        "release_stock"
    # the repairs really happened: the hold voided at the provider, the stock free
    assert stack.payment_of(lost_order) == [(3, 10)]
    assert sql(stack, "order", f"SELECT status FROM orders WHERE id = '{lost_order}'").strip() \
        == "6"  # REJECTED
    assert stack.reservation_of(held_order) == 2
    assert stack.available(held).available == 3
    # reported once: a second pass finds nothing new and repairs nothing
    again = reconcile(stack, rec)
    assert (again.found, again.repaired, again.open) == (0, 0, 4)
    assert rec.log_text().count('"msg":"divergence found"') == 7
    assert rec.log_text().count('"msg":"divergence repaired"') == 3
    m = rec.metrics()
    for kind in ("paid_not_confirmed", "confirmed_not_paid", "confirmed_not_reserved",
                 "refunded_still_confirmed"):
        assert m[("bookstore_divergences_open", frozenset({"kind": kind}.items()))] == 1, kind
    for kind in ("reserved_for_closed_order", "authorized_without_saga", "order_without_saga"):
        assert m[("bookstore_divergences_open", frozenset({"kind": kind}.items()))] == 0
        assert m[("bookstore_divergences_repaired_total",
                  frozenset({"kind": kind}.items()))] == 1
    assert m[("bookstore_reconcile_passes_total", frozenset({"result": "ok"}.items()))] == 2
    # an operator puts the rest right by hand: each is resolved
    sql(stack, "order", f"UPDATE orders SET status = 3 WHERE id = '{paid_order}'")
    sql(stack, "payment", f"UPDATE payments SET status = 2 WHERE order_id IN "
                          f"('{unpaid_order}', '{refunded_order}')")
    sql(stack, "inventory",
        f"UPDATE reservations SET status = 3 WHERE order_id = '{unreserved_order}'")
    done = reconcile(stack, rec)
    assert (done.found, done.resolved, done.open) == (0, 4, 0)
    assert {d.order_id for d in divergences(stack, rec, status=RESOLVED)} == {
        paid_order, unpaid_order, unreserved_order, refunded_order}
    # only admins; filters checked
    stub = checkout_client(rec)
    assert err(stub.Reconcile, pb.ReconcileRequest(), timeout=10,
               metadata=buyer.md)[0] == grpc.StatusCode.PERMISSION_DENIED
    assert err(stub.ListDivergences, pb.ListDivergencesRequest(order_id="no spaces"),
               timeout=10, metadata=bearer(stack.keypair, "ADMIN", "a"))[0] == \
        grpc.StatusCode.INVALID_ARGUMENT
    for book, sold in ((paid, 1), (unpaid, 1), (unreserved, 1), (refunded, 1), (held, 0),
                       (lost, 0)):
        assert stack.reconcile(book, 3) == sold
    # the README's commands, as written, against this coordinator
    env = {**os.environ, "CHECKOUT": rec.target,
           "ADMIN_TOKEN": token(stack.keypair, "ADMIN", "admin-1")}
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", runbook_block("reconciliation")],
                         cwd=os.environ["BOOKSTORE_SOURCE_ROOT"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr + out.stdout
    assert '"examined"' in out.stdout and '"repair": "void_payment"' in out.stdout
    assert lost_order in out.stdout and held_order in out.stdout


def test_the_reconciler_runs_by_itself(stack):
    """With its timer on (and no grace), a divergence is found without anyone
    asking, and its orders' sagas in flight are left alone meanwhile."""
    co = stack.start_checkout(BOOKSTORE_RECONCILE_INTERVAL_MS="200",
                              BOOKSTORE_RECONCILE_GRACE_MS="0")
    stack.others.append(co)
    buyer = stack.customer()
    book, order_id = completed(stack, buyer, co)
    sql(stack, "payment", f"UPDATE payments SET status = 3 WHERE order_id = '{order_id}'")
    assert wait_for(lambda: any(d.order_id == order_id for d in divergences(stack, co,
                                                                            status=OPEN)),
                    timeout=10)
    sql(stack, "payment", f"UPDATE payments SET status = 2 WHERE order_id = '{order_id}'")
    assert wait_for(lambda: any(d.order_id == order_id for d in divergences(stack, co,
                                                                            status=RESOLVED)),
                    timeout=10)
    assert co.stop() == 0
    stack.others.remove(co)
    stack.reconcile(book, 3)
