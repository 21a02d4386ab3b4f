"""Reviews end to end through generated Python stubs: the review service with
the order service it asks (did this customer receive the book?) and the
catalog, which keeps each book's rating summary from the review events on a
Kafka-protocol broker (tools/kafka-mock). Orders are made and delivered
through the order service's own API (CreateOrder, the SERVICE transitions the
checkout saga makes, the seller's MarkShipped/MarkDelivered)."""
import os
import uuid

import grpc
import pytest

from bookstore.catalog.v1 import catalog_pb2 as cpb
from bookstore.common.v1 import common_pb2
from bookstore.order.v1 import order_pb2 as opb
from bookstore.order.v1 import order_pb2_grpc as opb_grpc
from bookstore.review.v1 import review_pb2 as pb
from bookstore.review.v1 import review_pb2_grpc as pb_grpc

from conftest import Server, start_kafka_mock, stop_kafka_mock, wait_for, write_keypair
from test_catalog import Caller, new_book, start_catalog, token
from test_events import topic_events
from test_identity import mariadb

ADDRESS = common_pb2.Address(recipient="Ada", line1="1 Main St", city="Berlin",
                             postal_code="10115", country_code="DE")
NEWEST, HELPFUL = pb.REVIEW_ORDER_NEWEST, pb.REVIEW_ORDER_MOST_HELPFUL


class Stack:
    def __init__(self, tmp):
        self.keypair = write_keypair(tmp)
        self.kafka = start_kafka_mock(1)
        self.schemas = {n: f"bookstore_r{n[:2]}{uuid.uuid4().hex[:8]}"
                        for n in ("catalog", "order", "review")}
        for s in self.schemas.values():
            mariadb(f"CREATE DATABASE {s}")
        events = {"KAFKA_BROKERS": self.kafka.bootstrap, "BOOKSTORE_OUTBOX_POLL_MS": "20",
                  "BOOKSTORE_CONSUMER_SESSION_TIMEOUT_MS": "3000",
                  "BOOKSTORE_CONSUMER_RETRY_MS": "50", "BOOKSTORE_CONSUMER_COMMIT_MS": "100"}
        self.catalog = start_catalog(self.keypair, self.schemas["catalog"], **events,
                                     BOOKSTORE_CONSUMER_GROUP=f"catalog-{uuid.uuid4().hex[:6]}")
        self.catalog.keypair = self.keypair
        self.order = Server(os.environ["BOOKSTORE_ORDER"], port_env="BOOKSTORE_ORDER_ADDR",
                            env={**self.db("order"), **events,
                                 "BOOKSTORE_JWT_VERIFY_KEYS": self.keypair[1],
                                 "BOOKSTORE_CATALOG_TARGET": self.catalog.target})
        self.review = self.start_review()

    def db(self, name):
        return {f"BOOKSTORE_{name.upper()}_DB_PORT": os.environ["BOOKSTORE_MYSQL_PORT"],
                f"BOOKSTORE_{name.upper()}_DB_PASSWORD": os.environ["BOOKSTORE_MYSQL_PASSWORD"],
                f"BOOKSTORE_{name.upper()}_DB_NAME": self.schemas[name]}

    def start_review(self, order_target=None):
        return Server(os.environ["BOOKSTORE_REVIEW"], port_env="BOOKSTORE_REVIEW_ADDR", env={
            **self.db("review"), "KAFKA_BROKERS": self.kafka.bootstrap,
            "BOOKSTORE_OUTBOX_POLL_MS": "20", "BOOKSTORE_JWT_VERIFY_KEYS": self.keypair[1],
            "BOOKSTORE_ORDER_TARGET": order_target or self.order.target,
            "BOOKSTORE_ORDER_TIMEOUT_MS": "1000"})

    def stop(self):
        for s in (self.review, self.order, self.catalog):
            assert s.stop() == 0, s.stderr[-3000:]
        for s in self.schemas.values():
            mariadb(f"DROP DATABASE {s}")
        stop_kafka_mock(self.kafka)

    def md(self, role, sub):
        return [("authorization", f"Bearer {token(self.keypair, role, sub)}")]

    def reviews(self, role=None, sub=None, server=None):
        stub = pb_grpc.ReviewServiceStub((server or self.review).channel())
        md = self.md(role, sub) if role else []
        return lambda name, req: getattr(stub, name)(req, timeout=10, metadata=md)

    def book(self, seller="shop-r"):
        return new_book(Caller(self.catalog, "SELLER", seller)).id

    def place(self, customer, book_id, deliver=True, seller="shop-r"):
        """An order of customer with the book, delivered (or left CONFIRMED)."""
        orders = opb_grpc.OrderServiceStub(self.order.channel())
        made = orders.CreateOrder(opb.CreateOrderRequest(
            items=[opb.OrderItemRequest(book_id=book_id, quantity=1)], shipping_address=ADDRESS),
            timeout=10, metadata=self.md("CUSTOMER", customer)).order
        for status in (opb.ORDER_STATUS_PAYMENT_AUTHORIZED, opb.ORDER_STATUS_CONFIRMED):
            orders.ChangeOrderStatus(opb.ChangeOrderStatusRequest(order_id=made.id, status=status),
                                     timeout=10, metadata=self.md("SERVICE", "checkout"))
        if deliver:
            for mark, req in (("MarkShipped", opb.MarkShippedRequest),
                              ("MarkDelivered", opb.MarkDeliveredRequest)):
                getattr(orders, mark)(req(order_id=made.id), timeout=10,
                                      metadata=self.md("SELLER", seller))
        return made.id

    def rating(self, book_id):
        r = Caller(self.catalog).GetBook(cpb.GetBookRequest(book_id=book_id)).book.rating
        return r.count, list(r.histogram), round(r.average, 6)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("keys"))
    yield s
    s.stop()


