"""Operators steer sagas through CheckoutService (ADMIN): ListSagas' filters,
GetSaga's journal and audit trail, and RetryNow, Resume, ForceCompensate and
MarkResolved against real processes on a real MariaDB -- each refused where it
would break the saga's guarantees, recorded, published, counted -- with money
and stock reconciled after each."""
import os
import socket
import subprocess
import time
import uuid

import grpc
import pytest

from bookstore.checkout.v1 import checkout_pb2 as pb
from bookstore.inventory.v1 import inventory_pb2 as invpb
from bookstore.inventory.v1 import inventory_pb2_grpc as invpb_grpc
from bookstore.order.v1 import order_pb2 as opb
from bookstore.order.v1 import order_pb2_grpc as opb_grpc
from bookstore.payment.v1 import payment_pb2 as paypb
from bookstore.payment.v1 import payment_pb2_grpc as paypb_grpc

from conftest import Server, wait_for
from test_catalog import token
from test_checkout import (COMPENSATED, COMPLETED, Stack, bearer, err, outbox_unsent, steps,
                           topic_events)
from test_identity import mariadb

DENIED, INVALID = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
FAILED, RUNNING = pb.SAGA_STATUS_FAILED, pb.SAGA_STATUS_RUNNING


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    st = Stack(tmp_path_factory.mktemp("keys"))
    yield st
    st.stop()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Operator:
    """An admin calling one coordinator."""

    def __init__(self, stack, server):
        self.stack, self.server = stack, server
        self.stub, self.md = stack.admin(server)

    def list(self, **filters):
        return self.stub.ListSagas(pb.ListSagasRequest(**filters), timeout=10,
                                   metadata=self.md).sagas

    def get(self, saga_id):
        return self.stub.GetSaga(pb.GetSagaRequest(saga_id=saga_id), timeout=10,
                                 metadata=self.md)

    def act(self, action, saga_id, reason="incident 42", **extra):
        req = getattr(pb, f"{action}Request")(saga_id=saga_id, reason=reason, **extra)
        return getattr(self.stub, action)(req, timeout=10, metadata=self.md)

    def refused(self, action, saga_id, reason="incident 42", **extra):
        return err(self.act, action, saga_id, reason, **extra)

    def wait_status(self, saga_id, status, timeout=15):
        assert wait_for(lambda: self.get(saga_id).saga.status == status, timeout=timeout), \
            self.get(saga_id).saga


def stuck_checkout(stack, buyer, book, **env):
    """A coordinator whose inventory is unreachable: its checkouts stop at
    reserve_inventory (before the pivot) and are flagged stuck."""
    co = stack.start_checkout(BOOKSTORE_INVENTORY_TARGET=f"127.0.0.1:{free_port()}",
                              BOOKSTORE_CHECKOUT_STEP_DEADLINE_MS="600000",
                              BOOKSTORE_CHECKOUT_STUCK_AFTER_MS="300",
                              BOOKSTORE_CHECKOUT_RESUME_INTERVAL_MS="200",
                              BOOKSTORE_PEER_TIMEOUT_MS="300", **env)
    co.keypair = stack.keypair
    stack.others.append(co)
    saga = buyer.place(book, timeout=1.5, server=co).saga
    assert saga.status == RUNNING
    op = Operator(stack, co)
    assert wait_for(lambda: op.get(saga.id).saga.stuck, timeout=10)
    return co, op, op.get(saga.id).saga


def stop_other(stack, server):
    assert server.stop() == 0, server.stderr[-3000:]
    stack.others.remove(server)


