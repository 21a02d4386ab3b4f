"""The REST/JSON gateway in front of every service, called with plain HTTP
(urllib, as any client would): every route annotated in proto/ is called at
least once (checked against the gateway's own /openapi.json), with the proto3
JSON mapping, the HTTP status of each gRPC code and its JSON error body, token
checks, CORS, the body limit, the rate limit, /healthz, /metrics and
/openapi.json."""
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import Server, wait_for
from test_checkout import Stack, bearer

ADDRESS = {"recipient": "Ada", "line1": "1 Main St", "city": "Berlin", "postalCode": "10115",
           "countryCode": "DE"}


def start_gateway(stack, **env):
    base = {"BOOKSTORE_JWT_VERIFY_KEYS": stack.keypair[1],
            "BOOKSTORE_GATEWAY_CORS_ORIGINS": "http://console.example",
            "BOOKSTORE_GATEWAY_RATE_LIMIT": "0",
            "BOOKSTORE_IDENTITY_TARGET": stack.identity.target,
            "BOOKSTORE_CATALOG_TARGET": stack.catalog.target,
            "BOOKSTORE_INVENTORY_TARGET": stack.inventory.target,
            "BOOKSTORE_PAYMENT_TARGET": stack.payment.target,
            "BOOKSTORE_ORDER_TARGET": stack.order.target,
            "BOOKSTORE_CHECKOUT_TARGET": stack.checkout.target,
            "BOOKSTORE_REVIEW_TARGET": stack.review.target}
    return Server(os.environ["BOOKSTORE_GATEWAY"], port_env="BOOKSTORE_GATEWAY_ADDR",
                  env={**base, **env})