def err(fn, *args):
    with pytest.raises(grpc.RpcError) as e:
        fn(*args)
    return e.value.code(), e.value.details()


def customer():
    return f"cust-{uuid.uuid4().hex[:8]}"


def test_only_a_delivered_order_lets_a_customer_review_once(stack):
    book, ann = stack.book(), customer()
    write = stack.reviews("CUSTOMER", ann)
    req = pb.CreateReviewRequest(book_id=book, rating=5, text="Wonderful.")
    code, msg = err(write, "CreateReview", req)  # never ordered
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "delivered" in msg
    stack.place(ann, book, deliver=False)  # confirmed, not delivered
    assert err(write, "CreateReview", req)[0] == grpc.StatusCode.FAILED_PRECONDITION
    stack.place(ann, book)
    r = write("CreateReview", req).review
    assert (r.book_id, r.customer_id, r.rating, r.text, r.helpful_count) == (
        book, ann, 5, "Wonderful.", 0)
    assert not r.HasField("answer") and not r.hidden
    code, msg = err(write, "CreateReview", req)
    assert code == grpc.StatusCode.ALREADY_EXISTS and "UpdateReview" in msg
    # a seller or an anonymous caller cannot write one at all
    assert err(stack.reviews("SELLER", "shop-r"), "CreateReview", req)[0] == \
        grpc.StatusCode.PERMISSION_DENIED
    assert err(stack.reviews(), "CreateReview", req)[0] == grpc.StatusCode.UNAUTHENTICATED
    # anyone reads it
    assert stack.reviews()("GetReview", pb.GetReviewRequest(review_id=r.id)).review.id == r.id
    # another delivered book counts for that book only, however many orders came before
    other, never = stack.book(), stack.book()
    stack.place(ann, other)
    assert write("CreateReview", pb.CreateReviewRequest(
        book_id=other, rating=3, text="Fine.")).review.book_id == other
    assert err(write, "CreateReview", pb.CreateReviewRequest(
        book_id=never, rating=3, text="Fine."))[0] == grpc.StatusCode.FAILED_PRECONDITION


