import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, inject, it } from "vitest";
import { loadDevVars } from "../../scripts/lib/dev-vars";
import { ApiClient } from "../../scripts/lib/http";
import { seedRedemption } from "../../scripts/lib/seed-redemption";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";
import { d1File } from "./stack";

const browser = useChromium();
const scratch = mkdtempSync(join(tmpdir(), "kaquan-verify-browser-"));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

/** A brand of its own, so tampering with its ledger leaves the Demo Brand's intact for the other tests. */
async function freshBrand(baseUrl: string) {
  const platform = new ApiClient(baseUrl, loadDevVars().PLATFORM_ADMIN_TOKEN);
  const slug = `tamper-${Date.now().toString(36)}`;
  const tenant = await platform.ok<{ id: string }>("POST", "/platform/tenants", { slug, name: "篡改测试品牌" });
  const keys: Record<string, string> = {};
  for (const scope of ["admin", "redeemer"]) {
    keys[scope] = (await platform.ok<{ secret: string }>("POST", `/platform/tenants/${tenant.id}/keys`, { name: scope, scopes: [scope] })).secret;
  }
  return { tenantId: tenant.id, slug, keys };
}

describe("the public verify page on a phone", () => {
  it("says the records verify, then 'does not verify' (不一致/无法验证) once a redemption is edited in D1", async () => {
    const { baseUrl, stateDir } = inject("stack");
    const brand = await freshBrand(baseUrl);
    const { voucherCode: code } = await seedRedemption(baseUrl, brand.keys as never, scratch, brand.slug);
    expect(code).toMatch(/^vc_/);
    const redeemed = await new ApiClient(baseUrl, brand.keys.redeemer).request("POST", "/redemptions", { code, orderAmountCents: 12000 }, { "idempotency-key": `vb-${code}` });
    expect(redeemed.status).toBe(200);
    await new ApiClient(baseUrl, brand.keys.admin).ok("POST", "/ledger/checkpoints");

    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/verify/?code=${code}`);
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toContain("存证校验通过");
    expect(await page.locator("#verdict.pass").count()).toBe(1);
    // The history table fits the phone: no column hidden behind a sideways scroll.
    expect(await page.evaluate(`(() => { const t = document.querySelector("#out table"); return t.scrollWidth - t.clientWidth; })()`)).toBeLessThanOrEqual(1);
    await screenshot(page, "verify-intact");

    // What an insider with D1 access would do: make the voucher look never redeemed, hash left as it was.
    const db = new DatabaseSync(d1File(stateDir), { timeout: 5_000 });
    const { seq } = db.prepare("SELECT seq FROM ledger_entries WHERE tenant_id = ? AND public_code = ? AND kind = 'redemption'").get(brand.tenantId, code!) as { seq: number };
    db.prepare("UPDATE ledger_entries SET kind = 'delivery' WHERE tenant_id = ? AND seq = ?").run(brand.tenantId, seq);
    db.close();

    await page.reload();
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toContain("存证不一致，无法验证");
    const verdict = page.locator("#verdict.fail");
    expect(await verdict.isVisible()).toBe(true);
    expect(await verdict.textContent()).toContain(`第 ${seq} 条记录`);
    expect(await page.textContent("#live-status")).toContain("无法验证");
    expect(await page.locator("#out tr.bad").count()).toBe(1);
    expect(await page.textContent("#out tr.bad")).toContain("不一致");
    await fitsThePhone(page);
    await screenshot(page, "verify-does-not-verify");

    expect(errors).toEqual([]);
    await context.close();
  });

  it("names a campaign's voucher's channel in words and fits a 390 px phone", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const brand = await freshBrand(baseUrl);
    const admin = new ApiClient(baseUrl, brand.keys.admin!);
    const product = await admin.ok<{ id: string }>("POST", "/products", {
      kind: "coupon", name: "验证页测试券", priceCents: 0, faceValueCents: 1000, validity: { kind: "relative", days: 30 }, scope: "测试商城全场商品",
      stockTotal: 10, config: { coupon: { thresholdCents: 0, discountCents: 1000, online: true } },
    });
    await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });
    const name = "验证页测试领券活动";
    const campaign = await admin.ok<{ id: string }>("POST", "/campaigns", {
      kind: "coupon_claim", name, productId: product.id, stock: 10, perUserLimit: 1, shards: 1,
      startsAt: new Date(Date.now() + 3_000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });

    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/verify/`);
    const claimOnce = () => page.evaluate(async (id) => {
      const session: any = await (await fetch(`/api/v1/public/campaigns/${id}/session`, { method: "POST" })).json();
      const r = await fetch(`/api/v1/public/campaigns/${id}/claims`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${session.token}` }, body: "{}" });
      return r.status;
    }, campaign.id);
    await expect.poll(claimOnce, { timeout: 20_000, interval: 1000 }).toBe(200);
    // The claim's voucher is made by the queue consumer: its issuance lands in the ledger with the campaign channel.
    const issued = async () => (await admin.ok<{ entries: { kind: string; channel: string | null; publicCode: string | null }[] }>("GET", "/ledger/export"))
      .entries.find((e) => e.kind === "issuance" && e.channel === `campaign:${campaign.id}`)?.publicCode ?? null;
    await expect.poll(issued, { timeout: 30_000, interval: 500 }).toMatch(/^vc_/);
    const code = (await issued())!;

    await page.goto(`${baseUrl}/verify/?code=${code}`);
    await expect.poll(() => page.textContent("#channel"), { timeout: 15_000 }).toContain(`活动：${name}`);
    expect(await page.textContent("#channel")).not.toContain("campaign:");
    expect(await page.textContent("#channel .channel-id")).toBe(campaign.id);
    await fitsThePhone(page);
    await screenshot(page, "verify-campaign-voucher");
    expect(errors).toEqual([]);
    await context.close();
  });
});