class Rest:
    """An HTTP client of one gateway that records which routes it called."""

    def __init__(self, gateway):
        self.base = f"http://127.0.0.1:{gateway.port}"
        self.called = set()

    def __call__(self, method, path, body=None, token=None, route=None, headers=None,
                 raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        if route:
            self.called.add((method, route))
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                text = r.read().decode()
                return r.status, json.loads(text) if text and r.headers.get(
                    "Content-Type", "").startswith("application/json") else text, r.headers
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, json.loads(text) if text.startswith("{") else text, e.headers


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    st = Stack(tmp_path_factory.mktemp("keys"))
    st.review = st.start("review", {"BOOKSTORE_JWT_VERIFY_KEYS": st.keypair[1],
                                    "BOOKSTORE_ORDER_TARGET": st.order.target})
    st.gateway = start_gateway(st)
    st.rest = Rest(st.gateway)
    yield st
    assert st.gateway.stop() == 0, st.gateway.stderr[-3000:]
    assert st.review.stop() == 0, st.review.stderr[-3000:]
    st.stop()


def minted(system, role, sub):
    return bearer(system.keypair, role, sub)[0][1].split(" ", 1)[1]


def ok(result, status=200):
    code, body, _ = result
    assert code == status, body
    return body


def refused(result, http, grpc_status, says=""):
    code, body, _ = result
    assert code == http, body
    assert body["status"] == grpc_status and isinstance(body["code"], int), body
    assert says in body["message"], body
    return body


def test_every_route_over_http(system):
    rest = system.rest
    admin = minted(system, "ADMIN", "admin-g")
    # ---- identity: a customer signs up and manages their account
    email = f"g{uuid.uuid4().hex[:8]}@example.com"
    me = ok(rest("POST", "/v1/users:register", {"email": email, "password": "a-good-password-1",
                                                 "displayName": "Gail"},
                 route="/v1/users:register"))
    assert me["user"]["email"] == email and me["user"]["role"] == "ROLE_CUSTOMER"
    login = ok(rest("POST", "/v1/auth:login", {"email": email, "password": "a-good-password-1"},
                    route="/v1/auth:login"))
    token, refresh = login["tokens"]["accessToken"], login["tokens"]["refreshToken"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$",
                    login["tokens"]["accessTokenExpiresAt"])  # RFC 3339
    assert ok(rest("GET", "/v1/users/me", token=token, route="/v1/users/me"))["user"]["id"] == \
        login["user"]["id"]
    assert ok(rest("PATCH", "/v1/users/me", {"displayName": "Gail B."}, token=token,
                   route="/v1/users/me"))["user"]["displayName"] == "Gail B."
    addr = ok(rest("POST", "/v1/users/me/addresses", {"address": ADDRESS}, token=token,
                   route="/v1/users/me/addresses"))["address"]
    listed = ok(rest("GET", "/v1/users/me/addresses", token=token,
                     route="/v1/users/me/addresses"))["addresses"]
    assert [a["id"] for a in listed] == [addr["id"]]
    ok(rest("DELETE", f"/v1/users/me/addresses/{addr['id']}", token=token,
            route="/v1/users/me/addresses/{address_id}"))
    refreshed = ok(rest("POST", "/v1/auth:refresh", {"refreshToken": refresh},
                        route="/v1/auth:refresh"))
    token, refresh = refreshed["tokens"]["accessToken"], refreshed["tokens"]["refreshToken"]
    jwks = ok(rest("GET", "/v1/jwks", route="/v1/jwks"))
    assert jwks["keys"] and jwks["keys"][0]["kty"] == "EC"
    # ---- admin: a seller account, users, a category
    seller_email = f"s{uuid.uuid4().hex[:8]}@example.com"
    seller = ok(rest("POST", "/v1/users", {"email": seller_email, "password": "a-good-password-1",
                                            "displayName": "Shop", "role": "ROLE_SELLER"},
                     token=admin, route="/v1/users"))["user"]
    users = ok(rest("GET", "/v1/users?page.pageSize=100", token=admin, route="/v1/users"))
    assert seller["id"] in [u["id"] for u in users["users"]]
    seller_token = ok(rest("POST", "/v1/auth:login", {"email": seller_email,
                                                       "password": "a-good-password-1"}))[
        "tokens"]["accessToken"]
    category = ok(rest("POST", "/v1/categories", {"name": f"Cat {uuid.uuid4().hex[:6]}"},
                       token=admin, route="/v1/categories"))["category"]
    assert category["id"] in [c["id"] for c in ok(rest("GET", "/v1/categories",
                                                       route="/v1/categories"))["categories"]]
    # ---- catalog and inventory: the seller puts a book on sale
    book = ok(rest("POST", "/v1/books", {"title": "REST in C", "authors": ["A. Author"],
                                          "isbn13": "9780306406157", "categoryId": category["id"],
                                          "price": {"currencyCode": "EUR", "units": "12",
                                                    "nanos": 500000000}},
                   token=seller_token, route="/v1/books"))["book"]
    assert book["price"]["units"] == "12" and book["status"] == "BOOK_STATUS_REGISTERED"
    patched = ok(rest("PATCH", f"/v1/books/{book['id']}",
                      {"updateMask": ["description"], "description": "Transcoding, by hand."},
                      token=seller_token, route="/v1/books/{book_id}"))["book"]
    assert patched["description"] == "Transcoding, by hand."
    ok(rest("POST", f"/v1/books/{book['id']}:setStatus", {"status": "BOOK_STATUS_ON_SALE"},
            token=seller_token, route="/v1/books/{book_id}:setStatus"))
    stock = ok(rest("PUT", f"/v1/books/{book['id']}/stock", {"onHand": "5"}, token=seller_token,
                    route="/v1/books/{book_id}/stock"))["stock"]
    assert stock["onHand"] == "5"
    ok(rest("POST", f"/v1/books/{book['id']}/stock:adjust", {"delta": "3"}, token=seller_token,
            route="/v1/books/{book_id}/stock:adjust"))
    assert ok(rest("GET", f"/v1/books/{book['id']}/stock",
                   route="/v1/books/{book_id}/stock"))["stock"]["available"] == "8"
    got = ok(rest("GET", f"/v1/books/{book['id']}", route="/v1/books/{book_id}"))["book"]
    assert got["title"] == "REST in C" and got["rating"]["count"] == "0"
    found = ok(rest("GET", "/v1/books?query=REST%20in%20C&status=BOOK_STATUS_ON_SALE",
                    route="/v1/books"))["books"]
    assert book["id"] in [b["id"] for b in found]
    # ---- checkout: the customer buys it, follows the saga, sees the order
    placed = ok(rest("POST", "/v1/checkouts", {
        "items": [{"bookId": book["id"], "quantity": 2}], "shippingAddress": ADDRESS,
        "paymentMethodToken": "tok_ok", "idempotencyKey": uuid.uuid4().hex},
        token=token, route="/v1/checkouts"))
    saga, order_id = placed["saga"], placed["orderId"]
    assert saga["status"] == "SAGA_STATUS_COMPLETED" and placed["total"]["units"] == "25"
    assert ok(rest("GET", f"/v1/sagas/{saga['id']}", token=token,
                   route="/v1/sagas/{saga_id}"))["saga"]["orderId"] == order_id
    code, events, headers = rest("GET", f"/v1/sagas/{saga['id']}:watch", token=token,
                                 route="/v1/sagas/{saga_id}:watch")
    assert code == 200 and headers["Content-Type"] == "text/event-stream"
    assert events.startswith("data: {") and "SAGA_STATUS_COMPLETED" in events
    assert ok(rest("GET", f"/v1/orders/{order_id}/saga", token=token,
                   route="/v1/orders/{order_id}/saga"))["saga"]["id"] == saga["id"]
    order = ok(rest("GET", f"/v1/orders/{order_id}", token=token,
                    route="/v1/orders/{order_id}"))["order"]
    assert order["status"] == "ORDER_STATUS_CONFIRMED"
    mine = ok(rest("GET", "/v1/orders?status=ORDER_STATUS_CONFIRMED", token=token,
                   route="/v1/orders"))["orders"]
    assert [o["id"] for o in mine] == [order_id]
    payment = ok(rest("GET", f"/v1/orders/{order_id}/payment", token=token,
                      route="/v1/orders/{order_id}/payment"))["payment"]
    assert payment["status"] == "PAYMENT_STATUS_CAPTURED"
    ok(rest("GET", "/v1/bestsellers?limit=5", route="/v1/bestsellers"))
    # ---- the seller ships and delivers; the customer reviews
    ok(rest("POST", f"/v1/orders/{order_id}:ship", {}, token=seller_token,
            route="/v1/orders/{order_id}:ship"))
    assert ok(rest("POST", f"/v1/orders/{order_id}:deliver", {}, token=seller_token,
                   route="/v1/orders/{order_id}:deliver"))["order"]["status"] == \
        "ORDER_STATUS_DELIVERED"
    review = ok(rest("POST", f"/v1/books/{book['id']}/reviews", {"rating": 4, "text": "Good."},
                     token=token, route="/v1/books/{book_id}/reviews"))["review"]
    assert ok(rest("PATCH", f"/v1/reviews/{review['id']}", {"rating": 5, "text": "Great."},
                   token=token, route="/v1/reviews/{review_id}"))["review"]["rating"] == 5
    assert ok(rest("GET", f"/v1/reviews/{review['id']}",
                   route="/v1/reviews/{review_id}"))["review"]["text"] == "Great."
    listed = ok(rest("GET", f"/v1/books/{book['id']}/reviews?order=REVIEW_ORDER_MOST_HELPFUL",
                     route="/v1/books/{book_id}/reviews"))["reviews"]
    assert [r["id"] for r in listed] == [review["id"]]
    assert ok(rest("GET", f"/v1/books/{book['id']}/rating",
                   route="/v1/books/{book_id}/rating"))["rating"]["histogram"] == \
        ["0", "0", "0", "0", "1"]
    assert ok(rest("POST", f"/v1/reviews/{review['id']}:markHelpful", {}, token=admin,
                   route="/v1/reviews/{review_id}:markHelpful"))["review"]["helpfulCount"] == "1"
    assert ok(rest("POST", f"/v1/reviews/{review['id']}:answer", {"text": "Thanks!"},
                   token=seller_token, route="/v1/reviews/{review_id}:answer"))["review"][
        "answer"]["text"] == "Thanks!"
    assert ok(rest("POST", f"/v1/reviews/{review['id']}:hide", {"reason": "test"}, token=admin,
                   route="/v1/reviews/{review_id}:hide"))["review"]["hidden"] is True
    assert ok(rest("POST", f"/v1/reviews/{review['id']}:unhide", {}, token=admin,
                   route="/v1/reviews/{review_id}:unhide"))["review"]["hidden"] is False
    ok(rest("DELETE", f"/v1/reviews/{review['id']}", token=token,
            route="/v1/reviews/{review_id}"))
    # ---- cancellation and refusal, each a saga
    again = ok(rest("POST", "/v1/checkouts", {
        "items": [{"bookId": book["id"], "quantity": 1}], "shippingAddress": ADDRESS,
        "paymentMethodToken": "tok_ok", "idempotencyKey": uuid.uuid4().hex}, token=token))
    cancelled = ok(rest("POST", f"/v1/orders/{again['orderId']}:cancel", {"reason": "oops"},
                        token=token, route="/v1/orders/{order_id}:cancel"))["saga"]
    assert cancelled["kind"] == "SAGA_KIND_CANCELLATION" and \
        cancelled["status"] == "SAGA_STATUS_COMPLETED"
    third = ok(rest("POST", "/v1/checkouts", {
        "items": [{"bookId": book["id"], "quantity": 1}], "shippingAddress": ADDRESS,
        "paymentMethodToken": "tok_ok", "idempotencyKey": uuid.uuid4().hex}, token=token))
    refusal = ok(rest("POST", f"/v1/orders/{third['orderId']}:refuse",
                      {"reason": "out of print"}, token=seller_token,
                      route="/v1/orders/{order_id}:refuse"))["saga"]
    assert refusal["status"] == "SAGA_STATUS_COMPLETED"
    # ---- operators: listings, the reconciler, and the saga actions (a
    # completed saga refuses each with FAILED_PRECONDITION -> 400)
    assert any(s["id"] == saga["id"] for s in ok(rest(
        "GET", "/v1/sagas?status=SAGA_STATUS_COMPLETED&page.pageSize=100", token=admin,
        route="/v1/sagas"))["sagas"])
    assert any(p["orderId"] == order_id for p in ok(rest(
        "GET", f"/v1/payments?orderIds={order_id}", token=admin, route="/v1/payments"))[
        "payments"])
    assert ok(rest("GET", f"/v1/reservations?orderIds={order_id}", token=admin,
                   route="/v1/reservations"))["reservations"][0]["status"] == \
        "RESERVATION_STATUS_COMMITTED"
    passed = ok(rest("POST", "/v1/divergences:reconcile", {}, token=admin,
                     route="/v1/divergences:reconcile"))
    assert {"examined", "found", "repaired", "open"} <= set(passed), passed  # 0s: too recent
    ok(rest("GET", "/v1/divergences?status=DIVERGENCE_STATUS_OPEN", token=admin,
            route="/v1/divergences"))
    for action in ("retryNow", "resume", "forceCompensate", "markResolved"):
        body = {"reason": "a test", "outcome": "SAGA_STATUS_COMPLETED"} \
            if action == "markResolved" else {"reason": "a test"}
        refused(rest("POST", f"/v1/sagas/{saga['id']}:{action}", body, token=admin,
                     route=f"/v1/sagas/{{saga_id}}:{action}"), 400, "FAILED_PRECONDITION")
    # ---- and the last two of identity
    disabled = ok(rest("POST", f"/v1/users/{seller['id']}:disable", {}, token=admin,
                       route="/v1/users/{user_id}:disable"))
    assert disabled["user"]["disabled"] is True
    ok(rest("POST", "/v1/auth:logout", {"refreshToken": refresh}, token=token,
            route="/v1/auth:logout"))
    # every route of the document was called
    doc = ok(rest("GET", "/openapi.json"))
    annotated = {(verb.upper(), path) for path, ops in doc["paths"].items() for verb in ops}
    assert annotated == system.rest.called, annotated ^ system.rest.called


def test_statuses_and_errors(system):
    rest = system.rest
    customer = minted(system, "CUSTOMER", "cust-g")
    refused(rest("GET", "/v1/users/me"), 401, "UNAUTHENTICATED", "missing authorization")
    refused(rest("GET", "/v1/books", token="not-a-jwt"), 401, "UNAUTHENTICATED",
            "invalid token")
    refused(rest("GET", "/v1/sagas", token=customer), 403, "PERMISSION_DENIED")
    refused(rest("GET", f"/v1/books/{uuid.uuid4()}"), 404, "NOT_FOUND")
    refused(rest("POST", "/v1/checkouts", {"items": []}, token=customer), 400,
            "INVALID_ARGUMENT")
    refused(rest("POST", "/v1/checkouts", {"itemz": []}, token=customer), 400,
            "INVALID_ARGUMENT", "itemz")
    refused(rest("POST", "/v1/checkouts", raw=b"{broken", token=customer), 400,
            "INVALID_ARGUMENT", "JSON body")
    refused(rest("GET", "/v1/books?colour=red"), 400, "INVALID_ARGUMENT",
            "unknown parameter 'colour'")
    refused(rest("GET", "/v1/no/such/route"), 404, "NOT_FOUND", "no route")
    refused(rest("DELETE", "/v1/books"), 405, "UNIMPLEMENTED", "not allowed")
    # RFC 9110: a 405 says what the path allows
    allow = rest("DELETE", "/v1/books")[2]["Allow"]
    assert allow and set(allow.split(", ")) >= {"GET", "HEAD", "POST"}, allow
    # HEAD is served wherever GET is: the same status and headers, no body
    status, body, headers = rest("HEAD", "/v1/books")
    assert status == 200 and body == "" and headers["Content-Type"] == "application/json", \
        (status, body)
    email = f"d{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": "a-good-password-1", "displayName": "D"}
    ok(rest("POST", "/v1/users:register", body))
    refused(rest("POST", "/v1/users:register", body), 409, "ALREADY_EXISTS")
    big = {"email": "x@example.com", "password": "p" * (70 << 10), "displayName": "x"}
    code, err, _ = rest("POST", "/v1/users:register", big)
    assert code == 413 and err["status"] == "RESOURCE_EXHAUSTED", err