def test_a_stuck_saga_is_found_journaled_force_compensated_and_audited(stack):
    book, buyer = stack.book(on_hand=3), stack.customer()
    co, op, saga = stuck_checkout(stack, buyer, book)
    assert saga.step == "reserve_inventory"
    # ListSagas finds it by each filter, and not by the wrong ones
    for filters in ({"stuck": True}, {"step": "reserve_inventory"}, {"customer_id": buyer.id},
                    {"order_id": saga.order_id}, {"status": RUNNING, "stuck": True}):
        assert saga.id in [s.id for s in op.list(**filters)], filters
    for filters in ({"step": "confirm"}, {"customer_id": "someone-else"},
                    {"min_age_seconds": 3600}, {"status": COMPENSATED}):
        assert saga.id not in [s.id for s in op.list(**filters)], filters
    assert err(op.stub.ListSagas, pb.ListSagasRequest(step="no spaces"), timeout=10,
               metadata=op.md)[0] == INVALID
    # the journal: every call, with its outcome, status and duration
    got = op.get(saga.id)
    assert [a.step for a in got.journal[:3]] == ["place_order", "make_payment",
                                                "change_order_status"]
    assert all(a.code == "OK" and a.outcome == pb.ATTEMPT_OUTCOME_OK for a in got.journal[:3])
    reserves = [a for a in got.journal if a.step == "reserve_inventory"]
    assert len(reserves) >= 2 and got.journal_total == len(got.journal)
    assert all(a.code == "UNAVAILABLE" and a.outcome == pb.ATTEMPT_OUTCOME_UNREACHED
               and a.message and a.started_at.seconds > 0 and not a.compensation
               for a in reserves)
    assert list(got.actions) == []
    # the customer sees the saga, not the operators' view of it
    mine = buyer.stub(co).GetSaga(pb.GetSagaRequest(saga_id=saga.id), timeout=10,
                                  metadata=buyer.md)
    assert mine.saga.id == saga.id and not mine.journal
    # who may act, and with what
    assert err(buyer.stub(co).ForceCompensate, pb.ForceCompensateRequest(
        saga_id=saga.id, reason="mine"), timeout=10, metadata=buyer.md)[0] == DENIED
    code, msg = op.refused("ForceCompensate", saga.id, reason="")
    assert code == INVALID and "reason" in msg
    assert op.refused("ForceCompensate", saga.id, reason="x" * 201)[0] == INVALID
    assert op.refused("ForceCompensate", "no-such-saga")[0] == grpc.StatusCode.NOT_FOUND
    code, msg = op.refused("MarkResolved", saga.id, outcome=COMPLETED)
    assert code == PRECONDITION and "COMPENSATED" in msg  # before the pivot nothing was sold
    # ForceCompensate: the payment is voided and the order rejected, at once
    r = op.act("ForceCompensate", saga.id, reason="inventory cluster lost; incident 42")
    assert r.saga.status in (pb.SAGA_STATUS_COMPENSATING, COMPENSATED)
    assert (r.action.kind, r.action.actor) == (pb.OPERATOR_ACTION_KIND_FORCE_COMPENSATE, "admin-1")
    assert (r.action.from_status, r.action.to_status) == (RUNNING, pb.SAGA_STATUS_COMPENSATING)
    assert r.action.step == "reserve_inventory" and r.action.at.seconds > 0
    op.wait_status(saga.id, COMPENSATED)
    done = op.get(saga.id)
    assert "compensated by an operator: inventory cluster lost" in done.saga.failure_reason
    assert steps(done.saga)["make_payment"].status == pb.STEP_STATUS_COMPENSATED
    assert [a.reason for a in done.actions] == ["inventory cluster lost; incident 42"]
    assert buyer.payment(saga.order_id).status == paypb.PAYMENT_STATUS_VOIDED
    assert buyer.order(saga.order_id).status == opb.ORDER_STATUS_REJECTED
    # refused once it ended; counted; logged once; published
    assert op.refused("RetryNow", saga.id)[0] == PRECONDITION
    m = co.metrics()
    assert m[("bookstore_saga_operator_actions_total",
              frozenset({"action": "force_compensate"}.items()))] == 1
    assert co.log_text().count('"msg":"operator action"') == 1
    assert wait_for(lambda: outbox_unsent(co) == 0, timeout=30)
    stop_other(stack, co)
    events = topic_events(stack, "bookstore.saga")[saga.id]
    assert [e.type for e in events] == ["saga.operator_action", "saga.compensated"]
    a = events[0].saga_operator_action
    assert (a.action, a.actor, a.from_status, a.to_status, a.step) == (
        "force_compensate", "admin-1", "RUNNING", "COMPENSATING", "reserve_inventory")
    stack.reconcile(book, 3)


