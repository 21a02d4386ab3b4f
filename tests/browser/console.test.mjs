// The web console in a real browser: Debian's Chromium driven by
// playwright-core (no browser download), against a running gateway and the
// whole system (tests/e2e/test_console.py starts them and passes):
//   GATEWAY_URL, BOOK_TITLE (a book on sale), ADMIN_TOKEN, SCREENSHOTS (a dir).
// Each page is saved as a screenshot; any uncaught error in the page fails.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

const base = process.env.GATEWAY_URL;
const shots = process.env.SCREENSHOTS;
let browser;
const pageErrors = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
});
after(async () => { await browser?.close(); });

async function newPage(session) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  if (session)
    await context.addInitScript((s) => localStorage.setItem("bookstore.session", JSON.stringify(s)), session);
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("dialog", (d) => d.accept(d.type() === "prompt" ? "a test" : undefined));
  return page;
}

const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

async function registerAndBuy(page, card) {
  await page.goto(`${base}/#/register`);
  await page.fill("input[name=displayName]", "Browser Reader");
  await page.fill("input[name=email]", `b${Date.now()}${Math.floor(Math.random() * 1e6)}@example.com`);
  await page.fill("input[name=password]", "a-good-password-1");
  await page.click("[data-testid=register]");
  await page.waitForSelector("[data-testid=who]:has-text('(customer)')");
  await page.fill("[data-testid=search]", process.env.BOOK_TITLE);
  await page.press("[data-testid=search]", "Enter");
  await page.click(`[data-testid=book-link]:has-text("${process.env.BOOK_TITLE}")`);
  await page.waitForSelector("[data-testid=book-title]");
  assert.match(await page.textContent("[data-testid=book-stock]"), /^\d+ in stock$/);
  await page.click("[data-testid=add-to-cart]");
  await page.waitForSelector("[data-testid=place-order]");
  for (const [name, value] of [["recipient", "Browser Reader"], ["line1", "1 Main St"],
    ["city", "Berlin"], ["postalCode", "10115"], ["countryCode", "DE"]])
    await page.fill(`input[name=${name}]`, value);
  await page.selectOption("[data-testid=card]", card);
  return page;
}

test("a customer registers, finds a book, orders it and sees the saga complete", async () => {
  const page = await newPage();
  await page.goto(`${base}/`);
  await page.waitForSelector("[data-testid=book-link]");
  await shot(page, "books");
  await registerAndBuy(page, "tok_ok");
  await shot(page, "cart");
  await page.click("[data-testid=place-order]");
  const status = page.locator("[data-testid=saga-status]");
  await status.waitFor();
  await page.waitForFunction(() => document.querySelector("[data-testid=saga-status]")?.textContent === "COMPLETED");
  assert.equal(await page.locator("ol.steps li").count(), 6);
  await shot(page, "saga-completed");
  await page.goto(`${base}/#/orders`);
  await page.waitForSelector("[data-testid=order-row]");
  assert.match(await page.textContent("[data-testid=order-row]"), /CONFIRMED/);
  await shot(page, "orders");
  await page.goto(`${base}/#/book/no-such-book`);
  await page.waitForSelector("[data-testid=error]:not([hidden])");
  assert.match(await page.textContent("[data-testid=error]"), /NOT_FOUND/);
});

test("a refused payment shows its reason", async () => {
  const page = await registerAndBuy(await newPage(), "tok_decline");
  await page.click("[data-testid=place-order]");
  await page.waitForFunction(() => document.querySelector("[data-testid=saga-status]")?.textContent === "COMPENSATED");
  assert.match(await page.textContent("[data-testid=saga-reason]"), /declined/);
  await shot(page, "saga-declined");
});

test("an admin sees the sagas", async () => {
  const page = await newPage({ token: process.env.ADMIN_TOKEN, role: "ADMIN", email: "admin@example.com", userId: "admin-1" });
  await page.goto(`${base}/#/admin`);
  await page.waitForSelector("[data-testid=saga-row]");
  const rows = await page.locator("[data-testid=saga-row]").allTextContents();
  assert.ok(rows.some((r) => r.includes("COMPLETED")) && rows.some((r) => r.includes("COMPENSATED")), rows.join("\n"));
  await shot(page, "admin-sagas");
  await page.selectOption("select[name=status]", "SAGA_STATUS_COMPENSATED");
  await page.click("#filter button");
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=saga-row]")]
    .every((r) => r.textContent.includes("COMPENSATED")));
});

test("no page threw", () => { assert.deepEqual(pageErrors, []); });