def test_the_trace_context_goes_on_to_the_service(system):
    trace = uuid.uuid4().hex
    code, _, _ = system.rest("GET", "/v1/books", headers={
        "traceparent": f"00-{trace}-{uuid.uuid4().hex[:16]}-01"})
    assert code == 200
    assert wait_for(lambda: trace in system.catalog.log_text(), timeout=5)


def test_cors_health_metrics_and_the_document(system):
    rest = system.rest
    code, _, headers = rest("OPTIONS", "/v1/books", headers={
        "Origin": "http://console.example", "Access-Control-Request-Method": "GET"})
    assert code == 204 and headers["Access-Control-Allow-Origin"] == "http://console.example"
    assert "authorization" in headers["Access-Control-Allow-Headers"]
    code, _, headers = rest("OPTIONS", "/v1/books", headers={"Origin": "http://evil.example"})
    assert code == 403 and "Access-Control-Allow-Origin" not in headers
    code, _, headers = rest("GET", "/v1/books", headers={"Origin": "http://console.example"})
    assert code == 200 and headers["Access-Control-Allow-Origin"] == "http://console.example"
    code, _, headers = rest("GET", "/v1/books", headers={"Origin": "http://evil.example"})
    assert code == 200 and "Access-Control-Allow-Origin" not in headers
    assert ok(rest("GET", "/healthz")) == {"status": "SERVING"}
    code, text, headers = rest("GET", "/metrics")
    assert code == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert re.search(r'bookstore_gateway_requests_total\{route="/v1/books",method="GET",'
                     r'code="200"\} [1-9]', text), text[:2000]
    doc = ok(rest("GET", "/openapi.json"))
    assert doc["openapi"].startswith("3.") and "/v1/checkouts" in doc["paths"]
    place = doc["paths"]["/v1/checkouts"]["post"]
    assert place["requestBody"]["content"]["application/json"]["schema"]["$ref"] == \
        "#/components/schemas/bookstore.checkout.v1.PlaceOrderRequest"
    for op in (o for ops in doc["paths"].values() for o in ops.values()):
        for p in op.get("parameters", []):
            assert p["in"] in ("path", "query")
        for ref in re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(op)):
            assert ref in doc["components"]["schemas"], ref
    ids = [o["operationId"] for ops in doc["paths"].values() for o in ops.values()]
    assert len(ids) == len(set(ids))


