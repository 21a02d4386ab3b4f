// bookstore-c from Node: register a customer, log in, list the books, check
// one out with an idempotency key, follow the saga with WatchSaga to its end,
// print the order and the book's reviews -- and show how a bad request (or a
// review before the order was delivered) comes back as a gRPC status.
//
// Stubs come from `node_modules/.bin/buf generate -o gen` (gen/node, made by
// protoc-gen-es); calls go through @connectrpc/connect-node's gRPC transport.
// Services from `scripts/run-local.sh` (BOOKSTORE_<SERVICE>_TARGET overrides).
"use strict";
const path = require("node:path");
const crypto = require("node:crypto");
const { createClient, ConnectError, Code } = require("@connectrpc/connect");
const { createGrpcTransport } = require("@connectrpc/connect-node");

const gen = process.env.BOOKSTORE_NODE_STUBS || path.join(__dirname, "..", "..", "gen", "node");
const stub = (pkg) => require(path.join(gen, "bookstore", pkg, "v1", `${pkg}_pb.js`));
const { IdentityService } = stub("identity");
const { CatalogService, BookStatus } = stub("catalog");
const { OrderService, OrderStatus } = stub("order");
const { CheckoutService, SagaStatus, StepStatus } = stub("checkout");
const { ReviewService, ReviewOrder } = stub("review");

function client(service, name, port) {
  const target = process.env[`BOOKSTORE_${name}_TARGET`] || `127.0.0.1:${port}`;
  return createClient(service, createGrpcTransport({ baseUrl: `http://${target}` }));
}

// Connect names codes in camel case (InvalidArgument); gRPC's own names are
// what grpcurl and the other languages print.
const grpcCode = (code) => Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
const money = (m) => `${m.units}.${String(Math.floor(m.nanos / 1e7)).padStart(2, "0")} ${m.currencyCode}`;

async function main() {
  const identity = client(IdentityService, "IDENTITY", 50051);
  const catalog = client(CatalogService, "CATALOG", 50052);
  const orders = client(OrderService, "ORDER", 50055);
  const checkout = client(CheckoutService, "CHECKOUT", 50056);
  const reviews = client(ReviewService, "REVIEW", 50057);

  const email = `reader-${crypto.randomBytes(4).toString("hex")}@example.com`;
  const password = "a-good-password-1";
  await identity.registerUser({ email, password, displayName: "Node Reader" }, { timeoutMs: 10000 });
  console.log(`registered ${email}`);
  const login = await identity.login({ email, password }, { timeoutMs: 10000 });
  const auth = { headers: { authorization: `Bearer ${login.tokens.accessToken}` }, timeoutMs: 30000 };

  const { books } = await catalog.listBooks({ status: BookStatus.ON_SALE }, { timeoutMs: 10000 });
  if (books.length === 0) throw new Error("no book on sale: the local run creates one (scripts/run-local.sh)");
  const book = books[0];
  console.log(`books: ${books.length} on sale, buying "${book.title}" (${book.id})`);

  const placed = await checkout.placeOrder({
    items: [{ bookId: book.id, quantity: 1 }],
    shippingAddress: { recipient: "Node Reader", line1: "1 Main St", city: "Berlin",
                       postalCode: "10115", countryCode: "DE" },
    paymentMethodToken: "tok_ok",
    idempotencyKey: crypto.randomUUID(),
  }, auth);
  let saga = placed.saga;
  for await (const update of checkout.watchSaga({ sagaId: saga.id }, { ...auth, timeoutMs: 60000 })) {
    saga = update.saga;
    const done = saga.steps.filter((s) => s.status === StepStatus.SUCCEEDED).length;
    console.log(`saga ${saga.id}: SAGA_STATUS_${SagaStatus[saga.status]} (${done}/${saga.steps.length} steps done)`);
  }
  if (saga.status !== SagaStatus.COMPLETED) throw new Error(`checkout did not complete: ${saga.failureReason}`);

  const { order } = await orders.getOrder({ orderId: saga.orderId }, auth);
  const lines = order.items.map((i) => `${i.quantity} x "${i.title}"`).join(", ");
  console.log(`order ${order.id}: ORDER_STATUS_${OrderStatus[order.status]}, total ${money(order.total)}, ${lines}`);

  const { rating } = await reviews.getRatingSummary({ bookId: book.id }, { timeoutMs: 10000 });
  const top = await reviews.listReviews({ bookId: book.id, order: ReviewOrder.MOST_HELPFUL },
                                        { timeoutMs: 10000 });
  console.log(`reviews of ${book.id}: ${rating.count}, average ${rating.average.toFixed(1)}, ` +
              `most helpful first: [${top.reviews.map((r) => r.rating).join(", ")}]`);

  // errors come back as a gRPC status: a code and a message a person can act on
  const attempts = [
    ["review before delivery", () => reviews.createReview({ bookId: book.id, rating: 5, text: "Great read." }, auth)],
    ["bad request", () => checkout.placeOrder({
      items: [{ bookId: book.id, quantity: 0 }], paymentMethodToken: "tok_ok",
      idempotencyKey: crypto.randomUUID() }, auth)],
    ["bad token", () => identity.getMe({}, { headers: { authorization: "Bearer expired" }, timeoutMs: 10000 })],
  ];
  for (const [what, call] of attempts) {
    try {
      await call();
      throw new Error(`${what}: no error?`);
    } catch (e) {
      if (!(e instanceof ConnectError)) throw e;
      console.log(`${what} -> ${grpcCode(e.code)}: ${e.rawMessage}`);
    }
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