def test_the_author_edits_and_deletes_and_the_catalog_follows_exactly(stack):
    book, ann, bob = stack.book(), customer(), customer()
    for c in (ann, bob):
        stack.place(c, book)
    a = stack.reviews("CUSTOMER", ann)("CreateReview", pb.CreateReviewRequest(
        book_id=book, rating=2, text="Slow.")).review
    stack.reviews("CUSTOMER", bob)("CreateReview", pb.CreateReviewRequest(
        book_id=book, rating=5, text="Superb."))
    assert wait_for(lambda: stack.rating(book) == (2, [0, 1, 0, 0, 1], 3.5), timeout=20), \
        stack.rating(book)
    code, _ = err(stack.reviews("CUSTOMER", bob), "UpdateReview",
                  pb.UpdateReviewRequest(review_id=a.id, rating=1, text="hijack"))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    edited = stack.reviews("CUSTOMER", ann)("UpdateReview", pb.UpdateReviewRequest(
        review_id=a.id, rating=4, text="It grew on me.")).review
    assert (edited.rating, edited.text) == (4, "It grew on me.")
    assert edited.updated_at.ToMilliseconds() >= a.updated_at.ToMilliseconds()
    assert wait_for(lambda: stack.rating(book) == (2, [0, 0, 0, 1, 1], 4.5), timeout=20), \
        stack.rating(book)
    summary = stack.reviews()("GetRatingSummary", pb.GetRatingSummaryRequest(book_id=book)).rating
    assert (summary.count, list(summary.histogram)) == (2, [0, 0, 0, 1, 1])
    assert err(stack.reviews("CUSTOMER", bob), "DeleteReview",
               pb.DeleteReviewRequest(review_id=a.id))[0] == grpc.StatusCode.PERMISSION_DENIED
    stack.reviews("CUSTOMER", ann)("DeleteReview", pb.DeleteReviewRequest(review_id=a.id))
    assert err(stack.reviews(), "GetReview", pb.GetReviewRequest(review_id=a.id))[0] == \
        grpc.StatusCode.NOT_FOUND
    assert wait_for(lambda: stack.rating(book) == (1, [0, 0, 0, 0, 1], 5.0), timeout=20), \
        stack.rating(book)
    # each change left one event on bookstore.review, keyed by the book, in order
    events = [e for key, e in topic_events(stack.kafka.bootstrap, "bookstore.review", 4)
              if key == book]
    assert [e.type for e in events] == ["review.created", "review.created", "review.updated",
                                        "review.deleted"]
    assert [e.review_changed.summary_version for e in events] == [1, 2, 3, 4]


def test_the_seller_answers_once(stack):
    book, ann = stack.book(seller="shop-ans"), customer()
    stack.place(ann, book, seller="shop-ans")
    r = stack.reviews("CUSTOMER", ann)("CreateReview", pb.CreateReviewRequest(
        book_id=book, rating=3, text="Decent.")).review
    req = pb.AnswerReviewRequest(review_id=r.id, text="Thank you for reading!")
    assert err(stack.reviews("SELLER", "shop-other"), "AnswerReview", req)[0] == \
        grpc.StatusCode.PERMISSION_DENIED
    assert err(stack.reviews("CUSTOMER", ann), "AnswerReview", req)[0] == \
        grpc.StatusCode.PERMISSION_DENIED
    answered = stack.reviews("SELLER", "shop-ans")("AnswerReview", req).review
    assert (answered.answer.seller_id, answered.answer.text) == ("shop-ans",
                                                                  "Thank you for reading!")
    assert answered.answer.answered_at.seconds > 0
    code, msg = err(stack.reviews("SELLER", "shop-ans"), "AnswerReview", req)
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "once" in msg


