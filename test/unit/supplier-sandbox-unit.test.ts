import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { createSupplierApp, fileJournal, memoryJournal, type SupplierJournal } from "../../scripts/lib/supplier-app";
import { signBody } from "../../worker/domain/signature";
import { signRequest } from "../../worker/domain/supplier-sign";
import { httpSupplierClient } from "../../worker/suppliers/client";

const SECRET = "unit-supplier-secret";
const creds = { scheme: "kaquan_v1" as const, appId: null, secret: SECRET };
type App = ReturnType<typeof createSupplierApp>;

async function call(app: App, method: "GET" | "POST", path: string, params: Record<string, string | number> | null) {
  const signed = await signRequest(creds, method, path, params);
  const res = await app.request(signed.path, { method, headers: signed.headers, body: signed.body });
  return { status: res.status, body: (await res.json()) as any };
}

async function admin(app: App, path: string, body: unknown) {
  const raw = JSON.stringify(body);
  const res = await app.request(path, { method: "POST", headers: { "x-supplier-signature": await signBody(SECRET, raw) }, body: raw });
  return { status: res.status, body: (await res.json()) as any };
}

const start = (journal: SupplierJournal) => createSupplierApp(SECRET, {}, Math.random, journal);
const recharge = (app: App, orderRef: string) => call(app, "POST", "/acme/v1/recharge", { orderRef, sku: "PHONE-30", account: "13800138000", quantity: 1, notifyUrl: "http://127.0.0.1:9/cb" });
const status = async (app: App, orderRef: string) => (await call(app, "GET", `/acme/v1/orders/${orderRef}`, null)).body;

describe("supplier sandbox journal", () => {
  it("a restart keeps the orders it accepted and failed, not only the completed ones", async () => {
    const journal = memoryJournal();
    const first = start(journal);
    expect((await admin(first, "/acme/admin/profile", { delivery: "async", callbackDelayMs: null })).status).toBe(200);
    const accepted = await recharge(first, "o1:p");
    expect(accepted.body).toMatchObject({ status: "processing" });
    expect((await recharge(first, "o2:p")).body.status).toBe("processing");
    expect((await admin(first, "/acme/admin/settle", { orderRef: "o2:p", outcome: "failed", reason: "carrier_rejected" })).status).toBe(200);

    const again = start(journal); // the sandbox restarted
    expect(await status(again, "o1:p")).toMatchObject({ status: "processing", supplierRef: accepted.body.supplierRef });
    expect(await status(again, "o2:p")).toMatchObject({ status: "failed" });
    // Still idempotent by orderRef: the accepted order is not placed a second time; the failed one is not retried.
    expect((await recharge(again, "o1:p")).body).toMatchObject({ status: "processing", supplierRef: accepted.body.supplierRef });
    expect((await recharge(again, "o2:p")).status).toBe(502);
    // And it can still be settled after the restart.
    expect((await admin(again, "/acme/admin/settle", { orderRef: "o1:p", outcome: "succeeded" })).status).toBe(200);
    expect(await status(start(journal), "o1:p")).toMatchObject({ status: "succeeded", supplierRef: accepted.body.supplierRef });
  });

  it("a restart keeps the settings a demo or test gave it (delivery mode, faults), so a crash drill stays as hostile as set", async () => {
    const journal = memoryJournal();
    const first = start(journal);
    await admin(first, "/acme/admin/profile", { delivery: "async", callbackDelayMs: null, stock: { "PHONE-30": 7 } });
    await admin(first, "/acme/admin/faults", { outOfStock: true });
    const again = start(journal);
    expect((await call(again, "GET", "/acme/v1/stock/PHONE-30", null)).body.available).toBe(0);
    await admin(again, "/acme/admin/faults", { outOfStock: false });
    const third = start(journal);
    expect((await call(third, "GET", "/acme/v1/stock/PHONE-30", null)).body.available).toBe(7);
    expect((await recharge(third, "o9:p")).body.status).toBe("processing");
  });

  it("an accepted order's timer survives a restart; a forgotten order stays forgotten; an old journal of completions loads", async () => {
    const journal = memoryJournal();
    const first = start(journal);
    await admin(first, "/acme/admin/profile", { delivery: "async", callbackDelayMs: 300 });
    await recharge(first, "t1:p");
    await recharge(first, "f1:p");
    expect((await admin(first, "/acme/admin/forget", { orderRef: "f1:p" })).status).toBe(200);
    const again = start(journal);
    expect(await status(again, "f1:p")).toMatchObject({ status: "unknown", supplierRef: null });
    await new Promise((r) => setTimeout(r, 600));
    expect(await status(again, "t1:p")).toMatchObject({ status: "succeeded" });

    // A journal written before pending and failed orders were kept: completed orders only.
    const file = join(mkdtempSync(join(tmpdir(), "sandbox-")), "suppliers.jsonl");
    writeFileSync(file, `${JSON.stringify(["acme|old:p", { status: "succeeded", supplierRef: "acme-old" }])}\n`);
    const fromFile = start(fileJournal(file));
    expect(await status(fromFile, "old:p")).toMatchObject({ status: "succeeded", supplierRef: "acme-old" });
    await admin(fromFile, "/acme/admin/profile", { delivery: "async", callbackDelayMs: null });
    await recharge(fromFile, "new:p");
    expect(readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l)[1].status)).toEqual(["succeeded", "settings", "processing"]);
    expect(await status(start(fileJournal(file)), "new:p")).toMatchObject({ status: "processing" });
  });
});