def test_rate_limit_and_a_service_down(system):
    limited = start_gateway(system, BOOKSTORE_GATEWAY_RATE_LIMIT="3",
                            BOOKSTORE_GATEWAY_RATE_WINDOW_MS="60000",
                            BOOKSTORE_GATEWAY_RATE_NAMESPACE=uuid.uuid4().hex[:8],
                            BOOKSTORE_CATALOG_TARGET="127.0.0.1:9")  # nothing listens there
    try:
        rest = Rest(limited)
        refused(rest("GET", "/v1/books"), 503, "UNAVAILABLE")
        statuses = [rest("GET", "/v1/books")[0] for _ in range(3)]
        assert statuses == [503, 503, 429]
        refused(rest("GET", "/v1/books"), 429, "RESOURCE_EXHAUSTED", "slow down")
    finally:
        assert limited.stop() == 0, limited.stderr[-2000:]


def test_login_limits_hold_through_the_gateway(system):
    """Through the gateway identity sees each client, not the gateway: the
    gateway passes the client's address (after its own trusted-proxy rule:
    here a load balancer on 127.0.0.1 names the clients), identity believes it
    from the gateway only. A guesser slows down its own guesses, not the
    owner's login; one address's login limit shuts off that address only."""
    ns = f"gw{uuid.uuid4().hex[:8]}"
    identity = system.start("identity", {
        "BOOKSTORE_JWT_SIGNING_KEY": str(system.key_dir / "k1.pem"),
        "BOOKSTORE_JWT_SIGNING_KID": "k1",
        "BOOKSTORE_IDENTITY_ARGON2_OPSLIMIT": "1", "BOOKSTORE_IDENTITY_ARGON2_MEMLIMIT": "8M",
        "BOOKSTORE_IDENTITY_LIMIT_NAMESPACE": ns,
        "BOOKSTORE_IDENTITY_LOGIN_FREE_FAILURES": "3",
        "BOOKSTORE_IDENTITY_LOGIN_DELAY_MS": "60000",
        "BOOKSTORE_IDENTITY_LOGIN_LIMIT_PER_PEER": "5",
        "BOOKSTORE_IDENTITY_TRUSTED_PROXIES": "127.0.0.1"})
    gw = start_gateway(system, BOOKSTORE_IDENTITY_TARGET=identity.target,
                       BOOKSTORE_GATEWAY_TRUSTED_PROXIES="127.0.0.1")
    try:
        rest = Rest(gw)
        email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
        assert rest("POST", "/v1/users:register", {"email": email,
                                                   "password": "a-good-password-1",
                                                   "displayName": "Owner"},
                    headers={"X-Forwarded-For": "192.0.2.50"})[0] == 200

        def login(client, password):
            return rest("POST", "/v1/auth:login", {"email": email, "password": password},
                        headers={"X-Forwarded-For": client})

        guesser, owner = "203.0.113.9", "198.51.100.7"
        assert [login(guesser, "wrong-pass-1")[0] for _ in range(3)] == [401] * 3
        status, body, _ = login(guesser, "a-good-password-1")
        assert status == 429 and "too many failed logins" in body["message"], body
        assert login(owner, "a-good-password-1")[0] == 200  # the owner is not locked out
        # one address's limit: the guesser's address is shut off, nobody else's
        for _ in range(3):
            login(guesser, "wrong-pass-1")
        status, body, _ = login(guesser, "wrong-pass-1")
        assert status == 429 and "from your address" in body["message"], body
        assert login("198.51.100.8", "a-good-password-1")[0] == 200
    finally:
        assert gw.stop() == 0, gw.stderr[-2000:]
        assert identity.stop() == 0, identity.stderr[-2000:]


