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
});
