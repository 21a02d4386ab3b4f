// The bookstore console: a JavaScript module over the gateway's REST/JSON API
// (the same routes as /openapi.json), no framework and nothing to build. Views
// are functions of the URL's hash; the session (token, role) and the cart live
// in localStorage.
const $ = (sel, root = document) => root.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const money = (m) => m && m.currencyCode
  ? `${m.units}.${String(Math.floor((m.nanos || 0) / 1e7)).padStart(2, "0")} ${m.currencyCode}` : "";
const short = (name, prefix) => String(name || "").replace(prefix, "");

// ---- session, cart, API -------------------------------------------------

const store = {
  get(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; }
  },
  set(key, value) { localStorage.setItem(key, JSON.stringify(value)); },
};
const session = () => store.get("bookstore.session", null);
const cart = () => store.get("bookstore.cart", []);

class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.status || "";
  }
}

function headers(json) {
  const h = {};
  const s = session();
  if (s) h.authorization = `Bearer ${s.token}`;
  if (json) h["content-type"] = "application/json";
  return h;
}

async function api(method, path, body) {
  const res = await fetch(path, { method, headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Follows GET /v1/sagas/{id}:watch (server-sent events) with fetch, which,
// unlike EventSource, can send the token; calls onSaga with every state.
async function watchSaga(id, onSaga) {
  const res = await fetch(`/v1/sagas/${encodeURIComponent(id)}:watch`, { headers: headers(false) });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end; (end = buffer.indexOf("\n\n")) >= 0;) {
      const lines = buffer.slice(0, end).split("\n");
      buffer = buffer.slice(end + 2);
      const data = JSON.parse(lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n"));
      if (lines.includes("event: error")) throw new ApiError(500, data);
      onSaga(data.saga);
    }
  }
}

function showError(e) {
  const el = $("#error");
  el.textContent = e.code ? `${e.code}: ${e.message}` : e.message;
  el.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { el.hidden = true; }, 10000);
}

const view = (html) => { $("#view").innerHTML = html; };
const go = (hash) => { location.hash = hash; };
function form(id, handler) {
  $(id).addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await handler(Object.fromEntries(new FormData(ev.target))); } catch (e) { showError(e); }
  });
}
function onClick(selector, handler) {
  for (const el of document.querySelectorAll(selector))
    el.addEventListener("click", async () => { try { await handler(el.dataset); } catch (e) { showError(e); } });
}

// ---- books ---------------------------------------------------------------

async function books(params) {
  const query = params.get("q") || "";
  const list = await api("GET", `/v1/books?status=BOOK_STATUS_ON_SALE&page.pageSize=50` +
    (query ? `&query=${encodeURIComponent(query)}` : ""));
  view(`<h1>Books</h1>
    <form class="inline" id="search"><label>Search titles and authors
      <input name="q" value="${esc(query)}" data-testid="search"></label><button>Search</button></form>
    <table><thead><tr><th>Title</th><th>Authors</th><th>Price</th><th>Rating</th></tr></thead><tbody>
    ${list.books.map((b) => `<tr><td><a href="#/book/${esc(b.id)}" data-testid="book-link">${esc(b.title)}</a></td>
      <td>${esc(b.authors.join(", "))}</td><td>${esc(money(b.price))}</td>
      <td>${b.rating.count !== "0" ? `${b.rating.average.toFixed(1)} (${esc(b.rating.count)})` : "<span class=muted>none yet</span>"}</td></tr>`).join("")}
    </tbody></table>${list.books.length ? "" : "<p class=muted>Nothing on sale matches.</p>"}`);
  form("#search", (f) => go(`#/?q=${encodeURIComponent(f.q)}`));
}

async function book(id) {
  const [{ book: b }, { stock }, { reviews }] = await Promise.all([
    api("GET", `/v1/books/${encodeURIComponent(id)}`),
    api("GET", `/v1/books/${encodeURIComponent(id)}/stock`),
    api("GET", `/v1/books/${encodeURIComponent(id)}/reviews?order=REVIEW_ORDER_MOST_HELPFUL`)]);
  view(`<h1 data-testid="book-title">${esc(b.title)}</h1>
    <div class="card"><p>${esc(b.authors.join(", "))} &middot; ISBN ${esc(b.isbn13)}</p>
    <p>${esc(b.description)}</p>
    <p><strong data-testid="book-price">${esc(money(b.price))}</strong> &middot;
      <span data-testid="book-stock">${esc(stock.available)} in stock</span> &middot;
      ${b.rating.count !== "0" ? `${b.rating.average.toFixed(1)} of 5 from ${esc(b.rating.count)} reviews` : "no reviews yet"}</p>
    <form class="inline" id="add"><label>Quantity <input name="quantity" type="number" min="1" max="100" value="1"></label>
      <button data-testid="add-to-cart">Add to cart</button></form></div>
    <h2>Reviews</h2>${reviews.map((r) => `<div class="card"><strong>${"★".repeat(r.rating)}</strong> ${esc(r.text)}
      ${r.answer ? `<p class="muted">The seller: ${esc(r.answer.text)}</p>` : ""}</div>`).join("") || "<p class=muted>None yet.</p>"}`);
  form("#add", (f) => {
    const items = cart().filter((i) => i.bookId !== b.id);
    items.push({ bookId: b.id, title: b.title, quantity: Number(f.quantity), price: b.price });
    store.set("bookstore.cart", items);
    go("#/cart");
  });
}