describe("supplier sandbox cancel (撤单)", () => {
  // kaquan_v1 refuses the same body signed twice in one second as a replay: each ask (a retry too) is signed a second apart.
  let asked = 0;
  const cancel = async (app: App, orderRef: string) => {
    const signed = await signRequest(creds, "POST", "/acme/v1/cancel", { orderRef }, Math.floor(Date.now() / 1000) - 100 + asked++);
    const res = await app.request(signed.path, { method: "POST", headers: signed.headers, body: signed.body });
    return { status: res.status, body: (await res.json()) as any };
  };

  it("withdraws a queued order for good; refuses one it is recharging; answers how a finished one ended; a retry answers the same", async () => {
    const journal = memoryJournal();
    const app = start(journal);
    await admin(app, "/acme/admin/profile", { delivery: "async", callbackDelayMs: null });
    const queued = await recharge(app, "q1:p");
    expect((await cancel(app, "q1:p")).body).toEqual({ orderRef: "q1:p", status: "cancelled", supplierRef: queued.body.supplierRef });
    expect((await cancel(app, "q1:p")).body).toMatchObject({ status: "cancelled", supplierRef: queued.body.supplierRef });
    // Cancelled is final: it reads as failed, cannot be settled, and is not placed again — after a restart too.
    expect(await status(app, "q1:p")).toMatchObject({ status: "failed" });
    expect((await admin(app, "/acme/admin/settle", { orderRef: "q1:p", outcome: "succeeded" })).status).toBe(404);
    expect((await recharge(start(journal), "q1:p")).status).toBe(502);

    await recharge(app, "m1:p");
    expect((await admin(app, "/acme/admin/start", { orderRef: "m1:p" })).status).toBe(200);
    expect((await cancel(app, "m1:p")).body).toMatchObject({ status: "refused", reason: "in_progress" });
    expect(await status(app, "m1:p")).toMatchObject({ status: "processing" });
    await admin(app, "/acme/admin/settle", { orderRef: "m1:p", outcome: "succeeded" });
    expect((await cancel(app, "m1:p")).body).toMatchObject({ status: "succeeded", costCents: 2970 });

    await recharge(app, "f1:p");
    await admin(app, "/acme/admin/settle", { orderRef: "f1:p", outcome: "failed", reason: "carrier_rejected" });
    expect((await cancel(app, "f1:p")).body).toMatchObject({ status: "failed", reason: "carrier_rejected" });

    // An order started by the profile's timer is mid-recharge once it is due.
    await admin(app, "/acme/admin/profile", { startAfterMs: 0 });
    await recharge(app, "t1:p");
    expect((await cancel(app, "t1:p")).body.status).toBe("refused");
  });

  it("an order it does not know is cancelled for good: should it arrive after all, it is refused", async () => {
    const app = start(memoryJournal());
    expect((await cancel(app, "late:p")).body).toEqual({ orderRef: "late:p", status: "cancelled", supplierRef: null, reason: "not_found" });
    expect((await recharge(app, "late:p")).status).toBe(502);
    expect(await status(app, "late:p")).toMatchObject({ status: "failed" });
    // One it lost (forgot) likewise.
    await recharge(app, "lost:p");
    await admin(app, "/acme/admin/forget", { orderRef: "lost:p" });
    expect((await cancel(app, "lost:p")).body).toMatchObject({ status: "cancelled", supplierRef: null });
  });

  it("faults as on its other calls: an error changes nothing; a hung cancel may still take effect", async () => {
    const app = start(memoryJournal());
    await admin(app, "/acme/admin/profile", { delivery: "async", callbackDelayMs: null });
    await recharge(app, "e1:p");
    await admin(app, "/acme/admin/faults", { errorRate: 1 });
    expect((await cancel(app, "e1:p")).status).toBe(502);
    expect(await status(app, "e1:p")).toMatchObject({ status: "processing" });
    await admin(app, "/acme/admin/faults", { errorRate: 0, timeoutRate: 1, hangMs: 10, hangCompletesRate: 1 });
    expect((await cancel(app, "e1:p")).status).toBe(504);
    expect(await status(app, "e1:p")).toMatchObject({ status: "failed" });
    // Signed like every business call.
    const res = await app.request("/acme/v1/cancel", { method: "POST", body: JSON.stringify({ orderRef: "e1:p" }) });
    expect(res.status).toBe(401);
  });

  it("asked again within the same second, each time by a client of its own (an operator pressing again): every ask reaches it, none is refused as a replay", async () => {
    const app = start(memoryJournal());
    await admin(app, "/acme/admin/profile", { delivery: "async", callbackDelayMs: null });
    await recharge(app, "r1:p");
    await admin(app, "/acme/admin/faults", { errorRate: 1 });
    const seen: number[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      // Only the calls to the supplier (not its callback for the withdrawn order).
      if (new URL(url).host !== "sandbox.test") return new Response(null, { status: 204 });
      const res = await app.request(new URL(url).pathname, init);
      seen.push(res.status);
      return res;
    });
    try {
      const ask = () => httpSupplierClient("http://sandbox.test/acme", creds).cancel("r1:p");
      expect(await ask()).toMatchObject({ ok: false, detail: "http_502:internal" });
      await admin(app, "/acme/admin/faults", { errorRate: 0 });
      // Without the wait for the next second, this identical signed body was refused (401 replayed) and read as "no answer".
      expect(await ask()).toMatchObject({ ok: true, value: { status: "cancelled" } });
      const [a, b] = await Promise.all([ask(), ask()]);
      expect([a, b]).toMatchObject([{ ok: true, value: { status: "cancelled" } }, { ok: true, value: { status: "cancelled" } }]);
      expect(seen).toEqual([502, 200, 200, 200]);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
