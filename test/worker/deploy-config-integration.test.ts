import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { REQUIRED_SECRETS } from "../../worker/domain/deploy-config";
import { shop, shopWithKeys } from "./commerce-helpers";

/** The worker's own fetch entry with another environment, as a deployment would run it. */
async function call(vars: object, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://kaquan.test${path}`, init) as Request<unknown, IncomingRequestCfProperties>, vars as Env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, headers: res.headers };
}

const realSecrets = Object.fromEntries(REQUIRED_SECRETS.map((n) => [n, `${n.toLowerCase()}-${crypto.randomUUID()}`]));
const production = { ...env, ENVIRONMENT: "production", ...realSecrets };

describe("deployable configuration", () => {
  it("production has no SMS outbox, no sandbox checkout and no sandbox callback; development has them", async () => {
    const s = await shopWithKeys(1);
    const order = await shop(s.slug, "/orders", { method: "POST", idem: `deploy-${crypto.randomUUID()}`, json: { productId: s.productId } });
    const checkout = order.body.checkoutUrl as string;
    expect((await call(env, checkout)).status).toBe(200);

    expect((await call(production, "/api/v1/health")).status).toBe(200);
    // Production's cashier lists only the brand's connected gateways (none here): no sandbox pay button.
    const cashier = await call(production, checkout);
    expect(cashier.status).toBe(200);
    expect(cashier.body).toContain("商户尚未开通在线支付");
    expect(cashier.body).not.toMatch(/SANDBOX|id="pay"/);
    expect((await call(env, checkout)).body).toContain('id="pay"');
    const page = await call(production, checkout.replace("/pay/checkout/", "/pay/sandbox/checkout/"));
    expect(page.status).toBe(404);
    expect(page.body.error).toMatchObject({ code: "not_found" });
    expect((await call(production, `${checkout}/pay`, { method: "POST" })).status).toBe(404);
    expect((await call(production, `/api/v1/shop/${s.slug}/dev/sms?phone=13800138000`)).status).toBe(404);
    const forged = await call(production, "/api/v1/pay/callback/sandbox", { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(forged.status).toBe(404);
    const prodDoc = Object.keys((await call(production, "/api/v1/openapi.json")).body.paths);
    const devDoc = Object.keys((await call(env, "/api/v1/openapi.json")).body.paths);
    for (const sandboxPath of ["/shop/{tenant}/dev/sms", "/pay/sandbox/checkout/{paymentId}", "/pay/sandbox/checkout/{paymentId}/pay"]) {
      expect(prodDoc).not.toContain(sandboxPath);
      expect(devDoc).toContain(sandboxPath);
    }
    // The order itself is untouched: still awaiting a payment.
    expect((await shop(s.slug, `/orders/${order.body.id}`, { cookie: order.cookie })).body.order.status).toBe("created");
  }, 60_000);

  it("production never trusts a local origin for CORS, even when the deployed CORS_ORIGINS still lists one", async () => {
    const origins = "http://127.0.0.1:8787,http://localhost:8787,https://shop.brand.example";
    const allowed = async (vars: object, origin: string) =>
      (await call({ ...vars, CORS_ORIGINS: origins }, "/api/v1/openapi.json", { headers: { origin } })).headers.get("access-control-allow-origin");
    for (const local of ["http://localhost:8787", "http://127.0.0.1:8787"]) {
      expect(await allowed(production, local)).toBeNull();
      expect(await allowed(env, local)).toBe(local);
    }
    expect(await allowed(production, "https://shop.brand.example")).toBe("https://shop.brand.example");
    expect(await allowed(production, "https://evil.example")).toBeNull();
  });

  it("production answers 503 to every request while a secret is missing or a placeholder, and names which", async () => {
    // The test bindings are placeholders ("test-pepper"…): as production they must be refused, whatever the route.
    for (const vars of [{ ...env, ENVIRONMENT: "production" }, { ...env, ENVIRONMENT: undefined }]) {
      for (const [path, init] of [["/api/v1/health", {}], ["/api/v1/public/campaigns/cmp_x/claims", { method: "POST", body: "{}" }], ["/api/v1/shop/x/guest", { method: "POST" }]] as const) {
        const res = await call(vars, path, init);
        expect(res.status, path).toBe(503);
        expect(res.body.error.code).toBe("misconfigured");
        expect(res.body.error.requestId).toBeTruthy();
        for (const name of REQUIRED_SECRETS) expect(res.body.error.message).toContain(name);
        expect(res.body.error.message).not.toContain("test-pepper");
      }
    }
    const { BUYER_SESSION_SECRET: _gone, ...withoutOne } = production;
    const one = await call(withoutOne, "/api/v1/health");
    expect(one.status).toBe(503);
    expect(one.body.error.message).toContain("BUYER_SESSION_SECRET");
    expect(one.body.error.message).not.toContain("API_KEY_PEPPER");
    // Turnstile chosen without its keys, or a challenge provider that does not exist: refused, not a silent fallback.
    const turnstile = await call({ ...production, CHALLENGE_PROVIDER: "turnstile" }, "/api/v1/health");
    expect([turnstile.status, turnstile.body.error.code]).toEqual([503, "misconfigured"]);
    expect(turnstile.body.error.message).toMatch(/TURNSTILE_SITE_KEY, TURNSTILE_SECRET/);
    const misspelt = await call({ ...production, CHALLENGE_PROVIDER: "turnstyle" }, "/api/v1/health");
    expect(misspelt.body.error.message).toContain("CHALLENGE_PROVIDER");
    const placeholder = await call({ ...production, API_KEY_PEPPER: "change-me-change-me-change-me" }, "/api/v1/health");
    expect(placeholder.status).toBe(503);
    expect(placeholder.body.error.message).toContain("API_KEY_PEPPER");
  }, 60_000);
});
