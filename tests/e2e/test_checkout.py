"""The checkout saga coordinator with every participant as a real process
(identity, catalog, inventory, payment, order, checkout) on a real MariaDB,
called through generated Python stubs: the happy path, declines, shortages,
flaky, slow and dead participants, crash drills, idempotency, 200 concurrent
checkouts, cancellation, and reconciliation of money and stock after each."""
import os
import subprocess
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

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

from conftest import Server, wait_for, write_keypair
from test_catalog import Caller, money, new_book, token
from test_identity import mariadb

COMPLETED, COMPENSATED = pb.SAGA_STATUS_COMPLETED, pb.SAGA_STATUS_COMPENSATED
FINAL = (COMPLETED, COMPENSATED, pb.SAGA_STATUS_FAILED)
SECRET = "checkout-secret-" + uuid.uuid4().hex
CHECKOUT_STEPS = ["place_order", "make_payment", "change_order_status", "reserve_inventory",
                  "capture_payment", "confirm"]
ADDRESS = common_pb2.Address(recipient="Ada Buyer", line1="1 Main St", city="Berlin",
                             postal_code="10115", country_code="de")


class Stack:
    """Every service of the system on its own schema, and a way to start more
    checkout coordinators (for drills) on schemas of their own."""

    def __init__(self, d, consumers=False):
        """consumers: inventory publishes stock events and the catalog consumes
        them and order events (SOLD_OUT/ON_SALE, best sellers) as in production;
        off here, so that book statuses stay put under the module's drills."""
        self.keypair = write_keypair(d)
        self.key_dir = d
        self.schemas = {}
        # a Kafka-protocol broker: payment publishes its events through it
        self.kafka = subprocess.Popen([os.environ["BOOKSTORE_KAFKA_MOCK"], "1"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.kafka_brokers = self.kafka.stdout.readline().split()[-1]
        verify = {"BOOKSTORE_JWT_VERIFY_KEYS": self.keypair[1]}
        self.identity = self.start("identity", {
            "BOOKSTORE_JWT_SIGNING_KEY": str(d / "k1.pem"), "BOOKSTORE_JWT_SIGNING_KID": "k1",
            "BOOKSTORE_IDENTITY_ARGON2_OPSLIMIT": "1", "BOOKSTORE_IDENTITY_ARGON2_MEMLIMIT": "8M",
            "BOOKSTORE_IDENTITY_REGISTER_LIMIT_PER_PEER": "100000",
            "BOOKSTORE_IDENTITY_SERVICE_CLIENTS": f"checkout:{SECRET}",
            "BOOKSTORE_IDENTITY_LIMIT_NAMESPACE": f"t{uuid.uuid4().hex[:8]}"})
        events = {"KAFKA_BROKERS": self.kafka_brokers, "BOOKSTORE_OUTBOX_POLL_MS": "20",
                  "BOOKSTORE_CONSUMER_STATS_MS": "200"} if consumers else {}
        self.catalog = self.start("catalog", {**verify, **events})
        peers = {"BOOKSTORE_CATALOG_TARGET": self.catalog.target,
                 "BOOKSTORE_IDENTITY_TARGET": self.identity.target}
        self.inventory = self.start("inventory", {**verify, **peers, **events,
                                                  "BOOKSTORE_RPC_WORKERS": "16"})
        self.payment = self.start("payment", {**verify, "BOOKSTORE_RPC_WORKERS": "16",
                                              "KAFKA_BROKERS": self.kafka_brokers})
        self.order = self.start("order", {**verify, **peers, "BOOKSTORE_RPC_WORKERS": "16",
                                          "KAFKA_BROKERS": self.kafka_brokers})
        self.checkout = self.start_checkout()
        self.others = []

    def db_env(self, name, schema):
        up = name.upper()
        return {f"BOOKSTORE_{up}_DB_PORT": os.environ["BOOKSTORE_MYSQL_PORT"],
                f"BOOKSTORE_{up}_DB_PASSWORD": os.environ["BOOKSTORE_MYSQL_PASSWORD"],
                f"BOOKSTORE_{up}_DB_NAME": schema}

    def new_schema(self, name):
        schema = f"bookstore_{name[:2]}{uuid.uuid4().hex[:8]}"
        mariadb(f"CREATE DATABASE {schema}")
        self.schemas.setdefault(name, []).append(schema)
        return schema

    def start(self, name, env, schema=None):
        schema = schema or self.new_schema(name)
        s = Server(os.environ[f"BOOKSTORE_{name.upper()}"],
                   port_env=f"BOOKSTORE_{name.upper()}_ADDR",
                   env={**self.db_env(name, schema), **env})
        s.schema = schema
        return s

    def start_checkout(self, schema=None, **env):
        base = {"BOOKSTORE_JWT_VERIFY_KEYS": self.keypair[1],
                "BOOKSTORE_IDENTITY_TARGET": self.identity.target,
                "BOOKSTORE_ORDER_TARGET": self.order.target,
                "BOOKSTORE_PAYMENT_TARGET": self.payment.target,
                "BOOKSTORE_INVENTORY_TARGET": self.inventory.target,
                "BOOKSTORE_CHECKOUT_SERVICE_SECRET": SECRET,
                "KAFKA_BROKERS": self.kafka_brokers,
                "BOOKSTORE_CHECKOUT_RETRY_BASE_MS": "20",
                "BOOKSTORE_CHECKOUT_RETRY_MAX_MS": "200",
                "BOOKSTORE_CHECKOUT_INSTANCE": f"test-{uuid.uuid4().hex[:6]}",
                # coordinators here have schemas of their own over shared
                # participants: one would take another's sagas for missing and
                # repair what a test holds on purpose. Reconcile when asked.
                "BOOKSTORE_RECONCILE_INTERVAL_MS": "0"}
        s = self.start("checkout", {**base, **env}, schema=schema)
        s.keypair = self.keypair
        return s

    def stop(self):
        for s in [*self.others, self.checkout, self.order, self.payment, self.inventory,
                  self.catalog, self.identity]:
            if s.returncode is None:
                assert s.stop() == 0, s.stderr[-3000:]
        for schemas in self.schemas.values():
            for schema in schemas:
                mariadb(f"DROP DATABASE {schema}")
        self.kafka.terminate()
        assert self.kafka.wait(timeout=10) == 0

    # ---- the people using it --------------------------------------------

    def customer(self):
        s = ipb_grpc.IdentityServiceStub(self.identity.channel())
        email = f"c{uuid.uuid4().hex[:8]}@example.com"
        s.RegisterUser(ipb.RegisterUserRequest(email=email, password="a-good-password-1",
                                               display_name="Buyer"), timeout=10)
        login = s.Login(ipb.LoginRequest(email=email, password="a-good-password-1"), timeout=10)
        return Customer(self, login.user.id, login.tokens.access_token)

    def book(self, on_hand, units=10, seller="seller-1"):
        """A book on sale with this much stock; returns its id."""
        self.catalog.keypair = self.keypair
        book = new_book(Caller(self.catalog, "SELLER", seller), price=money(units))
        inv = invpb_grpc.InventoryServiceStub(self.inventory.channel())
        inv.SetStock(invpb.SetStockRequest(book_id=book.id, on_hand=on_hand), timeout=10,
                     metadata=bearer(self.keypair, "SELLER", seller))
        return book.id

    def available(self, book_id):
        inv = invpb_grpc.InventoryServiceStub(self.inventory.channel())
        return inv.GetStock(invpb.GetStockRequest(book_id=book_id), timeout=10).stock

    def admin(self, server=None):
        return pb_grpc.CheckoutServiceStub((server or self.checkout).channel()), \
            bearer(self.keypair, "ADMIN", "admin-1")

    # ---- what the databases say ------------------------------------------

    def payment_of(self, order_id):
        rows = mariadb(f"SELECT status, units FROM payments WHERE order_id = '{order_id}'",
                       self.payment.schema).split("\n")
        return [tuple(int(x) for x in r.split("\t")) for r in rows if r]

    def order_of(self, order_id):
        row = mariadb(f"SELECT status, total_units FROM orders WHERE id = '{order_id}'",
                      self.order.schema).strip()
        return tuple(int(x) for x in row.split("\t")) if row else None

    def reservation_of(self, order_id):
        row = mariadb(f"SELECT status FROM reservations WHERE order_id = '{order_id}'",
                      self.inventory.schema).strip()
        return int(row) if row else None

    def reconcile(self, book_id, initial_stock):
        """Money and stock add up: captured payments = confirmed order totals;
        units gone from stock = units in confirmed orders; no reservation held
        for an order that is not confirmed."""
        captured = int(mariadb("SELECT COALESCE(SUM(units), 0) FROM payments WHERE status = 2",
                               self.payment.schema))
        confirmed = int(mariadb("SELECT COALESCE(SUM(total_units), 0) FROM orders WHERE status = 3",
                                self.order.schema))
        assert captured == confirmed
        sold = int(mariadb(
            "SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id "
            f"WHERE o.status = 3 AND i.book_id = '{book_id}'", self.order.schema))
        level = self.available(book_id)
        assert level.on_hand == initial_stock - sold and level.reserved == 0
        held = mariadb("SELECT order_id FROM reservations WHERE status = 1",
                       self.inventory.schema).split()
        assert held == [], f"reservations still held: {held}"
        return sold


def bearer(keypair, role, sub):
    return [("authorization", f"Bearer {token(keypair, role, sub)}")]


class Customer:
    def __init__(self, stack, user_id, access_token):
        self.stack, self.id, self.token = stack, user_id, access_token
        self.md = [("authorization", f"Bearer {access_token}")]

    def stub(self, server=None):
        return pb_grpc.CheckoutServiceStub((server or self.stack.checkout).channel())

    def place(self, book_id, quantity=1, tok="tok_ok", key=None, timeout=30, server=None,
              **extra):
        req = pb.PlaceOrderRequest(items=[pb.CheckoutItem(book_id=book_id, quantity=quantity)],
                                   payment_method_token=tok,
                                   idempotency_key=uuid.uuid4().hex if key is None else key, **extra)
        if "shipping_address_id" not in extra:
            req.shipping_address.CopyFrom(ADDRESS)
        return self.stub(server).PlaceOrder(req, timeout=timeout, metadata=self.md)

    def get(self, server=None, **by):
        return self.stub(server).GetSaga(pb.GetSagaRequest(**by), timeout=10,
                                         metadata=self.md).saga

    def order(self, order_id):
        s = opb_grpc.OrderServiceStub(self.stack.order.channel())
        return s.GetOrder(opb.GetOrderRequest(order_id=order_id), timeout=10,
                          metadata=self.md).order

    def payment(self, order_id):
        s = paypb_grpc.PaymentServiceStub(self.stack.payment.channel())
        return s.GetPayment(paypb.GetPaymentRequest(order_id=order_id), timeout=10,
                            metadata=self.md).payment


def err(fn, *args, **kwargs):
    with pytest.raises(grpc.RpcError) as e:
        fn(*args, **kwargs)
    return e.value.code(), e.value.details()


def steps(saga):
    return {s.name: s for s in saga.steps}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    st = Stack(tmp_path_factory.mktemp("keys"))
    yield st
    st.stop()


# ---- outcomes --------------------------------------------------------------

def test_a_lease_shorter_than_a_call_stops_the_coordinator_at_start(stack):
    """Two replicas with a 1 s lease and 5 s calls would both drive a saga
    whose call is out: the coordinator refuses the settings instead."""
    with pytest.raises(RuntimeError) as refused:
        stack.start_checkout(BOOKSTORE_CHECKOUT_LEASE_MS="1000", BOOKSTORE_PEER_TIMEOUT_MS="5000")
    assert "BOOKSTORE_CHECKOUT_LEASE_MS (1000) must be longer than" in str(refused.value)


def test_finished_sagas_are_let_go_after_the_retention(stack):
    """Retention runs as a chore of the service: a finished saga older than
    BOOKSTORE_CHECKOUT_RETENTION_MS is deleted (GetSaga: NOT_FOUND)."""
    co = stack.start_checkout(BOOKSTORE_CHECKOUT_RETENTION_MS="1",
                              BOOKSTORE_RETENTION_INTERVAL_MS="200")
    stack.others.append(co)
    book, buyer = stack.book(on_hand=2), stack.customer()
    saga = buyer.place(book, server=co).saga
    assert saga.status == pb.SAGA_STATUS_COMPLETED
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            buyer.get(server=co, saga_id=saga.id)
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.NOT_FOUND
            break
        time.sleep(0.1)
    else:
        pytest.fail("the finished saga was never let go")
    assert '"msg":"retention: old records let go"' in co.log_text()
    assert buyer.order(saga.order_id).status == 3  # the order itself stays CONFIRMED


def test_happy_path_confirms_a_paid_reserved_order(stack):
    book, buyer = stack.book(on_hand=5, units=12), stack.customer()
    r = buyer.place(book, quantity=2)
    assert r.saga.status == COMPLETED and r.saga.kind == pb.SAGA_KIND_CHECKOUT
    assert r.order_id and r.saga.order_id == r.order_id
    assert (r.total.units, r.total.currency_code) == (24, "EUR")
    assert [s.name for s in r.saga.steps] == CHECKOUT_STEPS
    assert all(s.status == pb.STEP_STATUS_SUCCEEDED and s.attempts == 1 for s in r.saga.steps)
    assert r.saga.customer_id == buyer.id and r.saga.created_at.seconds > 0
    order = buyer.order(r.order_id)
    assert order.status == opb.ORDER_STATUS_CONFIRMED and order.total.units == 24
    assert order.shipping_address.country_code == "DE"
    assert buyer.payment(r.order_id).status == paypb.PAYMENT_STATUS_CAPTURED
    level = stack.available(book)
    assert (level.on_hand, level.reserved, level.available) == (3, 0, 3)
    assert stack.reservation_of(r.order_id) == 3  # committed: a sale
    # the saga is there by its id and by its order's id, for its customer only
    assert buyer.get(saga_id=r.saga.id).status == COMPLETED
    assert buyer.get(order_id=r.order_id).id == r.saga.id
    assert err(stack.customer().get, saga_id=r.saga.id)[0] == grpc.StatusCode.NOT_FOUND
    stub, admin_md = stack.admin()
    assert stub.GetSaga(pb.GetSagaRequest(saga_id=r.saga.id), timeout=10,
                        metadata=admin_md).saga.order_id == r.order_id
    stack.reconcile(book, 5)


def test_declined_card_rejects_the_order_and_holds_nothing(stack):
    book, buyer = stack.book(on_hand=5), stack.customer()
    for tok, reason in (("tok_decline", "card_declined"),
                        ("tok_insufficient_funds", "insufficient_funds")):
        r = buyer.place(book, tok=tok)
        assert r.saga.status == COMPENSATED
        assert r.saga.failure_reason.startswith("make_payment: payment declined: ")
        assert reason in r.saga.failure_reason
        st = steps(r.saga)
        assert st["place_order"].status == pb.STEP_STATUS_COMPENSATED
        assert st["reserve_inventory"].status == pb.STEP_STATUS_PENDING  # never reached
        order = buyer.order(r.order_id)
        assert order.status == opb.ORDER_STATUS_REJECTED and reason in order.status_reason
        assert stack.payment_of(r.order_id) == [(5, 10)]  # DECLINED, nothing charged
        assert stack.reservation_of(r.order_id) is None
    assert stack.available(book).available == 5
    stack.reconcile(book, 5)


def test_out_of_stock_voids_the_payment_and_rejects(stack):
    book, buyer = stack.book(on_hand=1), stack.customer()
    r = buyer.place(book, quantity=2)
    assert r.saga.status == COMPENSATED
    assert r.saga.failure_reason.startswith("reserve_inventory: FAILED_PRECONDITION")
    assert book in r.saga.failure_reason  # the shortage names the book
    st = steps(r.saga)
    assert st["make_payment"].status == pb.STEP_STATUS_COMPENSATED
    assert st["reserve_inventory"].last_error.startswith("FAILED_PRECONDITION")
    assert buyer.payment(r.order_id).status == paypb.PAYMENT_STATUS_VOIDED
    assert buyer.order(r.order_id).status == opb.ORDER_STATUS_REJECTED
    assert stack.available(book).available == 1
    stack.reconcile(book, 1)


def test_flaky_participant_is_retried_and_confirmed(stack):
    book, buyer = stack.book(on_hand=3), stack.customer()
    r = buyer.place(book, tok="tok_flaky")  # payment: UNAVAILABLE twice, then authorized
    assert r.saga.status == COMPLETED
    pay = steps(r.saga)["make_payment"]
    assert pay.attempts == 3 and pay.last_error.startswith("UNAVAILABLE")
    assert stack.payment_of(r.order_id) == [(2, 10)]  # one payment, captured
    stack.reconcile(book, 3)


def test_slow_participant_times_out_and_the_retry_gets_the_result(stack):
    book, buyer = stack.book(on_hand=3), stack.customer()
    r = buyer.place(book, tok="tok_slow")  # answers after the coordinator's deadline
    assert r.saga.status == COMPLETED
    pay = steps(r.saga)["make_payment"]
    assert pay.attempts == 2 and pay.last_error.startswith("DEADLINE_EXCEEDED")
    assert stack.payment_of(r.order_id) == [(2, 10)]  # authorized once, captured once
    stack.reconcile(book, 3)


def test_placeorder_answers_running_at_its_deadline_and_the_saga_goes_on(stack):
    book, buyer = stack.book(on_hand=3), stack.customer()
    start = time.monotonic()
    r = buyer.place(book, tok="tok_slow", timeout=1.0)
    assert time.monotonic() - start < 1.0
    assert r.saga.status == pb.SAGA_STATUS_RUNNING
    # WatchSaga follows it to the end: every state change, the last one final
    seen = list(buyer.stub().WatchSaga(pb.WatchSagaRequest(saga_id=r.saga.id), timeout=20,
                                       metadata=buyer.md))
    assert seen[-1].saga.status == COMPLETED and len(seen) >= 2
    assert all(s.saga.status == pb.SAGA_STATUS_RUNNING for s in seen[:-1])
    done = [sum(st.status == pb.STEP_STATUS_SUCCEEDED for st in s.saga.steps) for s in seen]
    assert done == sorted(done) and done[-1] == 6
    # watching a finished saga sends it once and ends
    again = list(buyer.stub().WatchSaga(pb.WatchSagaRequest(saga_id=r.saga.id), timeout=10,
                                        metadata=buyer.md))
    assert len(again) == 1 and again[0].saga.status == COMPLETED
    stack.reconcile(book, 3)


def test_a_watcher_that_goes_away_is_let_go_at_once(stack):
    """WatchSaga on a running saga: the client cancels after the first state;
    the server ends the stream (and stops polling for it) within a slice, not
    at the next store poll."""
    book, buyer = stack.book(on_hand=3), stack.customer()
    r = buyer.place(book, tok="tok_slow", timeout=1.0)
    assert r.saga.status == pb.SAGA_STATUS_RUNNING
    ended = lambda: stack.checkout.log_text().count('"method":"/bookstore.checkout.v1.'
                                                    'CheckoutService/WatchSaga"')
    before = ended()
    watch = buyer.stub().WatchSaga(pb.WatchSagaRequest(saga_id=r.saga.id), timeout=20,
                                   metadata=buyer.md)
    assert next(watch).saga.status == pb.SAGA_STATUS_RUNNING
    cancelled = time.monotonic()
    watch.cancel()
    assert wait_for(lambda: ended() > before, timeout=5, interval=0.005)
    took = time.monotonic() - cancelled
    assert took < 0.3, took  # the store is polled every 500 ms; the stop is seen every 50
    assert buyer.get(saga_id=r.saga.id).status == pb.SAGA_STATUS_RUNNING  # it was still going


def test_a_watch_cut_short_by_a_stopping_coordinator_ends_unavailable(stack):
    """The saga is not over when its coordinator stops: the watch must not
    end OK as if it were, but UNAVAILABLE ("watch it again")."""
    co = stack.start_checkout()
    stack.others.append(co)
    book, buyer = stack.book(on_hand=3), stack.customer()
    r = buyer.place(book, tok="tok_slow", timeout=1.0, server=co)
    assert r.saga.status == pb.SAGA_STATUS_RUNNING
    watch = buyer.stub(co).WatchSaga(pb.WatchSagaRequest(saga_id=r.saga.id), timeout=30,
                                     metadata=buyer.md)
    assert next(watch).saga.status == pb.SAGA_STATUS_RUNNING
    stopper = threading.Thread(target=lambda: co.stop(close_channels=False))
    stopper.start()
    with pytest.raises(grpc.RpcError) as e:
        for _ in watch:
            pass
    stopper.join()
    stack.others.remove(co)
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE, e.value
    assert "watch it again" in e.value.details()


def test_placeorders_their_clients_gave_up_on_give_the_workers_back(stack):
    """Deadline-less PlaceOrder calls wait for their saga (here a payment that
    answers after 10 s); when their clients cancel, the handlers notice and
    the workers serve the next caller at once, not after the wait."""
    book, buyer = stack.book(on_hand=5), stack.customer()
    narrow = stack.start_checkout(BOOKSTORE_RPC_WORKERS="2", BOOKSTORE_RPC_QUEUES="1",
                                  BOOKSTORE_PEER_TIMEOUT_MS="10000")
    stack.others.append(narrow)
    req = lambda: pb.PlaceOrderRequest(
        items=[pb.CheckoutItem(book_id=book, quantity=1)], payment_method_token="tok_slow",
        idempotency_key=uuid.uuid4().hex, shipping_address=ADDRESS)
    waiting = [buyer.stub(narrow).PlaceOrder.future(req(), metadata=buyer.md) for _ in range(2)]
    time.sleep(1.0)  # both workers wait for their sagas now
    for f in waiting:
        f.cancel()
    started = time.monotonic()
    code, _ = err(buyer.get, server=narrow, saga_id=uuid.uuid4().hex)
    assert code == grpc.StatusCode.NOT_FOUND
    assert time.monotonic() - started < 3
    assert all(f.cancelled() for f in waiting)


def test_a_slow_authorization_loses_to_its_void_and_no_hold_stays(stack):
    """The reproduction of a compensation overtaking its action: a tok_slow
    authorization is still at the provider when the saga gives up and voids.
    The void finds the stored intent, settles it and voids the hold; the
    authorization, when it returns, is refused. Before the fix the void found
    nothing, and the late authorization left an AUTHORIZED payment behind."""
    book, buyer = stack.book(on_hand=3), stack.customer()
    hasty = stack.start_checkout(BOOKSTORE_PEER_TIMEOUT_MS="300",
                                 BOOKSTORE_CHECKOUT_STEP_DEADLINE_MS="100")
    stack.others.append(hasty)
    r = buyer.place(book, tok="tok_slow", server=hasty)
    assert r.saga.status == COMPENSATED, r.saga
    assert steps(r.saga)["make_payment"].status == pb.STEP_STATUS_COMPENSATED
    time.sleep(1.0)  # the slow authorization has returned by now
    assert stack.payment_of(r.order_id) == [(3, 10)]  # VOIDED, and nothing else
    assert stack.order_of(r.order_id)[0] == 6  # REJECTED
    assert hasty.stop() == 0
    stack.others.remove(hasty)
    stack.reconcile(book, 3)


def test_a_confirm_in_flight_at_a_crash_only_moves_forward(stack):
    """The reproduction of the last step compensated after it took effect: the
    coordinator dies after confirm's calls answered, and at resume inventory is
    unreachable far longer than a step's deadline. Past the pivot the saga
    keeps retrying -- never refunds, never restocks -- and completes once
    inventory is back."""
    book, buyer = stack.book(on_hand=5), stack.customer()
    schema = stack.new_schema("checkout")
    instance = f"pivot-{uuid.uuid4().hex[:6]}"
    doomed = stack.start_checkout(schema=schema, BOOKSTORE_CHECKOUT_INSTANCE=instance,
                                  BOOKSTORE_CHECKOUT_CRASH_AFTER_STEP="confirm")
    key = uuid.uuid4().hex
    assert err(buyer.place, book, quantity=2, key=key, server=doomed)[0] == \
        grpc.StatusCode.UNAVAILABLE
    assert doomed.wait(timeout=10) == -9
    doomed.close_channels()
    cut_off = stack.start_checkout(schema=schema, BOOKSTORE_CHECKOUT_INSTANCE=instance,
                                   BOOKSTORE_INVENTORY_TARGET="127.0.0.1:9",
                                   BOOKSTORE_CHECKOUT_STEP_DEADLINE_MS="300",
                                   BOOKSTORE_CHECKOUT_STUCK_AFTER_MS="500",
                                   BOOKSTORE_CHECKOUT_STEP_ATTEMPTS="3",
                                   BOOKSTORE_PEER_TIMEOUT_MS="300")
    stack.others.append(cut_off)  # stopped by the stack if an assertion fails
    time.sleep(3.0)  # ten step deadlines
    row = mariadb("SELECT id, status, order_id FROM sagas", schema).split()
    saga = buyer.get(server=cut_off, saga_id=row[0])
    assert saga.status == pb.SAGA_STATUS_RUNNING, saga  # not compensating
    assert saga.stuck and steps(saga)["confirm"].last_error.startswith("UNAVAILABLE")
    assert stack.payment_of(saga.order_id) == [(2, 20)]  # still CAPTURED, not refunded
    assert stack.order_of(saga.order_id)[0] == 3  # CONFIRMED
    assert stack.available(book).on_hand == 3  # sold, not restocked
    assert cut_off.stop() == 0
    stack.others.remove(cut_off)
    # surfaced once, not at every retry
    assert cut_off.stderr.count('"msg":"saga stuck"') == 1, cut_off.stderr[-2000:]
    trace = mariadb(f"SELECT trace_id FROM sagas WHERE id = '{saga.id}'", schema).strip()
    resumed = [l for l in cut_off.stderr.splitlines() if '"msg":"saga resumed"' in l]
    assert len(trace) == 32 and resumed and f'"trace_id":"{trace}"' in resumed[0], resumed
    cut_off.close_channels()
    revived = stack.start_checkout(schema=schema, BOOKSTORE_CHECKOUT_INSTANCE=instance)
    stack.others.append(revived)
    r = buyer.place(book, quantity=2, key=key, server=revived)
    assert r.saga.status == COMPLETED and not r.saga.stuck, r.saga
    assert stack.payment_of(r.order_id) == [(2, 20)]
    assert stack.reconcile(book, 5) == 2
    assert revived.stop() == 0
    stack.others.remove(revived)


def test_a_checkout_keyed_like_a_cancellation_does_not_block_it(stack):
    """Cancellations are keyed cancel:<order id> per customer; a checkout the
    customer keyed that way once made the order uncancellable (CancelOrder
    found the checkout saga and followed it)."""
    book, buyer = stack.book(on_hand=3), stack.customer()
    placed = buyer.place(book)
    assert placed.saga.status == COMPLETED
    decoy = buyer.place(book, key=f"cancel:{placed.order_id}")
    assert decoy.saga.kind == pb.SAGA_KIND_CHECKOUT and decoy.saga.status == COMPLETED
    c = buyer.stub().CancelOrder(pb.CancelOrderRequest(order_id=placed.order_id),
                                 timeout=30, metadata=buyer.md).saga
    assert c.kind == pb.SAGA_KIND_CANCELLATION and c.status == COMPLETED
    assert buyer.order(placed.order_id).status == opb.ORDER_STATUS_CANCELLED
    stack.reconcile(book, 3)


def test_participant_down_for_good_is_compensated(stack):
    """Inventory unreachable for good: reserve_inventory fails after its
    retries, and the saga undoes what was done without waiting for it."""
    book, buyer = stack.book(on_hand=3), stack.customer()
    dead = stack.start_checkout(BOOKSTORE_INVENTORY_TARGET="127.0.0.1:9",
                                BOOKSTORE_CHECKOUT_STEP_ATTEMPTS="3",
                                BOOKSTORE_PEER_TIMEOUT_MS="500")
    stack.others.append(dead)
    r = buyer.place(book, server=dead)
    assert r.saga.status == COMPENSATED
    st = steps(r.saga)
    assert st["reserve_inventory"].status == pb.STEP_STATUS_FAILED
    assert st["reserve_inventory"].attempts == 3
    assert st["reserve_inventory"].last_error.startswith("UNAVAILABLE")
    assert st["make_payment"].status == pb.STEP_STATUS_COMPENSATED
    assert buyer.payment(r.order_id).status == paypb.PAYMENT_STATUS_VOIDED
    assert buyer.order(r.order_id).status == opb.ORDER_STATUS_REJECTED
    assert dead.stop() == 0
    stack.reconcile(book, 3)


# ---- requests --------------------------------------------------------------

def test_bad_requests_get_clear_statuses(stack):
    book, buyer = stack.book(on_hand=3), stack.customer()
    bad = grpc.StatusCode.INVALID_ARGUMENT
    code, msg = err(buyer.place, book, key="")
    assert code == bad and "idempotency_key" in msg
    assert err(buyer.place, book, tok="")[0] == bad
    assert err(buyer.place, book, quantity=0)[0] == bad
    assert err(buyer.place, book, quantity=101)[0] == bad
    req = pb.PlaceOrderRequest(items=[pb.CheckoutItem(book_id=book, quantity=1)],
                               payment_method_token="tok_ok", idempotency_key="k-noaddr")
    code, msg = err(buyer.stub().PlaceOrder, req, timeout=10, metadata=buyer.md)
    assert code == bad and "shipping_address" in msg
    assert err(buyer.place, book, shipping_address_id="nope")[0] == grpc.StatusCode.NOT_FOUND
    # only customers check out; no token at all is UNAUTHENTICATED
    seller = pb_grpc.CheckoutServiceStub(stack.checkout.channel())
    assert err(seller.PlaceOrder, req, timeout=10,
               metadata=bearer(stack.keypair, "SELLER", "s"))[0] == \
        grpc.StatusCode.PERMISSION_DENIED
    assert err(seller.PlaceOrder, req, timeout=10)[0] == grpc.StatusCode.UNAUTHENTICATED
    assert err(buyer.get)[0] == bad  # neither saga_id nor order_id
    assert err(buyer.get, saga_id=str(uuid.uuid4()))[0] == grpc.StatusCode.NOT_FOUND
    # a book that does not exist: the order cannot be placed, nothing is left behind
    r = buyer.place("no-such-book")
    assert r.saga.status == COMPENSATED and r.order_id == ""
    assert r.saga.failure_reason.startswith("place_order: NOT_FOUND")
    stack.reconcile(book, 3)


def test_a_saved_address_is_resolved_through_identity(stack):
    book, buyer = stack.book(on_hand=3), stack.customer()
    ids = ipb_grpc.IdentityServiceStub(stack.identity.channel())
    saved = ids.AddAddress(ipb.AddAddressRequest(address=common_pb2.Address(
        recipient="Saved Person", line1="2 Side St", city="Paris", postal_code="75001",
        country_code="FR")), timeout=10, metadata=buyer.md).address
    r = buyer.place(book, shipping_address_id=saved.id)
    assert r.saga.status == COMPLETED
    assert buyer.order(r.order_id).shipping_address.recipient == "Saved Person"


def test_the_same_key_is_the_same_checkout(stack):
    book, buyer = stack.book(on_hand=20), stack.customer()
    key = uuid.uuid4().hex
    first = buyer.place(book, key=key)
    again = buyer.place(book, key=key)
    assert (again.saga.id, again.order_id) == (first.saga.id, first.order_id)
    code, msg = err(buyer.place, book, quantity=2, key=key)
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "idempotency_key" in msg
    # another customer's identical key is their own checkout
    assert stack.customer().place(book, key=key).order_id != first.order_id
    # concurrently: ten identical calls make one saga, one order, one payment
    key = uuid.uuid4().hex
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: buyer.place(book, key=key), range(10)))
    assert len({r.saga.id for r in results}) == 1 and len({r.order_id for r in results}) == 1
    assert all(r.saga.status == COMPLETED for r in results)
    order_id = results[0].order_id
    assert stack.payment_of(order_id) == [(2, 10)]
    count = mariadb(f"SELECT COUNT(*) FROM orders WHERE customer_id = '{buyer.id}'",
                    stack.order.schema)
    assert int(count) == 2  # the first key's order and this one
    assert stack.reconcile(book, 20) == 3  # and the other customer's