def test_admins_hide_with_a_reason_others_no_longer_see_it(stack):
    book, ann, bob = stack.book(), customer(), customer()
    for c in (ann, bob):
        stack.place(c, book)
    a = stack.reviews("CUSTOMER", ann)("CreateReview", pb.CreateReviewRequest(
        book_id=book, rating=1, text="Buy it at the other shop!")).review
    stack.reviews("CUSTOMER", bob)("CreateReview", pb.CreateReviewRequest(
        book_id=book, rating=4, text="Good."))
    hide = pb.HideReviewRequest(review_id=a.id, reason="advertises another shop")
    assert err(stack.reviews("CUSTOMER", bob), "HideReview", hide)[0] == \
        grpc.StatusCode.PERMISSION_DENIED
    code, msg = err(stack.reviews("ADMIN", "root"), "HideReview",
                    pb.HideReviewRequest(review_id=a.id))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "reason" in msg
    hidden = stack.reviews("ADMIN", "root")("HideReview", hide).review
    assert hidden.hidden and hidden.hidden_reason == "advertises another shop"
    listed = lambda *who: [r.id for r in stack.reviews(*who)(
        "ListReviews", pb.ListReviewsRequest(book_id=book)).reviews]
    assert a.id not in listed() and a.id not in listed("CUSTOMER", bob)
    assert a.id in listed("CUSTOMER", ann) and a.id in listed("ADMIN", "root")
    assert err(stack.reviews("CUSTOMER", bob), "GetReview",
               pb.GetReviewRequest(review_id=a.id))[0] == grpc.StatusCode.NOT_FOUND
    own = stack.reviews("CUSTOMER", ann)("GetReview", pb.GetReviewRequest(review_id=a.id)).review
    assert own.hidden_reason == "advertises another shop"  # its author is told why
    assert wait_for(lambda: stack.rating(book) == (1, [0, 0, 0, 1, 0], 4.0), timeout=20), \
        stack.rating(book)
    stack.reviews("ADMIN", "root")("UnhideReview", pb.UnhideReviewRequest(review_id=a.id))
    assert a.id in listed()
    assert wait_for(lambda: stack.rating(book) == (2, [1, 0, 0, 1, 0], 2.5), timeout=20), \
        stack.rating(book)


def test_pages_in_both_orders_while_reviews_are_written(stack):
    book = stack.book()
    buyers = [customer() for _ in range(7)]
    for c in buyers:
        stack.place(c, book)
    made = [stack.reviews("CUSTOMER", c)("CreateReview", pb.CreateReviewRequest(
        book_id=book, rating=1 + i % 5, text=f"Review {i}")).review for i, c in enumerate(buyers[:5])]
    # helpful marks: review 1 twice, review 3 once; again by the same user counts once
    for who, r in (("m1", made[1]), ("m2", made[1]), ("m1", made[3]), ("m1", made[3])):
        got = stack.reviews("CUSTOMER", who)("MarkHelpful", pb.MarkHelpfulRequest(
            review_id=r.id)).review
    assert got.helpful_count == 1
    code, msg = err(stack.reviews("CUSTOMER", buyers[0]), "MarkHelpful",
                    pb.MarkHelpfulRequest(review_id=made[0].id))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "own" in msg
    want = {NEWEST: [4, 3, 2, 1, 0], HELPFUL: [1, 3, 4, 2, 0]}
    for order, late in ((NEWEST, buyers[5]), (HELPFUL, buyers[6])):
        seen, token_, wrote = [], "", False
        while True:
            page = stack.reviews()("ListReviews", pb.ListReviewsRequest(
                book_id=book, order=order,
                page=common_pb2.PageRequest(page_size=2, page_token=token_)))
            seen += [r.id for r in page.reviews]
            if not wrote:  # a review written between pages
                extra = stack.reviews("CUSTOMER", late)("CreateReview", pb.CreateReviewRequest(
                    book_id=book, rating=3, text="Late")).review
                wrote = True
            token_ = page.page.next_page_token
            if not token_:
                break
        ids = [m.id for m in made]
        assert [i for i in seen if i != extra.id] == [ids[k] for k in want[order]]
        assert len(seen) == len(set(seen))  # nothing twice
        if order == NEWEST:  # newer than the first page: never shifts what follows
            assert extra.id not in seen
        stack.reviews("CUSTOMER", late)("DeleteReview", pb.DeleteReviewRequest(review_id=extra.id))
    code, msg = err(stack.reviews(), "ListReviews", pb.ListReviewsRequest(
        book_id=book, order=HELPFUL, page=common_pb2.PageRequest(page_token="n5")))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in msg