// ---- cart, checkout, the saga ---------------------------------------------

function cartView() {
  const items = cart();
  view(`<h1>Cart</h1>${items.length ? `<table><thead><tr><th>Book</th><th>Quantity</th><th>Price</th><th></th></tr></thead><tbody>
    ${items.map((i) => `<tr><td>${esc(i.title)}</td><td>${i.quantity}</td><td>${esc(money(i.price))}</td>
      <td><button class="secondary" data-remove="${esc(i.bookId)}">Remove</button></td></tr>`).join("")}</tbody></table>
    <form id="checkout"><h2>Deliver to</h2>
      <label>Recipient <input name="recipient" required></label>
      <label>Street <input name="line1" required></label>
      <label>City <input name="city" required></label>
      <label>Postal code <input name="postalCode" required></label>
      <label>Country (2 letters) <input name="countryCode" required maxlength="2" value="DE"></label>
      <label>Card (simulated provider) <select name="token" data-testid="card">
        <option value="tok_ok">tok_ok: accepted</option><option value="tok_decline">tok_decline: declined</option>
        <option value="tok_insufficient_funds">tok_insufficient_funds</option><option value="tok_slow">tok_slow: slow</option></select></label>
      <button data-testid="place-order">Place order</button></form>` : "<p class=muted>Your cart is empty.</p>"}`);
  onClick("[data-remove]", (d) => { store.set("bookstore.cart", cart().filter((i) => i.bookId !== d.remove)); cartView(); });
  if (!items.length) return;
  form("#checkout", async (f) => {
    if (!session()) return go("#/login");
    const { token, ...address } = f;
    const placed = await api("POST", "/v1/checkouts", {
      items: items.map((i) => ({ bookId: i.bookId, quantity: i.quantity })),
      shippingAddress: address, paymentMethodToken: token, idempotencyKey: crypto.randomUUID() });
    store.set("bookstore.cart", []);
    go(`#/saga/${placed.saga.id}`);
  });
}

function sagaHtml(s) {
  const status = short(s.status, "SAGA_STATUS_");
  return `<h1>Order ${esc(s.orderId || "")}</h1><div class="card">
    <p>The ${esc(short(s.kind, "SAGA_KIND_").toLowerCase())}: <span data-testid="saga-status" class="status-${esc(status)}">${esc(status)}</span></p>
    ${s.failureReason ? `<p data-testid="saga-reason">${esc(s.failureReason)}</p>` : ""}
    <ol class="steps">${s.steps.map((st) => `<li>${esc(st.name)}: <span class="status-${esc(short(st.status, "STEP_STATUS_"))}">${esc(short(st.status, "STEP_STATUS_"))}</span>
      ${st.lastError ? `<span class="muted">(${esc(st.lastError)})</span>` : ""}</li>`).join("")}</ol></div>
    <p><a href="#/orders">Your orders</a></p>`;
}

async function saga(id) {
  view(`<p class="muted">Following the saga...</p>`);
  await watchSaga(id, (s) => { if (location.hash === `#/saga/${id}`) view(sagaHtml(s)); });
}

// ---- orders ----------------------------------------------------------------

async function orders() {
  const { orders: list } = await api("GET", "/v1/orders?page.pageSize=100");
  view(`<h1>Your orders</h1><table><thead><tr><th>Order</th><th>Status</th><th>Total</th><th></th></tr></thead><tbody>
    ${list.reverse().map((o) => `<tr data-testid="order-row"><td>${esc(o.id)}<br><span class="muted">${esc(o.items.map((i) => `${i.quantity} x ${i.title}`).join(", "))}</span></td>
      <td class="status-${esc(short(o.status, "ORDER_STATUS_"))}">${esc(short(o.status, "ORDER_STATUS_"))}<br><span class="muted">${esc(o.statusReason)}</span></td>
      <td>${esc(money(o.total))}</td><td>${o.status === "ORDER_STATUS_CONFIRMED" ? `<button class="secondary" data-cancel="${esc(o.id)}">Cancel</button>` : ""}
      <a href="#/order-saga/${esc(o.id)}">progress</a></td></tr>`).join("")}</tbody></table>`);
  onClick("[data-cancel]", async (d) => {
    const reason = prompt("Why? (optional)") ?? "";
    const r = await api("POST", `/v1/orders/${encodeURIComponent(d.cancel)}:cancel`, { reason });
    go(`#/saga/${r.saga.id}`);
  });
}

