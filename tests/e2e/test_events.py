"""Domain events through the transactional outbox, read back from a
Kafka-protocol broker (tools/kafka-mock, librdkafka's mock cluster) with
Confluent's Python client: the payment service's operations emit the expected
events with the right key and payload; with the broker down the events wait in
the outbox (and the metrics say so), then all arrive exactly once."""
import os
import signal
import time
import uuid

import grpc
import pytest
from confluent_kafka import Consumer, TopicPartition

from bookstore.common.v1 import common_pb2
from bookstore.events.v1 import events_pb2
from bookstore.payment.v1 import payment_pb2 as pb
from bookstore.payment.v1 import payment_pb2_grpc as pb_grpc

from conftest import Server, start_kafka_mock, stop_kafka_mock, wait_for, write_keypair
from test_catalog import token
from test_identity import mariadb

TOPIC = "bookstore.payment"


@pytest.fixture(scope="module")
def broker():
    proc = start_kafka_mock(3)
    yield proc
    stop_kafka_mock(proc)


@pytest.fixture(scope="module")
def payment(broker, tmp_path_factory):
    keypair = write_keypair(tmp_path_factory.mktemp("keys"))
    schema = f"bookstore_ev{uuid.uuid4().hex[:8]}"
    mariadb(f"CREATE DATABASE {schema}")
    server = Server(os.environ["BOOKSTORE_PAYMENT"], port_env="BOOKSTORE_PAYMENT_ADDR", env={
        "BOOKSTORE_PAYMENT_DB_PORT": os.environ["BOOKSTORE_MYSQL_PORT"],
        "BOOKSTORE_PAYMENT_DB_PASSWORD": os.environ["BOOKSTORE_MYSQL_PASSWORD"],
        "BOOKSTORE_PAYMENT_DB_NAME": schema,
        "BOOKSTORE_JWT_VERIFY_KEYS": keypair[1],
        "KAFKA_BROKERS": broker.bootstrap,
        "BOOKSTORE_OUTBOX_MESSAGE_TIMEOUT_MS": "1000",
        "BOOKSTORE_OUTBOX_POLL_MS": "20"})
    server.schema = schema
    server.md = [("authorization", f"Bearer {token(keypair, 'SERVICE', 'service:checkout')}")]
    yield server
    assert server.stop() == 0, server.stderr[-2000:]
    mariadb(f"DROP DATABASE {schema}")


def events(bootstrap, minimum, timeout=20):
    """Every event on the payment topic, decoded, with its Kafka key."""
    return topic_events(bootstrap, TOPIC, minimum, timeout)