def test_two_hundred_concurrent_checkouts_for_one_hundred_books(stack):
    book = stack.book(on_hand=100)
    buyers = [stack.customer() for _ in range(4)]
    with ThreadPoolExecutor(64) as pool:
        results = list(pool.map(lambda i: buyers[i % 4].place(book, timeout=120), range(200)))
    statuses = [r.saga.status for r in results]
    assert statuses.count(COMPLETED) == 100 and statuses.count(COMPENSATED) == 100
    for r in results:
        want = (2, 10) if r.saga.status == COMPLETED else (3, 10)  # CAPTURED / VOIDED
        assert stack.payment_of(r.order_id) == [want], r.saga
        assert stack.order_of(r.order_id)[0] == (3 if r.saga.status == COMPLETED else 6)
    assert stack.available(book).available == 0
    assert stack.reconcile(book, 100) == 100


# ---- cancellation and administration ---------------------------------------

def test_cancelling_a_confirmed_order_refunds_and_restocks(stack):
    book, buyer = stack.book(on_hand=4, units=7), stack.customer()
    placed = buyer.place(book, quantity=3)
    assert placed.saga.status == COMPLETED and stack.available(book).available == 1
    other = stack.customer()
    code, _ = err(other.stub().CancelOrder, pb.CancelOrderRequest(order_id=placed.order_id),
                  timeout=10, metadata=other.md)
    assert code == grpc.StatusCode.NOT_FOUND  # not theirs: it does not exist for them
    c = buyer.stub().CancelOrder(pb.CancelOrderRequest(order_id=placed.order_id,
                                                       reason="changed my mind"),
                                 timeout=30, metadata=buyer.md).saga
    assert c.kind == pb.SAGA_KIND_CANCELLATION and c.status == COMPLETED
    assert [s.name for s in c.steps] == ["request_cancel", "refund_payment",
                                         "restock_inventory", "cancel_order"]
    order = buyer.order(placed.order_id)
    assert order.status == opb.ORDER_STATUS_CANCELLED and order.status_reason == "changed my mind"
    assert buyer.payment(placed.order_id).status == paypb.PAYMENT_STATUS_REFUNDED
    assert stack.available(book).available == 4
    # asking again follows the same cancellation; GetSaga by order shows the newest
    again = buyer.stub().CancelOrder(pb.CancelOrderRequest(order_id=placed.order_id),
                                     timeout=30, metadata=buyer.md).saga
    assert again.id == c.id
    assert buyer.get(order_id=placed.order_id).id == c.id
    # a rejected order cannot be cancelled
    rejected = buyer.place(book, tok="tok_decline")
    code, msg = err(buyer.stub().CancelOrder, pb.CancelOrderRequest(order_id=rejected.order_id),
                    timeout=10, metadata=buyer.md)
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "CONFIRMED" in msg
    stack.reconcile(book, 4)