def settle_by_hand(stack, order_id):
    """What an operator does through the participants' own APIs before
    MarkResolved(COMPENSATED): the authorization voided, the order rejected."""
    service = bearer(stack.keypair, "SERVICE", "operator-by-hand")
    pay = paypb_grpc.PaymentServiceStub(stack.payment.channel())
    pay.VoidPayment(paypb.VoidPaymentRequest(order_id=order_id), timeout=10, metadata=service)
    orders = opb_grpc.OrderServiceStub(stack.order.channel())
    orders.ChangeOrderStatus(opb.ChangeOrderStatusRequest(
        order_id=order_id, status=opb.ORDER_STATUS_REJECTED, reason="by hand"),
        timeout=10, metadata=service)


def test_a_stuck_saga_resolved_by_hand_is_driven_no_more(stack):
    """MarkResolved: the operator voided the payment and rejected the order
    through the participants' own APIs; the saga ends COMPENSATED and its
    coordinator stops calling inventory for it."""
    book, buyer = stack.book(on_hand=3), stack.customer()
    co, op, saga = stuck_checkout(stack, buyer, book)
    settle_by_hand(stack, saga.order_id)
    r = op.act("MarkResolved", saga.id, reason="voided and rejected by hand",
               outcome=COMPENSATED)
    assert r.saga.status == COMPENSATED and not r.saga.stuck
    assert r.saga.failure_reason == "resolved by an operator: voided and rejected by hand"
    calls = op.get(saga.id).journal_total
    time.sleep(1.0)  # a few of its former retry intervals
    assert op.get(saga.id).journal_total == calls
    assert op.refused("Resume", saga.id)[0] == PRECONDITION
    assert co.metrics()[("bookstore_saga_operator_actions_total",
                         frozenset({"action": "mark_resolved"}.items()))] == 1
    stop_other(stack, co)
    stack.reconcile(book, 3)


def test_retry_now_skips_a_long_backoff(stack):
    book, buyer = stack.book(on_hand=3), stack.customer()
    co = stack.start_checkout(BOOKSTORE_CHECKOUT_RETRY_BASE_MS="60000",
                              BOOKSTORE_CHECKOUT_RETRY_MAX_MS="60000",
                              BOOKSTORE_CHECKOUT_LEASE_MS="120000")
    stack.others.append(co)
    op = Operator(stack, co)
    # tok_flaky: the payment service answers UNAVAILABLE twice, then authorizes
    saga = buyer.place(book, tok="tok_flaky", timeout=1.5, server=co).saga
    assert saga.status == RUNNING and steps(saga)["make_payment"].attempts == 1
    start = time.monotonic()
    for attempt in (2, 3):
        op.act("RetryNow", saga.id, reason=f"provider is back ({attempt})")
        assert wait_for(lambda: steps(op.get(saga.id).saga)["make_payment"].attempts == attempt,
                        timeout=10)
    op.wait_status(saga.id, COMPLETED)
    assert time.monotonic() - start < 20  # two backoffs of a minute each, skipped
    got = op.get(saga.id)
    assert [a.kind for a in got.actions] == [pb.OPERATOR_ACTION_KIND_RETRY_NOW] * 2
    assert [a.code for a in got.journal if a.step == "make_payment"] == [
        "UNAVAILABLE", "UNAVAILABLE", "OK"]
    stop_other(stack, co)
    stack.reconcile(book, 3)