def topic_events(bootstrap, topic, minimum, timeout=20):
    """Every event on a topic, decoded, with its Kafka key, in partition order."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t{uuid.uuid4().hex}",
                  "enable.auto.commit": False})
    meta = c.list_topics(topic, timeout=10).topics[topic]
    c.assign([TopicPartition(topic, p, 0) for p in meta.partitions])  # 0: the beginning
    got, deadline, quiet = [], time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is None:
            if len(got) >= minimum and quiet and time.monotonic() > quiet:
                break
            continue
        if m.error():
            continue
        env = events_pb2.EventEnvelope()
        env.ParseFromString(m.value())
        got.append((m.key().decode(), env))
        quiet = time.monotonic() + 1.0
    c.close()
    return got


def authorize(s, md, order, tok="tok_ok"):
    return s.AuthorizePayment(pb.AuthorizePaymentRequest(
        order_id=order, customer_id="cust-1", payment_method_token=tok,
        amount=common_pb2.Money(currency_code="EUR", units=25, nanos=500000000)),
        timeout=10, metadata=md).payment


def test_each_operation_emits_its_event(broker, payment):
    s, md = pb_grpc.PaymentServiceStub(payment.channel()), payment.md
    trace = uuid.uuid4().hex
    traced = md + [("traceparent", f"00-{trace}-00f067aa0ba902b7-01")]
    a, b, c = (f"order-{uuid.uuid4().hex[:8]}" for _ in range(3))
    pa = authorize(s, traced, a)
    s.CapturePayment(pb.CapturePaymentRequest(order_id=a), timeout=10, metadata=md)
    s.RefundPayment(pb.RefundPaymentRequest(order_id=a), timeout=10, metadata=md)
    pb_ = authorize(s, md, b, tok="tok_decline")
    pc = authorize(s, md, c)
    s.VoidPayment(pb.VoidPaymentRequest(order_id=c), timeout=10, metadata=md)
    authorize(s, md, b, tok="tok_decline")  # an idempotent repeat changes nothing: no event
    # an authorization arriving after its void is refused (the fence): no event
    with pytest.raises(grpc.RpcError) as late:
        authorize(s, md, c)
    assert late.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    s.VoidPayment(pb.VoidPaymentRequest(order_id=c), timeout=10, metadata=md)
    got = events(broker.bootstrap, 6)
    by_aggregate = {}
    for key, env in got:
        assert key == env.aggregate_id and env.aggregate_type == "payment"
        assert len(env.event_id) == 36 and len(env.trace_id) == 32
        by_aggregate.setdefault(key, []).append(env)
    assert len({env.event_id for _, env in got}) == len(got) == 6
    assert [e.type for e in by_aggregate[pa.id]] == [
        "payment.authorized", "payment.captured", "payment.refunded"]
    assert [e.type for e in by_aggregate[pb_.id]] == ["payment.declined"]
    assert [e.type for e in by_aggregate[pc.id]] == ["payment.authorized", "payment.voided"]
    first = by_aggregate[pa.id][0]
    assert first.trace_id == trace  # the request that caused it
    assert first.payment_authorized.order_id == a
    assert (first.payment_authorized.amount.units, first.payment_authorized.amount.nanos,
            first.payment_authorized.amount.currency_code) == (25, 500000000, "EUR")
    assert by_aggregate[pa.id][2].payment_refunded.amount.units == 25
    assert by_aggregate[pb_.id][0].payment_declined.reason == "card_declined"
    assert by_aggregate[pc.id][1].payment_voided.order_id == c
    sent = mariadb("SELECT COUNT(*) FROM outbox WHERE sent_ms IS NOT NULL", payment.schema)
    assert int(sent) == 6


def test_broker_down_then_back_delivers_every_event_once(broker, payment):
    s, md = pb_grpc.PaymentServiceStub(payment.channel()), payment.md
    before = {env.event_id for _, env in events(broker.bootstrap, 6)}
    broker.send_signal(signal.SIGUSR1)  # every broker down...
    assert broker.stdout.readline().strip() == "kafka-mock: brokers down"  # ...from now on
    try:
        orders = [f"order-{uuid.uuid4().hex[:8]}" for _ in range(10)]
        for o in orders:  # the service keeps working: events wait in the outbox
            authorize(s, md, o)
        assert wait_for(lambda: payment.metrics()[("bookstore_outbox_backlog", frozenset())]
                        == 10, timeout=10)
        # nothing gets through while the brokers are down: the lag grows, the backlog stays
        assert wait_for(lambda: payment.metrics()[
            ("bookstore_outbox_relay_lag_seconds", frozenset())] >= 1.0, timeout=15)
        assert payment.metrics()[("bookstore_outbox_backlog", frozenset())] == 10
        assert int(mariadb("SELECT COUNT(*) FROM outbox WHERE sent_ms IS NULL",
                           payment.schema)) == 10
    finally:
        broker.send_signal(signal.SIGUSR2)
        assert broker.stdout.readline().strip() == "kafka-mock: brokers up"
    assert wait_for(lambda: payment.metrics()[("bookstore_outbox_backlog", frozenset())] == 0,
                    timeout=30)
    got = [env for _, env in events(broker.bootstrap, len(before) + 10)]
    new = [e for e in got if e.event_id not in before]
    assert len(new) == 10 and len({e.event_id for e in new}) == 10  # all, exactly once
    assert sorted(e.payment_authorized.order_id for e in new) == sorted(orders)
    assert payment.metrics()[("bookstore_outbox_published_total", frozenset())] == 16


def test_catalog_changes_emit_book_events(broker, tmp_path):
    from bookstore.catalog.v1 import catalog_pb2 as cpb
    from test_catalog import Caller, money, new_book, start_catalog
    keypair = write_keypair(tmp_path)
    schema = f"bookstore_eb{uuid.uuid4().hex[:8]}"
    mariadb(f"CREATE DATABASE {schema}")
    catalog = start_catalog(keypair, schema, KAFKA_BROKERS=broker.bootstrap,
                            BOOKSTORE_OUTBOX_POLL_MS="20")
    catalog.keypair = keypair
    try:
        seller = Caller(catalog, "SELLER", "seller-ev")
        book = new_book(seller, on_sale=False, price=money(12))
        seller.UpdateBook(cpb.UpdateBookRequest(book_id=book.id, update_mask=["title", "price"],
                                                title="Renamed", price=money(13)))
        seller.UpdateBook(cpb.UpdateBookRequest(book_id=book.id, update_mask=["title"],
                                                title="Renamed"))  # no change: no event
        seller.SetBookStatus(cpb.SetBookStatusRequest(book_id=book.id,
                                                      status=cpb.BOOK_STATUS_ON_SALE))
        assert wait_for(lambda: int(mariadb("SELECT COUNT(*) FROM outbox WHERE sent_ms IS NULL",
                                            schema)) == 0, timeout=20)
        mine = [env for key, env in topic_events(broker.bootstrap, "bookstore.book", 3)
                if key == book.id]
        assert [e.type for e in mine] == ["book.created", "book.updated", "book.status_changed"]
        created, updated, status = mine
        assert (created.book_created.title, created.book_created.seller_id,
                created.book_created.price.units) == (book.title, "seller-ev", 12)
        assert list(updated.book_updated.changed_fields) == ["title", "price"]
        assert (status.book_status_changed.old_status, status.book_status_changed.new_status) == (
            "BOOK_STATUS_REGISTERED", "BOOK_STATUS_ON_SALE")
        assert all(e.aggregate_type == "book" and len(e.trace_id) == 32 for e in mine)
    finally:
        assert catalog.stop() == 0, catalog.stderr[-2000:]
        mariadb(f"DROP DATABASE {schema}")


def test_a_registration_emits_user_registered(broker, tmp_path):
    from bookstore.identity.v1 import identity_pb2 as ipb
    from bookstore.identity.v1 import identity_pb2_grpc as ipb_grpc
    write_keypair(tmp_path)
    schema = f"bookstore_eu{uuid.uuid4().hex[:8]}"
    mariadb(f"CREATE DATABASE {schema}")
    identity = Server(os.environ["BOOKSTORE_IDENTITY"], port_env="BOOKSTORE_IDENTITY_ADDR", env={
        "BOOKSTORE_IDENTITY_DB_PORT": os.environ["BOOKSTORE_MYSQL_PORT"],
        "BOOKSTORE_IDENTITY_DB_PASSWORD": os.environ["BOOKSTORE_MYSQL_PASSWORD"],
        "BOOKSTORE_IDENTITY_DB_NAME": schema,
        "BOOKSTORE_JWT_SIGNING_KEY": str(tmp_path / "k1.pem"), "BOOKSTORE_JWT_SIGNING_KID": "k1",
        "BOOKSTORE_IDENTITY_ARGON2_OPSLIMIT": "1", "BOOKSTORE_IDENTITY_ARGON2_MEMLIMIT": "8M",
            "BOOKSTORE_IDENTITY_REGISTER_LIMIT_PER_PEER": "100000",
        "KAFKA_BROKERS": broker.bootstrap, "BOOKSTORE_OUTBOX_POLL_MS": "20"})
    try:
        s = ipb_grpc.IdentityServiceStub(identity.channel())
        email = f"e{uuid.uuid4().hex[:8]}@example.com"
        user = s.RegisterUser(ipb.RegisterUserRequest(email=email, password="a-good-password-1",
                                                      display_name="Evented"), timeout=10).user
        with pytest.raises(grpc.RpcError):  # a duplicate registers nothing, emits nothing
            s.RegisterUser(ipb.RegisterUserRequest(email=email, password="a-good-password-1",
                                                   display_name="Again"), timeout=10)
        assert wait_for(lambda: int(mariadb("SELECT COUNT(*) FROM outbox WHERE sent_ms IS NULL",
                                            schema)) == 0, timeout=20)
        mine = [env for key, env in topic_events(broker.bootstrap, "bookstore.user", 1)
                if key == user.id]
        assert [e.type for e in mine] == ["user.registered"]
        assert (mine[0].user_registered.email, mine[0].user_registered.role) == (
            email, "CUSTOMER")
        assert int(mariadb("SELECT COUNT(*) FROM outbox", schema)) == 1
    finally:
        assert identity.stop() == 0, identity.stderr[-2000:]
        mariadb(f"DROP DATABASE {schema}")