async function orderSaga(orderId) {
  const { saga: s } = await api("GET", `/v1/orders/${encodeURIComponent(orderId)}/saga`);
  go(`#/saga/${s.id}`);
}

// ---- the seller's shop ---------------------------------------------------------

async function seller() {
  const me = session();
  const [{ books: all }, { orders: list }] = await Promise.all([
    api("GET", "/v1/books?page.pageSize=100"), api("GET", "/v1/orders?page.pageSize=100")]);
  const mine = all.filter((b) => b.sellerId === me.userId);
  const stock = await Promise.all(mine.map((b) => api("GET", `/v1/books/${b.id}/stock`)));
  view(`<h1>Your shop</h1>
    <form id="new-book"><h2>A new book</h2><label>Title <input name="title" required></label>
      <label>Author <input name="author" required></label><label>ISBN-13 <input name="isbn13" required></label>
      <label>Price (EUR) <input name="price" type="number" min="0" step="0.01" required></label><button>Create</button></form>
    <h2>Books</h2><table><thead><tr><th>Title</th><th>Status</th><th>Available</th><th>Stock</th></tr></thead><tbody>
    ${mine.map((b, i) => `<tr><td>${esc(b.title)}</td><td>${esc(short(b.status, "BOOK_STATUS_"))}
      ${b.status === "BOOK_STATUS_REGISTERED" ? `<button class="secondary" data-on-sale="${esc(b.id)}">Put on sale</button>` : ""}</td>
      <td>${esc(stock[i].stock.available)}</td><td><form class="inline" data-stock="${esc(b.id)}"><input name="onHand" type="number" min="0" value="${esc(stock[i].stock.onHand)}"><button class="secondary">Set</button></form></td></tr>`).join("")}</tbody></table>
    <h2>Orders with your books</h2><table><tbody>
    ${list.map((o) => `<tr><td>${esc(o.id)}</td><td>${esc(short(o.status, "ORDER_STATUS_"))}</td><td>
      ${o.status === "ORDER_STATUS_CONFIRMED" ? `<button data-act="ship" data-id="${esc(o.id)}">Ship</button> <button class="secondary" data-act="refuse" data-id="${esc(o.id)}">Refuse</button>` : ""}
      ${o.status === "ORDER_STATUS_SHIPPED" ? `<button data-act="deliver" data-id="${esc(o.id)}">Delivered</button>` : ""}</td></tr>`).join("")}</tbody></table>`);
  form("#new-book", async (f) => {
    const [units, cents = "0"] = f.price.split(".");
    await api("POST", "/v1/books", { title: f.title, authors: [f.author], isbn13: f.isbn13,
      price: { currencyCode: "EUR", units, nanos: Number(cents.padEnd(2, "0").slice(0, 2)) * 1e7 } });
    seller();
  });
  for (const el of document.querySelectorAll("[data-stock]"))
    el.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try { await api("PUT", `/v1/books/${el.dataset.stock}/stock`, { onHand: new FormData(el).get("onHand") }); seller(); } catch (e) { showError(e); }
    });
  onClick("[data-on-sale]", async (d) => { await api("POST", `/v1/books/${d.onSale}:setStatus`, { status: "BOOK_STATUS_ON_SALE" }); seller(); });
  onClick("[data-act]", async (d) => {
    const body = d.act === "refuse" ? { reason: prompt("Why? The customer sees it.") || "" } : {};
    await api("POST", `/v1/orders/${d.id}:${d.act}`, body);
    seller();
  });
}

// ---- admin: the sagas ---------------------------------------------------------------