def test_text_that_is_not_utf8_is_refused_naming_where(system):
    """Invalid UTF-8 gets a 400 that says where -- the body's field, the query
    or path parameter -- never a 500, and a query value is never dropped (which
    would turn a filtered request into an unfiltered one)."""
    rest = system.rest
    seller = minted(system, "SELLER", "seller-utf8")
    body = b'{"title": "ra\xff\xfe", "authors": ["A"], "isbn13": "9780306406157", ' \
        b'"price": {"currencyCode": "EUR", "units": 10}}'
    err = refused(rest("POST", "/v1/books", raw=body, token=seller), 400, "INVALID_ARGUMENT",
                  "not valid UTF-8")
    assert '"title"' in err["message"], err
    utf16 = '{"title": "x"}'.encode("utf-16")
    refused(rest("POST", "/v1/books", raw=utf16, token=seller), 400, "INVALID_ARGUMENT",
            "not valid UTF-8")
    err = refused(rest("GET", "/v1/books?query=%FF%FE"), 400, "INVALID_ARGUMENT",
                  "not valid UTF-8")
    assert "'query'" in err["message"], err
    refused(rest("GET", "/v1/books?query=ra%C0%AF"), 400, "INVALID_ARGUMENT", "'query'")
    refused(rest("GET", "/v1/books/%C0%AF"), 400, "INVALID_ARGUMENT", "path parameter")
    assert rest("GET", "/healthz")[0] == 200


