"""Every service's /metrics, scraped over HTTP and parsed with the Prometheus
client library: after a known sequence of calls the values are exactly what
they should be, and they stay consistent under concurrent load."""
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from bookstore.catalog.v1 import catalog_pb2 as pb
from bookstore.catalog.v1 import catalog_pb2_grpc as pb_grpc

from conftest import wait_for
from test_catalog import Caller, keypair, new_book, start_catalog  # noqa: F401 (fixture)
from test_identity import mariadb

SVC = "bookstore.catalog.v1.CatalogService"


@pytest.fixture
def catalog(keypair):  # noqa: F811 (the fixture above)
    schema = f"bookstore_mt{uuid.uuid4().hex[:8]}"
    mariadb(f"CREATE DATABASE {schema}")
    server = start_catalog(keypair, schema)
    server.keypair = keypair
    yield server
    assert server.stop() == 0, server.stderr[-2000:]
    mariadb(f"DROP DATABASE {schema}")


def handled(m, method, code):
    return m.get(("grpc_server_handled_total", frozenset(
        {"grpc_service": SVC, "grpc_method": method, "grpc_code": code}.items())), 0)


def latency_count(m, method, code):
    return m.get(("grpc_server_handling_seconds_count", frozenset(
        {"grpc_service": SVC, "grpc_method": method, "grpc_code": code}.items())), 0)


def calls(fn, req, n):
    for _ in range(n):
        try:
            fn(req, timeout=10)
        except grpc.RpcError:
            pass


def test_counts_latencies_and_gauges_are_exact(catalog):
    seller = Caller(catalog, "SELLER", "seller-m")
    public = pb_grpc.CatalogServiceStub(catalog.channel())
    book = new_book(seller)  # CreateBook + SetBookStatus
    calls(public.GetBook, pb.GetBookRequest(book_id=book.id), 3)
    calls(public.GetBook, pb.GetBookRequest(book_id="no-such-book"), 2)
    calls(public.CreateBook, pb.CreateBookRequest(title="x"), 1)  # no token
    # an unknown method is counted without taking its name as a label
    with pytest.raises(grpc.RpcError):
        catalog.channel().unary_unary("/evil.Service/AnyName")(b"", timeout=5)
    m = catalog.metrics()
    assert handled(m, "CreateBook", "OK") == 1
    assert handled(m, "SetBookStatus", "OK") == 1
    assert handled(m, "GetBook", "OK") == 3
    assert handled(m, "GetBook", "NOT_FOUND") == 2
    assert handled(m, "CreateBook", "UNAUTHENTICATED") == 1
    assert m[("grpc_server_handled_total", frozenset(
        {"grpc_service": "unknown", "grpc_method": "unknown",
         "grpc_code": "UNIMPLEMENTED"}.items()))] == 1
    assert not any("evil" in str(labels) for _, labels in m)
    assert latency_count(m, "GetBook", "OK") == 3 and latency_count(m, "GetBook", "NOT_FOUND") == 2
    buckets = sorted((float(dict(l)["le"]), v) for (n, l), v in m.items()
                     if n == "grpc_server_handling_seconds_bucket"
                     and dict(l).get("grpc_method") == "GetBook" and dict(l)["grpc_code"] == "OK")
    assert buckets[-1] == (float("inf"), 3)
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)  # cumulative
    in_flight = [v for (n, _), v in m.items() if n == "bookstore_rpc_in_flight"]
    assert in_flight and all(v == 0 for v in in_flight)
    assert m[("bookstore_db_pool_connections", frozenset({"state": "open"}.items()))] >= 1
    assert m[("bookstore_db_pool_connections", frozenset({"state": "in_use"}.items()))] == 0
    assert m[("bookstore_db_pool_waiting", frozenset())] == 0
    assert m[("bookstore_redis_errors_total", frozenset())] == 0
    assert m[("process_resident_memory_bytes", frozenset())] > 1 << 20
    assert m[("process_cpu_seconds_total", frozenset())] > 0
    assert m[("process_open_fds", frozenset())] > 3
    # scraping is not a call: a second scrape sees the same counts
    again = catalog.metrics()
    assert handled(again, "GetBook", "OK") == 3
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{catalog.metrics_port}/other", timeout=5)
    assert e.value.code == 404


def test_redis_errors_are_counted(keypair):  # noqa: F811
    schema = f"bookstore_mr{uuid.uuid4().hex[:8]}"
    mariadb(f"CREATE DATABASE {schema}")
    catalog = start_catalog(keypair, schema, BOOKSTORE_REDIS_PORT="9",
                            BOOKSTORE_REDIS_CONNECT_TIMEOUT_MS="100")
    try:
        public = pb_grpc.CatalogServiceStub(catalog.channel())
        calls(public.GetBook, pb.GetBookRequest(book_id="no-such-book"), 4)
        # a call is counted as its status is sent: the client may see the
        # answer a moment before the counter moves
        assert wait_for(lambda: handled(catalog.metrics(), "GetBook", "NOT_FOUND") == 4)
        m = catalog.metrics()  # reads fell back to the database
        assert m[("bookstore_redis_errors_total", frozenset())] == 4  # one cache read each
    finally:
        assert catalog.stop() == 0, catalog.stderr[-2000:]
        mariadb(f"DROP DATABASE {schema}")


def test_metrics_stay_consistent_under_concurrent_load(catalog):
    book = new_book(Caller(catalog, "SELLER", "seller-c"))
    public = pb_grpc.CatalogServiceStub(catalog.channel())
    done = threading.Event()
    scrapes = []

    def scrape():
        while not done.is_set():
            scrapes.append(handled(catalog.metrics(), "GetBook", "OK"))

    scraper = threading.Thread(target=scrape)
    scraper.start()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: calls(public.GetBook, pb.GetBookRequest(book_id=book.id), 50),
                      range(16)))
    done.set()
    scraper.join()
    assert len(scrapes) >= 2
    assert scrapes == sorted(scrapes)  # counters never go back
    m = catalog.metrics()
    assert handled(m, "GetBook", "OK") == 800
    assert latency_count(m, "GetBook", "OK") == 800
    assert all(v == 0 for (n, _), v in m.items() if n == "bookstore_rpc_in_flight")