def test_past_the_pivot_only_forward_and_resume_completes_once_fixed(stack):
    """A coordinator dies right after capture_payment (the pivot); its
    successor cannot reach inventory, so confirm is stuck. ForceCompensate and
    MarkResolved(COMPENSATED) are refused -- the money was taken; once
    inventory is back, Resume completes it without waiting for the backoff."""
    book, buyer = stack.book(on_hand=5), stack.customer()
    schema = stack.new_schema("checkout")
    instance = f"pivot-{uuid.uuid4().hex[:6]}"
    doomed = stack.start_checkout(schema=schema, BOOKSTORE_CHECKOUT_INSTANCE=instance,
                                  BOOKSTORE_CHECKOUT_CRASH_AFTER_STEP="capture_payment")
    assert err(buyer.place, book, quantity=2, server=doomed)[0] == grpc.StatusCode.UNAVAILABLE
    assert doomed.wait(timeout=10) == -9
    doomed.close_channels()
    port = free_port()
    co = stack.start_checkout(schema=schema, BOOKSTORE_CHECKOUT_INSTANCE=instance,
                              BOOKSTORE_INVENTORY_TARGET=f"127.0.0.1:{port}",
                              BOOKSTORE_CHECKOUT_STUCK_AFTER_MS="300",
                              BOOKSTORE_CHECKOUT_RETRY_BASE_MS="100",
                              BOOKSTORE_CHECKOUT_RETRY_MAX_MS="60000",
                              BOOKSTORE_CHECKOUT_LEASE_MS="120000",
                              BOOKSTORE_PEER_TIMEOUT_MS="300")
    stack.others.append(co)
    op = Operator(stack, co)
    saga_id = mariadb("SELECT id FROM sagas", schema).strip()
    # stuck on confirm, its backoff grown past ten seconds
    assert wait_for(lambda: op.get(saga_id).saga.stuck and
                    steps(op.get(saga_id).saga)["confirm"].attempts >= 8, timeout=60)
    saga = op.get(saga_id).saga
    assert saga.step == "confirm" and saga.id in [s.id for s in op.list(step="confirm")]
    code, msg = op.refused("ForceCompensate", saga_id)
    assert code == PRECONDITION and "pivot" in msg
    assert op.refused("MarkResolved", saga_id, outcome=COMPENSATED)[0] == PRECONDITION
    # the cause is fixed: inventory is reachable where the coordinator looks
    env = {**stack.db_env("inventory", stack.inventory.schema),
           "BOOKSTORE_JWT_VERIFY_KEYS": stack.keypair[1],
           "BOOKSTORE_CATALOG_TARGET": stack.catalog.target,
           "BOOKSTORE_IDENTITY_TARGET": stack.identity.target}
    back = Server(os.environ["BOOKSTORE_INVENTORY"], port_env="BOOKSTORE_INVENTORY_ADDR",
                  env=env, port=port)
    try:
        started = time.monotonic()
        r = op.act("Resume", saga_id, reason="inventory restored")
        assert r.action.kind == pb.OPERATOR_ACTION_KIND_RESUME and not r.saga.stuck
        op.wait_status(saga_id, COMPLETED, timeout=12)
        # its next attempt was more than 12 s away; gRPC's own reconnect
        # backoff to the address that was down may still take a few seconds
        assert time.monotonic() - started < 10
        assert stack.payment_of(saga.order_id) == [(2, 20)]  # captured once, never refunded
        assert stack.order_of(saga.order_id)[0] == 3  # CONFIRMED
    finally:
        back.stop()
    stop_other(stack, co)
    assert stack.reconcile(book, 5) == 2


def test_a_failed_cancellation_is_resumed_once_its_cause_is_fixed(stack):
    """A cancellation meets a reservation that is not a sale any more (set in
    inventory's database: a divergence); restock is refused and the
    cancellation ends FAILED. It can be neither compensated nor retried;
    once the row is put right, Resume finishes it: refunded, restocked,
    cancelled."""
    book, buyer = stack.book(on_hand=4), stack.customer()
    placed = buyer.place(book, quantity=2)
    assert placed.saga.status == COMPLETED
    mariadb(f"UPDATE reservations SET status = 1 WHERE order_id = '{placed.order_id}'",
            stack.inventory.schema)
    c = buyer.stub().CancelOrder(pb.CancelOrderRequest(order_id=placed.order_id),
                                 timeout=30, metadata=buyer.md).saga
    assert c.status == FAILED and c.step == "restock_inventory", c
    op = Operator(stack, stack.checkout)
    assert c.id in [s.id for s in op.list(status=FAILED, kind=pb.SAGA_KIND_CANCELLATION)]
    code, msg = op.refused("ForceCompensate", c.id)
    assert code == PRECONDITION and "cancellation" in msg
    assert op.refused("RetryNow", c.id)[0] == PRECONDITION
    assert op.refused("MarkResolved", c.id, outcome=COMPENSATED)[0] == PRECONDITION
    mariadb(f"UPDATE reservations SET status = 3 WHERE order_id = '{placed.order_id}'",
            stack.inventory.schema)
    r = op.act("Resume", c.id, reason="reservation row repaired")
    assert (r.action.from_status, r.action.to_status) == (FAILED, RUNNING)
    op.wait_status(c.id, COMPLETED)
    assert buyer.order(placed.order_id).status == opb.ORDER_STATUS_CANCELLED
    assert buyer.payment(placed.order_id).status == paypb.PAYMENT_STATUS_REFUNDED
    inv = invpb_grpc.InventoryServiceStub(stack.inventory.channel())
    assert inv.GetStock(invpb.GetStockRequest(book_id=book), timeout=10).stock.on_hand == 4
    stack.reconcile(book, 4)