def test_a_seller_refuses_an_order_before_it_ships(stack):
    """RefuseOrder runs the cancellation saga for the seller of a book in a
    confirmed order; the customer sees the reason; money and stock add up."""
    book, buyer = stack.book(on_hand=5, units=9, seller="refusing-seller"), stack.customer()
    placed = buyer.place(book, quantity=2)
    assert placed.saga.status == COMPLETED and stack.available(book).available == 3
    seller = bearer(stack.keypair, "SELLER", "refusing-seller")
    # bad input, another seller, the customer: each a clear status, nothing changes
    for reason, who, want in [("", seller, grpc.StatusCode.INVALID_ARGUMENT),
                              ("two\nlines", seller, grpc.StatusCode.INVALID_ARGUMENT),
                              ("x" * 161, seller, grpc.StatusCode.INVALID_ARGUMENT),
                              ("out of print", bearer(stack.keypair, "SELLER", "other-seller"),
                               grpc.StatusCode.NOT_FOUND),
                              ("out of print", buyer.md, grpc.StatusCode.PERMISSION_DENIED)]:
        code, msg = err(buyer.stub().RefuseOrder, pb.RefuseOrderRequest(
            order_id=placed.order_id, reason=reason), timeout=10, metadata=who)
        assert code == want, (reason, msg)
    assert buyer.order(placed.order_id).status == opb.ORDER_STATUS_CONFIRMED
    # the seller's shop: the orders with their books, by status
    orders = opb_grpc.OrderServiceStub(stack.order.channel())
    shop = lambda status: [o.id for o in orders.ListOrders(opb.ListOrdersRequest(
        status=status), timeout=10, metadata=seller).orders]
    assert shop(opb.ORDER_STATUS_CONFIRMED) == [placed.order_id]
    assert shop(opb.ORDER_STATUS_CANCELLED) == []
    c = buyer.stub().RefuseOrder(pb.RefuseOrderRequest(order_id=placed.order_id,
                                                       reason="the last copy was damaged"),
                                 timeout=30, metadata=seller).saga
    assert c.kind == pb.SAGA_KIND_CANCELLATION and c.status == COMPLETED
    assert [s.name for s in c.steps] == ["request_cancel", "refund_payment",
                                         "restock_inventory", "cancel_order"]
    order = buyer.order(placed.order_id)
    assert order.status == opb.ORDER_STATUS_CANCELLED
    assert order.status_reason == "refused by the seller: the last copy was damaged"
    assert buyer.payment(placed.order_id).status == paypb.PAYMENT_STATUS_REFUNDED
    assert stack.available(book).available == 5
    assert buyer.get(order_id=placed.order_id).id == c.id  # the customer follows it
    # one cancellation per order: asked again, by the seller or the customer, the same saga
    again = buyer.stub().RefuseOrder(pb.RefuseOrderRequest(order_id=placed.order_id,
                                                           reason="asked twice"),
                                     timeout=30, metadata=seller).saga
    assert again.id == c.id
    assert buyer.stub().CancelOrder(pb.CancelOrderRequest(order_id=placed.order_id),
                                    timeout=30, metadata=buyer.md).saga.id == c.id
    assert shop(opb.ORDER_STATUS_CONFIRMED) == [] and \
        shop(opb.ORDER_STATUS_CANCELLED) == [placed.order_id]
    # only a confirmed order can be refused (shipping one here would unbalance
    # the module's reconciliation, which counts confirmed orders)
    rejected = buyer.place(book, tok="tok_decline")
    code, msg = err(buyer.stub().RefuseOrder, pb.RefuseOrderRequest(
        order_id=rejected.order_id, reason="too late"), timeout=10, metadata=seller)
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "CONFIRMED" in msg
    stack.reconcile(book, 5)


