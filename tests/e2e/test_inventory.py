"""The inventory service with the catalog it asks about owners, through
generated Python stubs, on real MariaDB schemas and Redis."""
import concurrent.futures
import os
import uuid

import grpc
import pytest

from bookstore.catalog.v1 import catalog_pb2 as cpb
from bookstore.inventory.v1 import inventory_pb2 as pb
from bookstore.inventory.v1 import inventory_pb2_grpc as pb_grpc

from conftest import Server
from test_catalog import Caller, keypair, money, new_book, start_catalog, token  # noqa: F401
from test_identity import mariadb

FAILED, DENIED = grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.PERMISSION_DENIED


@pytest.fixture(scope="module")
def services(keypair):
    schemas = [f"bookstore_cc{uuid.uuid4().hex[:8]}", f"bookstore_iv{uuid.uuid4().hex[:8]}"]
    for s in schemas:
        mariadb(f"CREATE DATABASE {s}")
    catalog = start_catalog(keypair, schemas[0])
    catalog.keypair = keypair
    inventory = Server(os.environ["BOOKSTORE_INVENTORY"], port_env="BOOKSTORE_INVENTORY_ADDR", env={
        "BOOKSTORE_INVENTORY_DB_PORT": os.environ["BOOKSTORE_MYSQL_PORT"],
        "BOOKSTORE_INVENTORY_DB_PASSWORD": os.environ["BOOKSTORE_MYSQL_PASSWORD"],
        "BOOKSTORE_INVENTORY_DB_NAME": schemas[1],
        "BOOKSTORE_JWT_VERIFY_KEYS": keypair[1],
        "BOOKSTORE_CATALOG_TARGET": catalog.target,
        "BOOKSTORE_RPC_WORKERS": "16",
    })
    inventory.keypair = keypair
    inventory.schema = schemas[1]
    yield catalog, inventory
    assert inventory.stop() == 0, inventory.stderr[-2000:]
    assert catalog.stop() == 0, catalog.stderr[-2000:]
    for s in schemas:
        mariadb(f"DROP DATABASE {s}")


class Inv:
    def __init__(self, server, role=None, sub=None):
        self.stub = pb_grpc.InventoryServiceStub(server.channel())
        self.md = [("authorization", f"Bearer {token(server.keypair, role, sub)}")] if role else []

    def __getattr__(self, name):
        method = getattr(self.stub, name)
        return lambda req, timeout=10: method(req, timeout=timeout, metadata=self.md)


def err(fn, req):
    with pytest.raises(grpc.RpcError) as e:
        fn(req)
    return e.value.code(), e.value.details()


def items(*pairs):
    return [pb.StockItem(book_id=b, quantity=q) for b, q in pairs]


def stocked_book(services, seller="s1", on_hand=10):
    catalog, inventory = services
    book = new_book(Caller(catalog, "SELLER", seller))
    Inv(inventory, "SELLER", seller).SetStock(pb.SetStockRequest(book_id=book.id, on_hand=on_hand))
    return book.id


def test_sellers_manage_the_stock_of_their_own_books(services):
    catalog, inventory = services
    book = new_book(Caller(catalog, "SELLER", "s1"), on_sale=False)  # even before it is on sale
    owner, other, admin = Inv(inventory, "SELLER", "s1"), Inv(inventory, "SELLER", "s2"), Inv(inventory, "ADMIN", "a")
    assert owner.SetStock(pb.SetStockRequest(book_id=book.id, on_hand=5)).stock.available == 5
    assert owner.AdjustStock(pb.AdjustStockRequest(book_id=book.id, delta=3)).stock.on_hand == 8
    assert admin.AdjustStock(pb.AdjustStockRequest(book_id=book.id, delta=-2)).stock.on_hand == 6
    assert err(other.SetStock, pb.SetStockRequest(book_id=book.id, on_hand=1))[0] in (
        DENIED, grpc.StatusCode.NOT_FOUND)  # s2 cannot even see a REGISTERED book of s1
    assert err(Inv(inventory, "CUSTOMER", "c").SetStock,
               pb.SetStockRequest(book_id=book.id, on_hand=1))[0] == DENIED
    assert err(owner.SetStock, pb.SetStockRequest(book_id=str(uuid.uuid4()), on_hand=1)) == (
        grpc.StatusCode.NOT_FOUND, "no such book in the catalog")
    assert err(owner.AdjustStock, pb.AdjustStockRequest(book_id=book.id, delta=-7))[0] == FAILED
    assert err(owner.SetStock, pb.SetStockRequest(book_id=book.id, on_hand=-1))[0] == \
        grpc.StatusCode.INVALID_ARGUMENT
    public = Inv(inventory).GetStock(pb.GetStockRequest(book_id=book.id)).stock
    assert (public.on_hand, public.available) == (6, 6)
    # an on-sale book of s1 is visible to s2, who still may not stock it
    visible = stocked_book(services)
    assert err(other.SetStock, pb.SetStockRequest(book_id=visible, on_hand=1)) == (
        DENIED, "only the book's seller or an admin may change its stock")