@pytest.mark.parametrize("req,field", [
    (pb.CreateReviewRequest(book_id="", rating=5, text="x"), "book_id"),
    (pb.CreateReviewRequest(book_id="b", rating=0, text="x"), "rating"),
    (pb.CreateReviewRequest(book_id="b", rating=6, text="x"), "rating"),
    (pb.CreateReviewRequest(book_id="b", rating=5, text=""), "text"),
    (pb.CreateReviewRequest(book_id="b", rating=5, text="   \n "), "text"),
    (pb.CreateReviewRequest(book_id="b", rating=5, text="x" * 2001), "text"),
    (pb.CreateReviewRequest(book_id="b", rating=5, text="bell\x07"), "text"),
    (pb.CreateReviewRequest(book_id="b" * 64, rating=5, text="x"), "book_id"),
    (pb.CreateReviewRequest(book_id="b c", rating=5, text="x"), "book_id"),
])
def test_bad_input_gets_a_clear_status(stack, req, field):
    code, msg = err(stack.reviews("CUSTOMER", customer()), "CreateReview", req)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and field in msg, msg


def test_bad_input_elsewhere_and_the_service_goes_on(stack):
    anon = stack.reviews()
    for name, req, want in [
        ("GetReview", pb.GetReviewRequest(review_id="no-such"), grpc.StatusCode.NOT_FOUND),
        ("GetReview", pb.GetReviewRequest(review_id="\u00e9"), grpc.StatusCode.NOT_FOUND),
        ("ListReviews", pb.ListReviewsRequest(book_id=""), grpc.StatusCode.INVALID_ARGUMENT),
        ("ListReviews", pb.ListReviewsRequest(book_id="b", order=9),
         grpc.StatusCode.INVALID_ARGUMENT),
        ("ListReviews", pb.ListReviewsRequest(book_id="b", page=common_pb2.PageRequest(
            page_size=-1)), grpc.StatusCode.INVALID_ARGUMENT),
        ("GetRatingSummary", pb.GetRatingSummaryRequest(book_id=""),
         grpc.StatusCode.INVALID_ARGUMENT),
    ]:
        assert err(anon, name, req)[0] == want, (name, req)
    # a 4-byte character counts as one: 2000 of them are a valid text
    book, ann = stack.book(), customer()
    stack.place(ann, book)
    r = stack.reviews("CUSTOMER", ann)("CreateReview", pb.CreateReviewRequest(
        book_id=book, rating=5, text="\U0001F4DA" * 2000)).review
    assert len(r.text) == 2000
    assert stack.review.proc.poll() is None


def test_the_order_service_down_is_unavailable_not_a_refusal(stack, tmp_path):
    """The review service cannot ask: UNAVAILABLE with a message saying to try
    again, never 'you did not receive it'."""
    lonely = stack.start_review(order_target="127.0.0.1:9")  # nothing listens there
    try:
        code, msg = err(stack.reviews("CUSTOMER", customer(), server=lonely), "CreateReview",
                        pb.CreateReviewRequest(book_id=stack.book(), rating=4, text="ok"))
        assert code == grpc.StatusCode.UNAVAILABLE and "try again" in msg, msg
    finally:
        assert lonely.stop() == 0, lonely.stderr[-2000:]