def test_admins_list_sagas_by_status_page_by_page(stack):
    book, buyer = stack.book(on_hand=10), stack.customer()
    buyer.place(book, tok="tok_decline")
    stub, md = stack.admin()
    assert err(buyer.stub().ListSagas, pb.ListSagasRequest(), timeout=10,
               metadata=buyer.md)[0] == grpc.StatusCode.PERMISSION_DENIED
    compensated = stub.ListSagas(pb.ListSagasRequest(status=COMPENSATED), timeout=10,
                                 metadata=md).sagas
    assert compensated and all(s.status == COMPENSATED for s in compensated)
    seen, page = [], ""
    while True:
        r = stub.ListSagas(pb.ListSagasRequest(page=common_pb2.PageRequest(
            page_size=3, page_token=page)), timeout=10, metadata=md)
        seen += [s.id for s in r.sagas]
        page = r.page.next_page_token
        if not page:
            break
    total = int(mariadb("SELECT COUNT(*) FROM sagas", stack.checkout.schema))
    assert len(seen) == len(set(seen)) == total
    assert err(stub.ListSagas, pb.ListSagasRequest(page=common_pb2.PageRequest(
        page_token="bogus")), timeout=10, metadata=md)[0] == grpc.StatusCode.INVALID_ARGUMENT


