"""Event consumers end to end, on a Kafka-protocol broker (tools/kafka-mock):
inventory publishes stock events through its outbox; the catalog consumes
them (SOLD_OUT / ON_SALE) and order events (the best-sellers read model behind
ListBestSellers). Order events are produced here with Confluent's Python
client, as any other producer would, so duplicates, malformed messages and a
consumer killed mid-stream can be staged exactly."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import urllib.request
import uuid

import grpc
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from bookstore.catalog.v1 import catalog_pb2 as cpb
from bookstore.checkout.v1 import checkout_pb2 as pb_checkout
from bookstore.common.v1 import common_pb2
from bookstore.events.v1 import events_pb2
from bookstore.inventory.v1 import inventory_pb2 as ipb
from bookstore.inventory.v1 import inventory_pb2_grpc as ipb_grpc

from conftest import Server, start_kafka_mock, stop_kafka_mock, wait_for, write_keypair
from test_catalog import Caller, money, new_book, start_catalog, token
from test_events import topic_events
from test_identity import mariadb

ON_SALE, SOLD_OUT = cpb.BOOK_STATUS_ON_SALE, cpb.BOOK_STATUS_SOLD_OUT


@pytest.fixture(scope="module")
def broker():
    proc = start_kafka_mock(1)
    yield proc
    stop_kafka_mock(proc)


class Stack:
    """A catalog that consumes and an inventory that publishes, each on its own schema."""

    def __init__(self, broker, tmp):
        self.broker, self.keypair = broker, write_keypair(tmp)
        self.group = f"catalog-{uuid.uuid4().hex[:8]}"
        self.catalog_schema = f"bookstore_kc{uuid.uuid4().hex[:8]}"
        self.inventory_schema = f"bookstore_ki{uuid.uuid4().hex[:8]}"
        mariadb(f"CREATE DATABASE {self.catalog_schema}")
        mariadb(f"CREATE DATABASE {self.inventory_schema}")
        self.catalog = self.start_catalog()
        self.inventory = Server(os.environ["BOOKSTORE_INVENTORY"],
                                port_env="BOOKSTORE_INVENTORY_ADDR", env={
            "BOOKSTORE_INVENTORY_DB_PORT": os.environ["BOOKSTORE_MYSQL_PORT"],
            "BOOKSTORE_INVENTORY_DB_PASSWORD": os.environ["BOOKSTORE_MYSQL_PASSWORD"],
            "BOOKSTORE_INVENTORY_DB_NAME": self.inventory_schema,
            "BOOKSTORE_JWT_VERIFY_KEYS": self.keypair[1],
            "BOOKSTORE_CATALOG_TARGET": self.catalog.target,
            "KAFKA_BROKERS": broker.bootstrap,
            "BOOKSTORE_OUTBOX_POLL_MS": "20",
            "BOOKSTORE_OUTBOX_MESSAGE_TIMEOUT_MS": "1000"})
        self.seller = "seller-k"

    def start_catalog(self, port=0):
        catalog = start_catalog(self.keypair, self.catalog_schema, KAFKA_BROKERS=self.broker.bootstrap,
                                BOOKSTORE_CONSUMER_GROUP=self.group,
                                BOOKSTORE_CONSUMER_SESSION_TIMEOUT_MS="3000",
                                BOOKSTORE_CONSUMER_STATS_MS="200",
                                BOOKSTORE_CONSUMER_RETRY_MS="50",
                                BOOKSTORE_CONSUMER_COMMIT_MS="100",
                                BOOKSTORE_OUTBOX_POLL_MS="20",
                                BOOKSTORE_CATALOG_ADDR=f"127.0.0.1:{port}")
        catalog.keypair = self.keypair
        return catalog

    def sell(self):
        return Caller(self.catalog, "SELLER", self.seller)

    def stock(self, role="SELLER", sub=None):
        stub = ipb_grpc.InventoryServiceStub(self.inventory.channel())
        md = [("authorization", f"Bearer {token(self.keypair, role, sub or self.seller)}")]
        return lambda name, req: getattr(stub, name)(req, timeout=10, metadata=md)

    def status(self, book_id):
        return int(mariadb(f"SELECT status FROM books WHERE id = '{book_id}'",
                           self.catalog_schema))

    def consumer_metric(self, result):
        return self.catalog.metrics().get(("bookstore_consumer_events_total", frozenset(
            {"group": self.group, "result": result}.items())), 0)

    def close(self):
        assert self.inventory.stop() == 0, self.inventory.stderr[-2000:]
        assert self.catalog.stop() == 0, self.catalog.stderr[-2000:]
        mariadb(f"DROP DATABASE {self.catalog_schema}")
        mariadb(f"DROP DATABASE {self.inventory_schema}")


@pytest.fixture(scope="module")
def stack(broker, tmp_path_factory):
    s = Stack(broker, tmp_path_factory.mktemp("keys"))
    yield s
    s.close()


def order_event(kind, order_id, lines, event_id=None):
    env = events_pb2.EventEnvelope(event_id=event_id or str(uuid.uuid4()), type=f"order.{kind}",
                                   aggregate_type="order", aggregate_id=order_id,
                                   trace_id=uuid.uuid4().hex)
    env.occurred_at.GetCurrentTime()
    pb_lines = [events_pb2.OrderLine(book_id=b, quantity=q, unit_price=p) for b, q, p in lines]
    if kind == "confirmed":
        env.order_confirmed.CopyFrom(events_pb2.OrderConfirmed(order_id=order_id, lines=pb_lines))
    else:
        env.order_cancelled.CopyFrom(events_pb2.OrderCancelled(order_id=order_id, lines=pb_lines))
    return env


def produce(broker, messages, topic="bookstore.order"):
    """messages: (key, bytes) pairs, delivered before this returns."""
    p = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
    for key, value in messages:
        p.produce(topic, key=key, value=value)
    assert p.flush(20) == 0


def best_sellers(stack, **req):
    return list(Caller(stack.catalog).ListBestSellers(cpb.ListBestSellersRequest(**req))
                .best_sellers)


def units_sold(stack, book_id):
    got = mariadb(f"SELECT units_sold FROM book_sales WHERE book_id = '{book_id}'",
                  stack.catalog_schema).strip()
    return int(got) if got else 0


def test_each_stock_change_emits_its_events(stack):
    book = new_book(stack.sell(), on_sale=False)
    inv, svc = stack.stock(), stack.stock("SERVICE", "service:checkout")
    order = f"o-{uuid.uuid4().hex[:8]}"
    inv("SetStock", ipb.SetStockRequest(book_id=book.id, on_hand=3))
    svc("ReserveStock", ipb.ReserveStockRequest(order_id=order, items=[
        ipb.StockItem(book_id=book.id, quantity=3)]))
    svc("CommitReservation", ipb.CommitReservationRequest(order_id=order))
    inv("AdjustStock", ipb.AdjustStockRequest(book_id=book.id, delta=2))
    inv("SetStock", ipb.SetStockRequest(book_id=book.id, on_hand=2))  # no change: no event
    assert wait_for(lambda: int(mariadb("SELECT COUNT(*) FROM outbox WHERE sent_ms IS NULL",
                                        stack.inventory_schema)) == 0, timeout=20)
    mine = [env for key, env in topic_events(stack.broker.bootstrap, "bookstore.stock", 7)
            if key == book.id]
    assert [e.type for e in mine] == [
        "stock.changed", "stock.replenished",  # 0 -> 3 available
        "stock.changed", "stock.depleted",     # all 3 reserved
        "stock.changed",                       # committed: on hand 0, reserved 0
        "stock.changed", "stock.replenished"]  # +2
    levels = [(e.stock_changed.on_hand, e.stock_changed.reserved, e.stock_changed.available)
              for e in mine if e.type == "stock.changed"]
    assert levels == [(3, 0, 3), (3, 3, 0), (0, 0, 0), (2, 0, 2)]
    assert mine[1].stock_replenished.available == 3 and mine[6].stock_replenished.available == 2
    assert mine[3].stock_depleted.book_id == book.id
    assert all(e.aggregate_type == "stock" and e.aggregate_id == book.id for e in mine)
    assert len({e.event_id for e in mine}) == 7


def test_stock_events_drive_the_book_status(stack):
    seller = stack.sell()
    book = new_book(seller)
    registered = new_book(seller, on_sale=False)
    inv, svc = stack.stock(), stack.stock("SERVICE", "service:checkout")
    inv("SetStock", ipb.SetStockRequest(book_id=book.id, on_hand=2))
    inv("SetStock", ipb.SetStockRequest(book_id=registered.id, on_hand=2))
    assert seller.GetBook(cpb.GetBookRequest(book_id=book.id)).book.status == ON_SALE  # cached
    order = f"o-{uuid.uuid4().hex[:8]}"
    svc("ReserveStock", ipb.ReserveStockRequest(order_id=order, items=[
        ipb.StockItem(book_id=book.id, quantity=2), ipb.StockItem(book_id=registered.id, quantity=2)]))
    assert wait_for(lambda: stack.status(book.id) == SOLD_OUT, timeout=20)
    # the cached copy was dropped: readers see it at once, not after the cache TTL
    assert seller.GetBook(cpb.GetBookRequest(book_id=book.id)).book.status == SOLD_OUT
    svc("ReleaseStock", ipb.ReleaseStockRequest(order_id=order))
    assert wait_for(lambda: stack.status(book.id) == ON_SALE, timeout=20)
    assert seller.GetBook(cpb.GetBookRequest(book_id=book.id)).book.status == ON_SALE
    # a book its seller has not put on sale stays as it is, stock or not
    assert stack.status(registered.id) == cpb.BOOK_STATUS_REGISTERED
    # the automatic changes are book.status_changed events like a seller's
    assert wait_for(lambda: int(mariadb("SELECT COUNT(*) FROM outbox WHERE sent_ms IS NULL",
                                        stack.catalog_schema)) == 0, timeout=20)
    changes = [(e.book_status_changed.old_status, e.book_status_changed.new_status)
               for key, e in topic_events(stack.broker.bootstrap, "bookstore.book", 3)
               if key == book.id and e.type == "book.status_changed"]
    assert changes == [("BOOK_STATUS_REGISTERED", "BOOK_STATUS_ON_SALE"),
                       ("BOOK_STATUS_ON_SALE", "BOOK_STATUS_SOLD_OUT"),
                       ("BOOK_STATUS_SOLD_OUT", "BOOK_STATUS_ON_SALE")]


def test_broker_down_then_back_every_stock_event_applied_once(stack):
    seller = stack.sell()
    books = [new_book(seller) for _ in range(3)]
    inv, svc = stack.stock(), stack.stock("SERVICE", "service:checkout")
    for b in books:
        inv("SetStock", ipb.SetStockRequest(book_id=b.id, on_hand=1))
    assert wait_for(lambda: int(mariadb("SELECT COUNT(*) FROM outbox WHERE sent_ms IS NULL",
                                        stack.inventory_schema)) == 0, timeout=20)
    stack.broker.send_signal(signal.SIGUSR1)
    assert stack.broker.stdout.readline().strip() == "kafka-mock: brokers down"
    try:
        orders = []
        for b in books:  # inventory keeps working; its events wait in the outbox
            orders.append(f"o-{uuid.uuid4().hex[:8]}")
            svc("ReserveStock", ipb.ReserveStockRequest(order_id=orders[-1], items=[
                ipb.StockItem(book_id=b.id, quantity=1)]))
        svc("ReleaseStock", ipb.ReleaseStockRequest(order_id=orders[0]))
        assert wait_for(lambda: int(mariadb("SELECT COUNT(*) FROM outbox WHERE sent_ms IS NULL",
                                            stack.inventory_schema)) == 8, timeout=10)
        assert all(stack.status(b.id) == ON_SALE for b in books)  # nothing got through
    finally:
        stack.broker.send_signal(signal.SIGUSR2)
        assert stack.broker.stdout.readline().strip() == "kafka-mock: brokers up"
    assert wait_for(lambda: [stack.status(b.id) for b in books] == [ON_SALE, SOLD_OUT, SOLD_OUT],
                    timeout=30)
    # every depleted/replenished event the inventory wrote was processed, once
    ids = {b.id for b in books}
    rows = mariadb("SELECT HEX(value) FROM outbox", stack.inventory_schema).split()
    expected = set()
    for hexed in rows:
        env = events_pb2.EventEnvelope.FromString(bytes.fromhex(hexed))
        if env.aggregate_id in ids and env.type in ("stock.depleted", "stock.replenished"):
            expected.add(env.event_id)
    assert len(expected) == 3 + 3 + 1  # stocked: replenished x3, reserved: depleted x3, released
    assert wait_for(lambda: expected <= set(mariadb(
        f"SELECT event_id FROM processed_events WHERE consumer = '{stack.group}'",
        stack.catalog_schema).split()), timeout=20)
    assert wait_for(lambda: stack.catalog.metrics()[("bookstore_consumer_lag", frozenset(
        {"group": stack.group}.items()))] == 0, timeout=20)


def test_best_sellers_from_order_events(stack):
    seller, admin = stack.sell(), Caller(stack.catalog, "ADMIN", "admin-k")
    category = admin.CreateCategory(cpb.CreateCategoryRequest(
        name=f"Sales {uuid.uuid4().hex[:6]}")).category
    a = new_book(seller, category_id=category.id, price=money(12, 500000000))
    b = new_book(seller, category_id=category.id)
    hidden = new_book(seller, category_id=category.id)
    eur = common_pb2.Money(currency_code="EUR", units=12, nanos=500000000)
    ten = common_pb2.Money(currency_code="EUR", units=10)
    o1, o2, o3, o4 = (f"o-{uuid.uuid4().hex[:8]}" for _ in range(4))
    dup = order_event("confirmed", o1, [(a.id, 3, eur), (b.id, 1, ten)])
    events = [dup, dup,  # delivered twice (a producer retry): counted once
              order_event("confirmed", o2, [(a.id, 2, eur), (hidden.id, 9, ten)]),
              order_event("confirmed", o3, [(b.id, 2, ten)]),
              order_event("cancelled", o3, [(b.id, 2, ten)]),  # takes o3 back
              order_event("cancelled", o4, [(a.id, 5, eur)]),  # never confirmed: nothing
              order_event("confirmed", o4, [(a.id, 5, eur)])]  # ...and stays uncounted
    produce(stack.broker, [(e.aggregate_id, e.SerializeToString()) for e in events])
    admin.SetBookStatus(cpb.SetBookStatusRequest(book_id=hidden.id,
                                                 status=cpb.BOOK_STATUS_UNLISTED))
    assert wait_for(lambda: units_sold(stack, b.id) == 1 and units_sold(stack, a.id) == 5 and
                    units_sold(stack, hidden.id) == 9, timeout=20)
    top = best_sellers(stack, category_id=category.id)
    assert [(x.book_id, x.title, x.units_sold) for x in top] == [(a.id, a.title, 5),
                                                                  (b.id, b.title, 1)]
    assert (top[0].revenue.currency_code, top[0].revenue.units, top[0].revenue.nanos) == (
        "EUR", 62, 500000000)  # 5 x 12.50
    assert (top[1].revenue.units, top[1].revenue.nanos) == (10, 0)
    assert [x.book_id for x in best_sellers(stack, category_id=category.id, limit=1)] == [a.id]
    assert best_sellers(stack, category_id=str(uuid.uuid4())) == []
    assert a.id in [x.book_id for x in best_sellers(stack, limit=100)]
    with pytest.raises(grpc.RpcError) as e:
        best_sellers(stack, limit=101)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "limit" in e.value.details()
    # (counted just after the commit the units above come from)
    assert wait_for(lambda: stack.consumer_metric("duplicate") >= 1, timeout=10)


def review_event(book_id, version, stars, kind="created", count=None):
    env = events_pb2.EventEnvelope(event_id=str(uuid.uuid4()), type=f"review.{kind}",
                                   aggregate_type="book", aggregate_id=book_id)
    env.occurred_at.GetCurrentTime()
    summary = common_pb2.RatingSummary(count=sum(stars) if count is None else count,
                                       histogram=stars)
    env.review_changed.CopyFrom(events_pb2.ReviewChanged(
        review_id=str(uuid.uuid4()), book_id=book_id, customer_id="c", rating=3,
        summary=summary, summary_version=version))
    return env


def test_the_rating_summary_follows_the_newest_review_event(stack):
    """GetBook's rating is the summary of the highest version the catalog saw:
    duplicates and events overtaken by newer ones change nothing, and a
    malformed summary is parked. (The review service's own events: test_reviews.)"""
    book = new_book(stack.sell())
    Caller(stack.catalog).GetBook(cpb.GetBookRequest(book_id=book.id))  # now cached
    v2 = review_event(book.id, 2, [0, 0, 1, 0, 1])
    parked_before = stack.consumer_metric("parked")
    events = [review_event(book.id, 1, [0, 0, 0, 0, 1]), v2, v2,
              review_event(book.id, 1, [0, 0, 0, 0, 1], kind="updated"),  # late: ignored
              review_event(book.id, 3, [1, 0, 0, 0, 5], count=1)]  # 1 != 6: parked
    produce(stack.broker, [(e.aggregate_id, e.SerializeToString()) for e in events],
            topic="bookstore.review")

    def rating():
        return Caller(stack.catalog).GetBook(cpb.GetBookRequest(book_id=book.id)).book.rating

    assert wait_for(lambda: stack.consumer_metric("parked") == parked_before + 1,
                    timeout=20)
    r = rating()  # the cached book was dropped when the summary changed
    assert (r.count, list(r.histogram), r.average) == (2, [0, 0, 1, 0, 1], 4.0)
    assert int(mariadb(f"SELECT rating_version FROM books WHERE id = '{book.id}'",
                       stack.catalog_schema)) == 2
    assert "five non-negative counts" in mariadb("SELECT reason FROM parked_events",
                                                 stack.catalog_schema)
    listed = Caller(stack.catalog).ListBooks(cpb.ListBooksRequest(query=book.title)).books
    assert [b.rating.count for b in listed if b.id == book.id] == [2]


def test_a_malformed_message_is_parked_and_the_consumer_goes_on(stack):
    seller = stack.sell()
    book = new_book(seller)
    ten = common_pb2.Money(currency_code="EUR", units=10)
    parked_before = stack.consumer_metric("parked")
    wrong_payload = order_event("confirmed", "o-x", [(book.id, 1, ten)])
    wrong_payload.type = "order.cancelled"  # the type says one thing, the payload another
    bad_line = order_event("confirmed", f"o-{uuid.uuid4().hex[:8]}", [(book.id, -4, ten)])
    good = order_event("confirmed", f"o-{uuid.uuid4().hex[:8]}", [(book.id, 4, ten)])
    produce(stack.broker, [("o-x", b"\xff\x00not protobuf\x13"),
                           ("o-x", wrong_payload.SerializeToString()),
                           (bad_line.aggregate_id, bad_line.SerializeToString()),
                           (good.aggregate_id, good.SerializeToString())])
    assert wait_for(lambda: units_sold(stack, book.id) == 4, timeout=20)
    assert wait_for(lambda: stack.consumer_metric("parked") == parked_before + 3, timeout=20)
    parked = mariadb("SELECT reason FROM parked_events ORDER BY seq", stack.catalog_schema)
    assert "not an EventEnvelope" in parked
    assert "the payload does not match the type" in parked
    assert "quantity > 0" in parked
    assert int(mariadb(f"SELECT COUNT(*) FROM parked_events WHERE event_id = '{bad_line.event_id}'",
                       stack.catalog_schema)) == 1
    log = stack.catalog.log_text()
    assert "event parked" in log and bad_line.event_id in log
    assert stack.catalog.proc.poll() is None  # never crashed


def test_consumer_lag_counts_the_events_a_stuck_consumer_has_not_applied(stack):
    """While the database holds the consumer up (a row lock taken here), the
    events wait, the lag says exactly how many, and nothing is skipped."""
    book = new_book(stack.sell())
    ten = common_pb2.Money(currency_code="EUR", units=10)
    lag = lambda: stack.catalog.metrics()[("bookstore_consumer_lag", frozenset(
        {"group": stack.group}.items()))]
    first = order_event("confirmed", f"o-{uuid.uuid4().hex[:8]}", [(book.id, 1, ten)])
    produce(stack.broker, [(first.aggregate_id, first.SerializeToString())])
    assert wait_for(lambda: units_sold(stack, book.id) == 1 and lag() == 0, timeout=20)
    holder = subprocess.Popen(["mariadb", "--no-defaults", "--unbuffered", "-N", "-B", "-S",
                               os.environ["BOOKSTORE_MYSQL_SOCKET"], "-uroot",
                               stack.catalog_schema], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        holder.stdin.write(f"BEGIN; SELECT units_sold FROM book_sales WHERE book_id = "
                           f"'{book.id}' FOR UPDATE; SELECT 'locked';\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "1"
        assert holder.stdout.readline().strip() == "locked"
        more = [order_event("confirmed", f"o-{uuid.uuid4().hex[:8]}", [(book.id, 1, ten)])
                for _ in range(5)]
        produce(stack.broker, [(e.aggregate_id, e.SerializeToString()) for e in more])
        seen = []  # on failure: what the gauge said
        assert wait_for(lambda: seen.append(lag()) or seen[-1] == 5, timeout=20), seen[-20:]
        assert units_sold(stack, book.id) == 1
    finally:
        holder.stdin.write("ROLLBACK;\n")
        holder.stdin.close()
        assert holder.wait(timeout=10) == 0
    assert wait_for(lambda: units_sold(stack, book.id) == 6 and lag() == 0, timeout=30)


def test_processed_events_are_pruned_after_their_retention(broker, tmp_path):
    schema, group = f"bookstore_kp{uuid.uuid4().hex[:8]}", f"catalog-{uuid.uuid4().hex[:8]}"
    mariadb(f"CREATE DATABASE {schema}")
    catalog = start_catalog(write_keypair(tmp_path), schema, KAFKA_BROKERS=broker.bootstrap,
                            BOOKSTORE_CONSUMER_GROUP=group,
                            BOOKSTORE_CONSUMER_DEDUP_RETENTION_MS="1000",
                            BOOKSTORE_CONSUMER_PRUNE_INTERVAL_MS="100")
    try:
        ten = common_pb2.Money(currency_code="EUR", units=10)
        e = order_event("confirmed", f"o-{uuid.uuid4().hex[:8]}", [("book-p", 2, ten)])
        processed = lambda: int(mariadb(f"SELECT COUNT(*) FROM processed_events WHERE "
                                        f"event_id = '{e.event_id}'", schema))
        produce(broker, [(e.aggregate_id, e.SerializeToString())])
        assert wait_for(lambda: processed() == 1, timeout=30)
        assert wait_for(lambda: processed() == 0, timeout=10)  # pruned...
        assert int(mariadb("SELECT units_sold FROM book_sales WHERE book_id = 'book-p'",
                           schema)) == 2  # ...the effect stays
        assert "processed events pruned" in catalog.log_text()
    finally:
        assert catalog.stop() == 0, catalog.stderr[-2000:]
        mariadb(f"DROP DATABASE {schema}")


def test_history_read_again_after_pruning_is_not_applied_twice(broker, tmp_path):
    """The consumer dies before it ever commits its Kafka offsets, after its
    processed_events rows were pruned: restarted, it reads the topic's history
    again (auto.offset.reset=earliest) and recognises what it applied by its
    position in each partition, kept in its database -- as when a group's
    committed offsets expire."""
    schema, group = f"bookstore_kr{uuid.uuid4().hex[:8]}", f"catalog-{uuid.uuid4().hex[:8]}"
    mariadb(f"CREATE DATABASE {schema}")
    keypair = write_keypair(tmp_path)
    settings = dict(KAFKA_BROKERS=broker.bootstrap, BOOKSTORE_CONSUMER_GROUP=group,
                    BOOKSTORE_CONSUMER_DEDUP_RETENTION_MS="1000",
                    BOOKSTORE_CONSUMER_PRUNE_INTERVAL_MS="100",
                    BOOKSTORE_CONSUMER_SESSION_TIMEOUT_MS="3000",
                    BOOKSTORE_CONSUMER_COMMIT_MS="600000")  # never, before the kill
    catalog = start_catalog(keypair, schema, **settings)
    book = f"book-r{uuid.uuid4().hex[:6]}"
    try:
        ten = common_pb2.Money(currency_code="EUR", units=10)
        e = order_event("confirmed", f"o-{uuid.uuid4().hex[:8]}", [(book, 3, ten)])
        sold = lambda: int(mariadb(f"SELECT COALESCE(SUM(units_sold), 0) FROM book_sales "
                                   f"WHERE book_id = '{book}'", schema))
        pruned = lambda: int(mariadb("SELECT COUNT(*) FROM processed_events", schema)) == 0
        produce(broker, [(e.aggregate_id, e.SerializeToString())])
        assert wait_for(lambda: sold() == 3, timeout=30)
        assert wait_for(pruned, timeout=10)
        catalog.stop(sig=signal.SIGKILL)
        catalog = start_catalog(keypair, schema, **settings)
        metric = lambda: catalog.metrics().get(("bookstore_consumer_events_total", frozenset(
            {"group": group, "result": "duplicate"}.items())), 0)
        assert wait_for(lambda: metric() >= 1, timeout=30)
        assert wait_for(lambda: catalog.metrics()[("bookstore_consumer_lag", frozenset(
            {"group": group}.items()))] == 0, timeout=20)
        assert sold() == 3  # not 6
    finally:
        assert catalog.stop() == 0, catalog.stderr[-2000:]
        mariadb(f"DROP DATABASE {schema}")


def test_a_database_outage_holds_the_consumer_back_and_loses_nothing(tmp_path):
    """MariaDB stopped under a consuming catalog (its own throwaway one, and
    its own broker): the events wait, nothing is parked or skipped; started
    again, every event is applied exactly once."""
    broker = start_kafka_mock(1)
    deps = tempfile.mkdtemp(prefix="bs-kc.", dir="/tmp")
    script = os.path.join(os.environ["BOOKSTORE_SOURCE_ROOT"], "scripts", "deps.sh")
    run = lambda cmd: subprocess.run([script, cmd, deps], check=True, capture_output=True,
                                     timeout=120)
    catalog = None
    try:
        run("start")
        env = dict(l.split(" ", 1)[1].strip().split("=", 1)
                   for l in open(os.path.join(deps, "env")) if l.startswith("export "))
        sql = lambda q: subprocess.run(
            ["mariadb", "--no-defaults", "-S", env["BOOKSTORE_MYSQL_SOCKET"], "-uroot", "-N", "-B",
             "bookstore_catalog", "-e", q], check=True, capture_output=True, text=True).stdout
        group = f"catalog-{uuid.uuid4().hex[:8]}"
        catalog = Server(os.environ["BOOKSTORE_CATALOG"], port_env="BOOKSTORE_CATALOG_ADDR", env={
            "BOOKSTORE_CATALOG_DB_PORT": env["BOOKSTORE_MYSQL_PORT"],
            "BOOKSTORE_CATALOG_DB_PASSWORD": env["BOOKSTORE_MYSQL_PASSWORD"],
            "BOOKSTORE_REDIS_PORT": env["BOOKSTORE_REDIS_PORT"],
            "BOOKSTORE_JWT_VERIFY_KEYS": write_keypair(tmp_path)[1],
            "KAFKA_BROKERS": broker.bootstrap, "BOOKSTORE_CONSUMER_GROUP": group,
            "BOOKSTORE_CONSUMER_RETRY_MS": "100"})
        ten = common_pb2.Money(currency_code="EUR", units=10)
        book = f"book-{uuid.uuid4().hex[:8]}"
        first = order_event("confirmed", f"o-{uuid.uuid4().hex[:8]}", [(book, 1, ten)])
        produce(broker, [(first.aggregate_id, first.SerializeToString())])
        units = lambda: int(sql(f"SELECT COALESCE(SUM(units_sold), 0) FROM book_sales "
                                f"WHERE book_id = '{book}'"))
        assert wait_for(lambda: units() == 1, timeout=30)
        run("stop")
        more = [order_event("confirmed", f"o-{uuid.uuid4().hex[:8]}", [(book, 2, ten)])
                for _ in range(10)]
        produce(broker, [(e.aggregate_id, e.SerializeToString()) for e in more])
        assert wait_for(lambda: "cannot apply an event now; retrying" in catalog.log_text(),
                        timeout=30)
        assert catalog.proc.poll() is None
        run("start")
        assert wait_for(lambda: units() == 21, timeout=60)
        ids = "','".join(e.event_id for e in [first, *more])
        assert int(sql(f"SELECT COUNT(*) FROM processed_events WHERE event_id IN ('{ids}')")) == 11
        assert int(sql("SELECT COUNT(*) FROM parked_events")) == 0, sql("SELECT reason FROM parked_events")
    finally:
        if catalog:
            assert catalog.stop() == 0, catalog.stderr[-2000:]
        run("stop")
        shutil.rmtree(deps, ignore_errors=True)
        stop_kafka_mock(broker)


def committed_and_end(stack, topic="bookstore.order"):
    """The group's committed offsets and the topic's end offsets, summed over
    its partitions (read from the broker, without joining the group)."""
    c = Consumer({"bootstrap.servers": stack.broker.bootstrap, "group.id": stack.group,
                  "enable.auto.commit": False})
    try:
        parts = [TopicPartition(topic, p)
                 for p in c.list_topics(topic, timeout=10).topics[topic].partitions]
        committed = sum(max(tp.offset, 0) for tp in c.committed(parts, timeout=10))
        end = sum(c.get_watermark_offsets(tp, timeout=10)[1] for tp in parts)
        return committed, end
    finally:
        c.close()


def test_a_consumer_killed_mid_stream_resumes_without_double_applying(stack):
    book = new_book(stack.sell())
    ten = common_pb2.Money(currency_code="EUR", units=10)
    n = 2000
    events = [order_event("confirmed", f"o-{uuid.uuid4().hex[:10]}", [(book.id, 1, ten)])
              for _ in range(n)]
    # everything before this test is applied and committed
    assert wait_for(lambda: committed_and_end(stack)[0] == committed_and_end(stack)[1],
                    timeout=20)
    base = committed_and_end(stack)[0]
    port = int(stack.catalog.target.rsplit(":", 1)[1])
    produce(stack.broker, [(e.aggregate_id, e.SerializeToString()) for e in events])
    # killed once some of the stream is applied and committed, well before its end
    assert wait_for(lambda: committed_and_end(stack)[0] >= base + 50, timeout=30, interval=0.01)
    stack.catalog.stop(sig=signal.SIGKILL)
    at_kill, committed = units_sold(stack, book.id), committed_and_end(stack)[0] - base
    assert 50 <= committed <= at_kill < n, (committed, at_kill)
    stack.catalog = stack.start_catalog(port)  # same group: resumes from the committed offsets
    assert wait_for(lambda: units_sold(stack, book.id) == n, timeout=60)
    ids = "','".join(e.event_id for e in events)
    assert int(mariadb(f"SELECT COUNT(*) FROM processed_events WHERE consumer = '{stack.group}' "
                       f"AND event_id IN ('{ids}')", stack.catalog_schema)) == n
    assert wait_for(lambda: stack.catalog.metrics()[("bookstore_consumer_lag", frozenset(
        {"group": stack.group}.items()))] == 0, timeout=20)
    # only what was applied but not yet committed came again, and was recognised
    assert stack.consumer_metric("duplicate") == at_kill - committed
    assert units_sold(stack, book.id) == n


def test_the_whole_loop_checkout_to_sold_out_and_best_sellers(tmp_path):
    """Every service for real: orders placed through the checkout saga sell a
    book out (inventory -> stock.depleted -> catalog SOLD_OUT) and count in the
    best sellers (order -> order.confirmed -> catalog); a cancellation takes
    both back."""
    from test_checkout import COMPLETED, Stack as System
    system = System(tmp_path, consumers=True)
    try:
        book, buyer = system.book(on_hand=3, units=9), system.customer()
        status = lambda: int(mariadb(f"SELECT status FROM books WHERE id = '{book}'",
                                     system.catalog.schema))
        top = lambda: [(b.units_sold, b.revenue.units) for b in Caller(system.catalog)
                       .ListBestSellers(cpb.ListBestSellersRequest(limit=100)).best_sellers
                       if b.book_id == book]
        first, second = buyer.place(book, quantity=2), buyer.place(book, quantity=1)
        assert first.saga.status == second.saga.status == COMPLETED
        assert wait_for(lambda: status() == SOLD_OUT, timeout=30)
        assert wait_for(lambda: top() == [(3, 27)], timeout=30)
        cancelled = buyer.stub().CancelOrder(pb_checkout.CancelOrderRequest(
            order_id=second.order_id), timeout=30, metadata=buyer.md).saga
        assert cancelled.status == COMPLETED
        assert wait_for(lambda: status() == ON_SALE, timeout=30)  # restocked: on sale again
        assert wait_for(lambda: top() == [(2, 18)], timeout=30)
        # exactly what the sequence implies: stocked (replenished), sold out (depleted), two
        # confirmations, restocked (replenished), one cancellation; the rest has no handler
        metric = lambda name, **labels: system.catalog.metrics().get(
            (name, frozenset({"group": "bookstore-catalog", **labels}.items())))
        assert wait_for(lambda: metric("bookstore_consumer_lag") == 0, timeout=20)
        assert metric("bookstore_consumer_events_total", result="applied") == 6
        assert metric("bookstore_consumer_events_total", result="parked") == 0
        assert metric("bookstore_consumer_events_total", result="duplicate") == 0
        assert metric("bookstore_consumer_events_total", result="ignored") > 0
        dashboard_metrics_are_served(system)
    finally:
        system.stop()


def dashboard_metrics_are_served(stack):
    """observability/grafana: every metric a panel queries is served by one of
    the six services (run with their consumers, as in production);
    observability/prometheus.yml scrapes their default ports."""
    import json
    root = os.environ["BOOKSTORE_SOURCE_ROOT"]
    dash = json.load(open(os.path.join(root, "observability/grafana/bookstore-dashboard.json")))
    wanted = {re.sub(r"_(bucket|count|sum)$", "", name)
              for p in dash["panels"] for t in p["targets"]
              for name in re.findall(r"\b((?:grpc_server|bookstore|process)_\w+)\b", t["expr"])}
    served = set()  # the families every service declares (# TYPE), with or without samples
    for server in (stack.identity, stack.catalog, stack.inventory, stack.payment, stack.order,
                   stack.checkout):
        with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics",
                                    timeout=10) as r:
            served |= set(re.findall(r"^# TYPE (\S+) ", r.read().decode(), re.M))
    assert wanted <= served, wanted - served
    assert len(dash["panels"]) >= 10
    scrape = open(os.path.join(root, "observability/prometheus.yml")).read()
    for i, job in enumerate(["identity", "catalog", "inventory", "payment", "order",
                             "checkout"]):
        assert f"job_name: {job}\n    static_configs: [{{targets: [\"127.0.0.1:{9101 + i}\"]}}]" \
            in scrape