def test_reservations_are_all_or_nothing_and_idempotent(services):
    _, inventory = services
    a, b = stocked_book(services, on_hand=5), stocked_book(services, on_hand=1)
    svc = Inv(inventory, "SERVICE", "service:checkout")
    order = f"order-{uuid.uuid4().hex[:8]}"
    code, msg = err(svc.ReserveStock, pb.ReserveStockRequest(order_id=order,
                                                             items=items((a, 2), (b, 3))))
    assert code == FAILED and msg == f"insufficient stock: book {b} (available 1, requested 3)"
    assert svc.GetStock(pb.GetStockRequest(book_id=a)).stock.reserved == 0  # nothing held
    res = svc.ReserveStock(pb.ReserveStockRequest(order_id=order, items=items((b, 1), (a, 2)))).reservation
    assert res.status == pb.RESERVATION_STATUS_RESERVED
    again = svc.ReserveStock(pb.ReserveStockRequest(order_id=order, items=items((a, 2), (b, 1)))).reservation
    assert again == res  # the same request gets the same answer
    assert svc.GetStock(pb.GetStockRequest(book_id=a)).stock.available == 3  # reserved once
    assert err(svc.ReserveStock, pb.ReserveStockRequest(order_id=order, items=items((a, 1)))) == (
        FAILED, "this order_id was already reserved with different items")
    assert err(Inv(inventory, "CUSTOMER", "c").ReserveStock,
               pb.ReserveStockRequest(order_id="x", items=items((a, 1))))[0] == DENIED
    assert err(svc.ReserveStock, pb.ReserveStockRequest(order_id="dup", items=items((a, 1), (a, 1))))[0] \
        == grpc.StatusCode.INVALID_ARGUMENT


def test_release_commit_restock(services):
    _, inventory = services
    book = stocked_book(services, on_hand=10)
    svc = Inv(inventory, "SERVICE", "service:checkout")
    level = lambda: svc.GetStock(pb.GetStockRequest(book_id=book)).stock
    # releasing what never happened succeeds: compensations must not fail
    unknown = svc.ReleaseStock(pb.ReleaseStockRequest(order_id=f"never-{uuid.uuid4().hex[:6]}"))
    assert unknown.reservation.status == pb.RESERVATION_STATUS_RELEASED
    o1 = f"o1-{uuid.uuid4().hex[:6]}"
    svc.ReserveStock(pb.ReserveStockRequest(order_id=o1, items=items((book, 4))))
    assert (level().on_hand, level().reserved) == (10, 4)
    for _ in range(2):  # idempotent
        assert svc.ReleaseStock(pb.ReleaseStockRequest(order_id=o1)).reservation.status == \
            pb.RESERVATION_STATUS_RELEASED
    assert (level().on_hand, level().reserved) == (10, 0)
    assert err(svc.CommitReservation, pb.CommitReservationRequest(order_id=o1))[0] == FAILED

    o2 = f"o2-{uuid.uuid4().hex[:6]}"
    svc.ReserveStock(pb.ReserveStockRequest(order_id=o2, items=items((book, 3))))
    for _ in range(2):
        assert svc.CommitReservation(pb.CommitReservationRequest(order_id=o2)).reservation.status == \
            pb.RESERVATION_STATUS_COMMITTED
    assert (level().on_hand, level().reserved) == (7, 0)  # the sale took the units
    assert err(svc.ReleaseStock, pb.ReleaseStockRequest(order_id=o2))[0] == FAILED
    for _ in range(2):
        assert svc.RestockOrder(pb.RestockOrderRequest(order_id=o2)).reservation.status == \
            pb.RESERVATION_STATUS_RESTOCKED
    assert (level().on_hand, level().reserved) == (10, 0)


def test_never_oversells_under_concurrency(services):
    _, inventory = services
    book = stocked_book(services, on_hand=100)
    svc = Inv(inventory, "SERVICE", "service:checkout")

    def reserve(i):
        try:
            svc.ReserveStock(pb.ReserveStockRequest(order_id=f"c{i}-{book[:8]}",
                                                    items=items((book, 1))), timeout=60)
            return "ok"
        except grpc.RpcError as e:
            return e.code()

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(reserve, range(200)))
    assert outcomes.count("ok") == 100
    assert outcomes.count(FAILED) == 100
    stock = svc.GetStock(pb.GetStockRequest(book_id=book)).stock
    assert (stock.on_hand, stock.reserved, stock.available) == (100, 100, 0)
    rows = mariadb(f"SELECT COUNT(*), SUM(quantity) FROM reservation_items WHERE book_id = '{book}'",
                   inventory.schema).split()
    assert rows == ["100", "100"]