# ---- durability ------------------------------------------------------------

DRILLS = [(step, "tok_ok", 1, COMPLETED) for step in CHECKOUT_STEPS] + [
    ("void_payment", "tok_decline", 1, COMPENSATED),
    ("reject_order", "tok_decline", 1, COMPENSATED),
    ("release_stock", "tok_ok", 99, COMPENSATED),
]


@pytest.mark.parametrize("step,tok,quantity,outcome", DRILLS)
def test_crash_drill(stack, step, tok, quantity, outcome):
    """The coordinator is killed (SIGKILL) right after a participant answered
    `step` and before the answer was recorded; restarted, it resumes the saga,
    which ends as it should with nothing charged or reserved twice."""
    book, buyer = stack.book(on_hand=5), stack.customer()
    schema = stack.new_schema("checkout")
    instance = f"drill-{uuid.uuid4().hex[:6]}"
    doomed = stack.start_checkout(schema=schema, BOOKSTORE_CHECKOUT_INSTANCE=instance,
                                  BOOKSTORE_CHECKOUT_CRASH_AFTER_STEP=step)
    key = uuid.uuid4().hex
    code, _ = err(buyer.place, book, quantity=quantity, tok=tok, key=key, server=doomed)
    assert code == grpc.StatusCode.UNAVAILABLE
    assert doomed.wait(timeout=10) == -9
    assert f'"after_step":"{step}"' in doomed.stderr
    doomed.close_channels()
    revived = stack.start_checkout(schema=schema, BOOKSTORE_CHECKOUT_INSTANCE=instance)
    stack.others.append(revived)
    # the same key finds the same saga, resumed at start-up
    r = buyer.place(book, quantity=quantity, tok=tok, key=key, server=revived)
    assert r.saga.status == outcome, r.saga
    assert int(mariadb("SELECT COUNT(*) FROM sagas", schema)) == 1
    payments = stack.payment_of(r.order_id)
    assert len(payments) == 1
    assert payments[0][0] == {COMPLETED: 2, COMPENSATED: 3 if tok == "tok_ok" else 5}[outcome]
    assert stack.order_of(r.order_id)[0] == (3 if outcome == COMPLETED else 6)
    assert stack.reservation_of(r.order_id) in ((3,) if outcome == COMPLETED else (None, 2))
    assert stack.reconcile(book, 5) == (quantity if outcome == COMPLETED else 0)
    assert revived.stop() == 0
    stack.others.remove(revived)


