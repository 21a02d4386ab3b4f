"""bookstore-c from Python: register a customer, log in, list the books, check
one out with an idempotency key, follow the saga with WatchSaga to its end,
print the order and the book's reviews -- and show how a bad request (or a
review before the order was delivered) comes back as a gRPC status.

Stubs come from `node_modules/.bin/buf generate -o gen` (gen/python); the
services from `scripts/run-local.sh` (targets overridable with
BOOKSTORE_<SERVICE>_TARGET)."""
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "gen", "python"))
sys.path.insert(0, os.environ.get("BOOKSTORE_STUBS", ""))

import grpc  # noqa: E402

from bookstore.catalog.v1 import catalog_pb2, catalog_pb2_grpc  # noqa: E402
from bookstore.checkout.v1 import checkout_pb2, checkout_pb2_grpc  # noqa: E402
from bookstore.common.v1 import common_pb2  # noqa: E402
from bookstore.identity.v1 import identity_pb2, identity_pb2_grpc  # noqa: E402
from bookstore.order.v1 import order_pb2, order_pb2_grpc  # noqa: E402
from bookstore.review.v1 import review_pb2, review_pb2_grpc  # noqa: E402


def target(name, port):
    return os.environ.get(f"BOOKSTORE_{name}_TARGET", f"127.0.0.1:{port}")


def money(m):
    return f"{m.units}.{m.nanos // 10_000_000:02d} {m.currency_code}"


def main():
    identity = identity_pb2_grpc.IdentityServiceStub(
        grpc.insecure_channel(target("IDENTITY", 50051)))
    catalog = catalog_pb2_grpc.CatalogServiceStub(grpc.insecure_channel(target("CATALOG", 50052)))
    orders = order_pb2_grpc.OrderServiceStub(grpc.insecure_channel(target("ORDER", 50055)))
    checkout = checkout_pb2_grpc.CheckoutServiceStub(
        grpc.insecure_channel(target("CHECKOUT", 50056)))
    reviews = review_pb2_grpc.ReviewServiceStub(grpc.insecure_channel(target("REVIEW", 50057)))

    email, password = f"reader-{uuid.uuid4().hex[:8]}@example.com", "a-good-password-1"
    identity.RegisterUser(identity_pb2.RegisterUserRequest(
        email=email, password=password, display_name="Python Reader"), timeout=10)
    print(f"registered {email}")
    login = identity.Login(identity_pb2.LoginRequest(email=email, password=password), timeout=10)
    auth = [("authorization", f"Bearer {login.tokens.access_token}")]

    books = catalog.ListBooks(catalog_pb2.ListBooksRequest(
        status=catalog_pb2.BOOK_STATUS_ON_SALE), timeout=10).books
    if not books:
        sys.exit("no book on sale: the local run creates one (scripts/run-local.sh)")
    book = books[0]
    print(f'books: {len(books)} on sale, buying "{book.title}" ({book.id})')

    placed = checkout.PlaceOrder(checkout_pb2.PlaceOrderRequest(
        items=[checkout_pb2.CheckoutItem(book_id=book.id, quantity=1)],
        shipping_address=common_pb2.Address(recipient="Python Reader", line1="1 Main St",
                                            city="Berlin", postal_code="10115",
                                            country_code="DE"),
        payment_method_token="tok_ok", idempotency_key=str(uuid.uuid4())),
        timeout=30, metadata=auth)
    saga = placed.saga
    for update in checkout.WatchSaga(checkout_pb2.WatchSagaRequest(saga_id=saga.id),
                                     timeout=60, metadata=auth):
        saga = update.saga
        done = sum(s.status == checkout_pb2.STEP_STATUS_SUCCEEDED for s in saga.steps)
        print(f"saga {saga.id}: {checkout_pb2.SagaStatus.Name(saga.status)} "
              f"({done}/{len(saga.steps)} steps done)")
    if saga.status != checkout_pb2.SAGA_STATUS_COMPLETED:
        sys.exit(f"checkout did not complete: {saga.failure_reason}")

    order = orders.GetOrder(order_pb2.GetOrderRequest(order_id=saga.order_id), timeout=10,
                            metadata=auth).order
    lines = ", ".join(f'{i.quantity} x "{i.title}"' for i in order.items)
    print(f"order {order.id}: {order_pb2.OrderStatus.Name(order.status)}, "
          f"total {money(order.total)}, {lines}")

    rating = reviews.GetRatingSummary(review_pb2.GetRatingSummaryRequest(book_id=book.id),
                                      timeout=10).rating
    top = reviews.ListReviews(review_pb2.ListReviewsRequest(
        book_id=book.id, order=review_pb2.REVIEW_ORDER_MOST_HELPFUL), timeout=10).reviews
    print(f"reviews of {book.id}: {rating.count}, average {rating.average:.1f}, "
          f"most helpful first: {[r.rating for r in top]}")

    # errors come back as a gRPC status: a code and a message a person can act on
    for what, call in (
            ("review before delivery", lambda: reviews.CreateReview(
                review_pb2.CreateReviewRequest(book_id=book.id, rating=5, text="Great read."),
                timeout=10, metadata=auth)),
            ("bad request", lambda: checkout.PlaceOrder(checkout_pb2.PlaceOrderRequest(
                items=[checkout_pb2.CheckoutItem(book_id=book.id, quantity=0)],
                payment_method_token="tok_ok", idempotency_key=str(uuid.uuid4())),
                timeout=10, metadata=auth)),
            ("bad token", lambda: identity.GetMe(identity_pb2.GetMeRequest(), timeout=10,
                                                 metadata=[("authorization", "Bearer expired")]))):
        try:
            call()
            sys.exit(f"{what}: no error?")
        except grpc.RpcError as e:
            print(f"{what} -> {e.code().name}: {e.details()}")


if __name__ == "__main__":
    main()