async function admin(params) {
  const status = params.get("status") || "";
  const { sagas } = await api("GET", `/v1/sagas?page.pageSize=100${status ? `&status=${status}` : ""}${params.get("stuck") ? "&stuck=true" : ""}`);
  const statuses = ["", "SAGA_STATUS_RUNNING", "SAGA_STATUS_COMPENSATING", "SAGA_STATUS_COMPLETED", "SAGA_STATUS_COMPENSATED", "SAGA_STATUS_FAILED"];
  view(`<h1>Sagas</h1><form class="inline" id="filter"><label>Status <select name="status">
    ${statuses.map((s) => `<option value="${s}" ${s === status ? "selected" : ""}>${s ? short(s, "SAGA_STATUS_") : "any"}</option>`).join("")}</select></label>
    <label><input type="checkbox" name="stuck" ${params.get("stuck") ? "checked" : ""}> stuck only</label><button>Filter</button></form>
    <table><thead><tr><th>Saga</th><th>Kind</th><th>Status</th><th>Step</th><th>Actions</th></tr></thead><tbody>
    ${sagas.map((s) => `<tr data-testid="saga-row"><td><a href="#/saga/${esc(s.id)}">${esc(s.id)}</a><br><span class="muted">order ${esc(s.orderId)}</span></td>
      <td>${esc(short(s.kind, "SAGA_KIND_"))}</td><td class="status-${esc(short(s.status, "SAGA_STATUS_"))}">${esc(short(s.status, "SAGA_STATUS_"))}${s.stuck ? " (stuck)" : ""}
      <br><span class="muted">${esc(s.failureReason)}</span></td><td>${esc(s.step)}</td>
      <td>${["retryNow", "resume", "forceCompensate", "markResolved"].map((a) => `<button class="secondary" data-op="${a}" data-id="${esc(s.id)}">${a}</button>`).join(" ")}</td></tr>`).join("")}
    </tbody></table>`);
  form("#filter", (f) => go(`#/admin?status=${f.status || ""}${f.stuck ? "&stuck=1" : ""}`));
  onClick("[data-op]", async (d) => {
    const reason = prompt(`${d.op}: why? (kept in the audit trail)`);
    if (!reason) return;
    const body = { reason };
    if (d.op === "markResolved") body.outcome = prompt("Outcome: SAGA_STATUS_COMPLETED or SAGA_STATUS_COMPENSATED") || "";
    await api("POST", `/v1/sagas/${d.id}:${d.op}`, body);
    admin(params);
  });
}

// ---- accounts -------------------------------------------------------------------------

function remember(login) {
  store.set("bookstore.session", { token: login.tokens.accessToken, refresh: login.tokens.refreshToken,
    role: short(login.user.role, "ROLE_"), email: login.user.email, userId: login.user.id });
}

function loginView() {
  view(`<h1>Log in</h1><form id="login"><label>Email <input name="email" type="email" required></label>
    <label>Password <input name="password" type="password" required></label><button data-testid="login">Log in</button></form>`);
  form("#login", async (f) => { remember(await api("POST", "/v1/auth:login", f)); go("#/"); });
}

function registerView() {
  view(`<h1>Register</h1><form id="register"><label>Name <input name="displayName" required></label>
    <label>Email <input name="email" type="email" required></label>
    <label>Password (10 characters or more) <input name="password" type="password" required minlength="10"></label>
    <button data-testid="register">Register</button></form>`);
  form("#register", async (f) => {
    await api("POST", "/v1/users:register", f);
    remember(await api("POST", "/v1/auth:login", { email: f.email, password: f.password }));
    go("#/");
  });
}

// ---- the router -----------------------------------------------------------------------

const routes = [
  [/^#\/book\/(.+)$/, (m) => book(decodeURIComponent(m[1]))],
  [/^#\/cart$/, () => cartView()],
  [/^#\/saga\/(.+)$/, (m) => saga(decodeURIComponent(m[1]))],
  [/^#\/order-saga\/(.+)$/, (m) => orderSaga(decodeURIComponent(m[1]))],
  [/^#\/orders$/, () => orders()],
  [/^#\/seller$/, () => seller()],
  [/^#\/admin(\?.*)?$/, (m) => admin(new URLSearchParams((m[1] || "").slice(1)))],
  [/^#\/login$/, () => loginView()],
  [/^#\/register$/, () => registerView()],
  [/^(#\/?)?(\?.*)?$/, (m) => books(new URLSearchParams((m[2] || "").slice(1)))],
];

function renderNav() {
  const s = session();
  $("#who").textContent = s ? `${s.email} (${s.role.toLowerCase()})` : "";
  $("#login-link").hidden = $("#register-link").hidden = !!s;
  $("#logout").hidden = !s;
  for (const el of document.querySelectorAll("[data-role]")) el.hidden = !s || s.role !== el.dataset.role;
}

async function route() {
  renderNav();
  const hash = location.hash || "#/";
  for (const [pattern, render] of routes) {
    const m = hash.match(pattern);
    if (m) {
      try { await render(m); } catch (e) { showError(e); }
      return;
    }
  }
  view("<p>Not found.</p>");
}

$("#logout").addEventListener("click", async () => {
  const s = session();
  try { await api("POST", "/v1/auth:logout", { refreshToken: s.refresh }); } catch (e) { /* the token may be gone */ }
  localStorage.removeItem("bookstore.session");
  go("#/");
  renderNav();
});
window.addEventListener("hashchange", route);
route();