# ---- observability -----------------------------------------------------------

def test_a_client_trace_id_is_in_the_logs_of_every_service_the_order_touched(stack):
    book, buyer = stack.book(on_hand=3), stack.customer()
    ids = ipb_grpc.IdentityServiceStub(stack.identity.channel())
    saved = ids.AddAddress(ipb.AddAddressRequest(address=ADDRESS), timeout=10,
                           metadata=buyer.md).address
    trace = uuid.uuid4().hex
    req = pb.PlaceOrderRequest(items=[pb.CheckoutItem(book_id=book, quantity=1)],
                               payment_method_token="tok_ok", idempotency_key=uuid.uuid4().hex,
                               shipping_address_id=saved.id)
    r = buyer.stub().PlaceOrder(req, timeout=30, metadata=buyer.md + [
        ("traceparent", f"00-{trace}-00f067aa0ba902b7-01")])
    assert r.saga.status == COMPLETED
    touched = {"checkout": stack.checkout, "identity": stack.identity, "order": stack.order,
               "catalog": stack.catalog, "payment": stack.payment, "inventory": stack.inventory}
    for name, server in touched.items():
        assert wait_for(lambda: f'"trace_id":"{trace}"' in server.log_text(), timeout=5), name
    # the coordinator's own lines about the saga carry it too
    ended = [l for l in stack.checkout.log_text().splitlines()
             if '"msg":"saga ended"' in l and r.saga.id in l]
    assert ended and f'"trace_id":"{trace}"' in ended[0]
    # and so does the event of its end, written on a runner thread
    assert wait_for(lambda: outbox_unsent(stack.checkout) == 0, timeout=30)
    ends = topic_events(stack, "bookstore.saga")[r.saga.id]
    assert [e.type for e in ends] == ["saga.completed"] and ends[0].trace_id == trace