def test_the_census_reports_open_sagas_by_age_and_the_oldest(stack):
    book, buyer = stack.book(on_hand=3), stack.customer()
    co, op, saga = stuck_checkout(stack, buyer, book)

    def open_now():
        m = co.metrics()
        return m.get(("bookstore_sagas_open", frozenset(
            {"kind": "checkout", "status": "running", "age": "lt_1m"}.items())), 0), m

    assert wait_for(lambda: open_now()[0] >= 1, timeout=10)
    m = open_now()[1]
    assert m[("bookstore_sagas_stuck", frozenset({"kind": "checkout"}.items()))] >= 1
    assert 0 <= m[("bookstore_saga_oldest_unfinished_age_seconds", frozenset())] < 60
    op.act("ForceCompensate", saga.id)
    op.wait_status(saga.id, COMPENSATED)
    assert wait_for(lambda: open_now()[0] == 0, timeout=10)
    stop_other(stack, co)
    stack.reconcile(book, 3)


def runbook_block(marker="buf curl"):
    text = open(os.path.join(os.environ["BOOKSTORE_SOURCE_ROOT"], "README.md")).read()
    return text.split(f"<!-- runbook: {marker} -->", 1)[1].split("```sh\n", 1)[1] \
        .split("```", 1)[0]


def test_the_readme_runbook_runs_as_written(stack):
    """The README's operator commands, run by bash as they are written, against
    two stuck sagas: SAGA is retried, resumed and force-compensated, SAGA2
    (settled by hand first) is marked resolved."""
    book, buyer = stack.book(on_hand=4), stack.customer()
    co, op, saga = stuck_checkout(stack, buyer, book)
    saga2 = buyer.place(book, timeout=1.5, server=co).saga
    assert wait_for(lambda: op.get(saga2.id).saga.stuck, timeout=10)
    settle_by_hand(stack, saga2.order_id)
    env = {**os.environ, "CHECKOUT": co.target, "SAGA": saga.id, "SAGA2": saga2.id,
           "ADMIN_TOKEN": token(stack.keypair, "ADMIN", "admin-1")}
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", runbook_block()],
                       cwd=os.environ["BOOKSTORE_SOURCE_ROOT"], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
    assert saga.id in r.stdout and saga2.id in r.stdout  # the stuck listing
    assert '"journal"' in r.stdout and '"code": "UNAVAILABLE"' in r.stdout  # GetSaga
    op.wait_status(saga.id, COMPENSATED)
    got = op.get(saga.id)
    assert [a.kind for a in got.actions] == [pb.OPERATOR_ACTION_KIND_RETRY_NOW,
                                             pb.OPERATOR_ACTION_KIND_RESUME,
                                             pb.OPERATOR_ACTION_KIND_FORCE_COMPENSATE]
    assert all(a.reason.endswith("(INC-1042)") for a in got.actions)
    done2 = op.get(saga2.id)
    assert done2.saga.status == COMPENSATED
    assert [a.kind for a in done2.actions] == [pb.OPERATOR_ACTION_KIND_MARK_RESOLVED]
    stop_other(stack, co)
    stack.reconcile(book, 4)


def test_the_grpcurl_runbook_calls_the_same_methods():
    """grpcurl is not packaged by Debian (see the walkthrough): its version of
    the runbook is checked to make the calls the buf curl version makes."""
    import re
    buf, grpcurl = runbook_block("buf curl"), runbook_block("grpcurl")
    calls = re.findall(r'"\$svc/(\w+)"', buf)
    assert calls == re.findall(r'"\$svc/(\w+)"', grpcurl) and len(calls) == 8
    payloads = re.findall(r"-d '([^']*)'", buf)
    assert payloads == re.findall(r"-d '([^']*)'", grpcurl) and len(payloads) == 3