def test_made_up_methods_make_no_new_metric_series(system):
    """The method label is one of a fixed set: 40 requests with made-up
    methods add one series ("other"), not 40."""
    import http.client
    for i in range(40):
        conn = http.client.HTTPConnection("127.0.0.1", system.gateway.port, timeout=10)
        conn.request(f"X{uuid.uuid4().hex[:10].upper()}", "/v1/books")
        conn.getresponse().read()
        conn.close()
    status, text, _ = system.rest("GET", "/metrics")
    assert status == 200
    methods = set(re.findall(r'method="([^"]*)"', text))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}, \
        methods
    assert "other" in methods


def test_the_readme_curl_walkthrough_runs_as_written(system):
    system.book(on_hand=5, units=15)  # something on sale
    text = open(os.path.join(os.environ["BOOKSTORE_SOURCE_ROOT"], "README.md")).read()
    block = text.split("<!-- walkthrough: rest -->", 1)[1].split("```sh\n", 1)[1] \
        .split("```", 1)[0]
    script = block.replace("http://127.0.0.1:8080", f"http://127.0.0.1:{system.gateway.port}")
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
    out = r.stdout
    assert '"role":"ROLE_CUSTOMER"' in out  # registered
    assert '"status":"SAGA_STATUS_COMPLETED"' in out  # the checkout
    assert '"status":"ORDER_STATUS_CONFIRMED"' in out  # the order listing
    assert '"status":"FAILED_PRECONDITION"' in out and "delivered" in out  # the early review
    paths = int(re.search(r"(\d+) paths", out).group(1))
    assert paths == len(ok(system.rest("GET", "/openapi.json"))["paths"])