def test_saga_metrics_match_the_store(stack):
    """Run last: every saga of the module's coordinator has ended; its metrics
    count them exactly as its database does."""
    m = stack.checkout.metrics()
    for kind, kind_name in ((1, "checkout"), (2, "cancellation")):
        for status, outcome in ((3, "completed"), (4, "compensated"), (5, "failed")):
            stored = int(mariadb(f"SELECT COUNT(*) FROM sagas WHERE kind = {kind} AND "
                                 f"status = {status}", stack.checkout.schema))
            counted = m.get(("bookstore_sagas_total", frozenset(
                {"kind": kind_name, "outcome": outcome}.items())), 0)
            assert counted == stored, (kind_name, outcome)
    # every checkout saga started with place_order: one call each, at least
    sagas = int(mariadb("SELECT COUNT(*) FROM sagas WHERE kind = 1", stack.checkout.schema))
    place = sum(v for (n, l), v in m.items() if n == "bookstore_saga_step_seconds_count"
                and dict(l)["step"] == "place_order")
    assert place >= sagas > 0
    declined = m[("bookstore_saga_step_seconds_count",
                  frozenset({"step": "make_payment", "outcome": "refused"}.items()))]
    assert declined >= 3  # the decline tests
    assert m[("grpc_server_handled_total", frozenset(
        {"grpc_service": "bookstore.checkout.v1.CheckoutService", "grpc_method": "PlaceOrder",
         "grpc_code": "OK"}.items()))] > 200


def test_every_payment_change_of_the_module_was_published_once(stack):
    """Payment published through its outbox during all of the above (200
    concurrent checkouts included): one event per state change, each sent."""
    assert wait_for(lambda: outbox_unsent(stack.payment) == 0, timeout=30)
    # events a payment's history implies: authorized or declined, then each later change
    per_status = {1: 1, 2: 2, 3: 2, 4: 3, 5: 1}
    rows = mariadb("SELECT status, COUNT(*) FROM payments GROUP BY status",
                   stack.payment.schema).split("\n")
    expected = sum(per_status[int(s)] * int(n) for s, n in (r.split("\t") for r in rows if r))
    outbox = mariadb("SELECT COUNT(*), COUNT(DISTINCT event_id), SUM(sent_ms IS NOT NULL) "
                     "FROM outbox", stack.payment.schema).split()
    assert [int(x) for x in outbox] == [expected] * 3
    assert wait_for(lambda: stack.payment.metrics()[
        ("bookstore_outbox_published_total", frozenset())] == expected, timeout=5)


def test_every_order_change_of_the_module_reached_kafka(stack):
    """Order published through its outbox during all of the above: on the
    topic, keyed by order id, exactly the events each order's history implies."""
    assert wait_for(lambda: outbox_unsent(stack.order) == 0, timeout=30)
    implied = {1: ["order.created"], 2: ["order.created"],
               3: ["order.created", "order.confirmed"],
               4: ["order.created", "order.confirmed", "order.shipped"],
               6: ["order.created", "order.rejected"],
               7: ["order.created", "order.confirmed"],
               8: ["order.created", "order.confirmed", "order.cancelled"]}
    want = {}
    for row in mariadb("SELECT id, status FROM orders", stack.order.schema).split("\n"):
        if row:
            order_id, status = row.split("\t")
            want[order_id] = implied[int(status)]
    got = topic_events(stack, "bookstore.order")
    assert {k: [e.type for e in v] for k, v in got.items()} == want
    confirmed = next(v[1] for v in got.values() if len(v) > 1 and v[1].type == "order.confirmed")
    total = confirmed.order_confirmed.total
    lines = confirmed.order_confirmed.lines
    assert lines and total.units == sum(l.quantity * l.unit_price.units for l in lines)
    assert len(confirmed.trace_id) == 32  # the saga's trace

def outbox_unsent(server):
    """Outbox rows the relay has not had acknowledged yet (the database is the
    truth; the backlog metric is as of the relay's last round)."""
    return int(mariadb("SELECT COUNT(*) FROM outbox WHERE sent_ms IS NULL", server.schema))


def topic_events(stack, topic):
    """Every event on a topic of the module's broker, by aggregate id, in order;
    checks each is keyed by its aggregate and none comes twice."""
    from confluent_kafka import Consumer, TopicPartition
    from bookstore.events.v1 import events_pb2
    c = Consumer({"bootstrap.servers": stack.kafka_brokers, "group.id": uuid.uuid4().hex,
                  "enable.auto.commit": False})
    parts = c.list_topics(topic, timeout=10).topics[topic].partitions
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    got, ids, quiet = {}, set(), time.monotonic() + 5
    while time.monotonic() < quiet:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        env = events_pb2.EventEnvelope()
        env.ParseFromString(m.value())
        assert m.key().decode() == env.aggregate_id and env.event_id not in ids
        ids.add(env.event_id)
        got.setdefault(env.aggregate_id, []).append(env)
        quiet = time.monotonic() + 1.5
    c.close()
    return got


def test_every_ended_saga_of_the_module_reached_kafka(stack):
    assert wait_for(lambda: outbox_unsent(stack.checkout) == 0, timeout=30)
    got = topic_events(stack, "bookstore.saga")
    names = {3: "saga.completed", 4: "saga.compensated"}
    rows = mariadb("SELECT id, status, kind FROM sagas WHERE status IN (3, 4)",
                   stack.checkout.schema).split("\n")
    for row in filter(None, rows):
        saga_id, status, kind = row.split("\t")
        assert [e.type for e in got[saga_id]] == [names[int(status)]]  # once, when it ended
        e = got[saga_id][0]
        if e.type == "saga.completed":
            assert e.saga_completed.kind == ("checkout" if kind == "1" else "cancellation")
        else:
            assert e.saga_compensated.reason