def test_watching_a_saga_is_a_stream_of_server_sent_events(system):
    """GET /v1/sagas/{id}:watch answers text/event-stream: a `data:` line of
    JSON per state, the last one final, and the stream ends with the saga."""
    book, buyer = system.book(on_hand=3, units=11), system.customer()
    placed = buyer.place(book)
    rest = system.rest
    req = urllib.request.Request(f"{rest.base}/v1/sagas/{placed.saga.id}:watch",
                                 headers={"Authorization": buyer.md[0][1]})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "text/event-stream"
        body = r.read().decode()  # returns once the saga ended and the stream closed
    events = [json.loads(line[len("data: "):]) for line in body.splitlines()
              if line.startswith("data: ")]
    assert events and events[-1]["saga"]["status"] == "SAGA_STATUS_COMPLETED", body
    assert all(e["saga"]["id"] == placed.saga.id for e in events)
    assert "event: error" not in body
    # someone else's saga, and one that does not exist: an HTTP error, no stream
    other = system.customer()
    refused(rest("GET", f"/v1/sagas/{placed.saga.id}:watch", token=other.token), 404,
            "NOT_FOUND")
    refused(rest("GET", f"/v1/sagas/{uuid.uuid4()}:watch", token=buyer.token), 404,
            "NOT_FOUND")
    refused(rest("GET", f"/v1/sagas/{placed.saga.id}:watch"), 401, "UNAUTHENTICATED")
