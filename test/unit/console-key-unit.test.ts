import { afterEach, describe, expect, it } from "vitest";

// Loaded by URL like error-text-unit.test.ts: the site's modules are typed against the DOM.
const site = (path: string) => import(/* @vite-ignore */ new URL(`../../site/src/lib/${path}`, import.meta.url).href);
type Failure = { status: number; code: string; describe: () => string };
const { api } = (await site("console-api.ts")) as { api: (m: string, p: string, b?: unknown, k?: string | null) => Promise<unknown> };

const g = globalThis as Record<string, unknown>;
function browser(saved: string | null) {
  const calls: { url: string; auth: string | null }[] = [];
  g.document = { documentElement: { lang: "zh-CN" } };
  g.localStorage = { getItem: () => saved, setItem() {}, removeItem() {} };
  g.fetch = async (url: string, init: { headers: Record<string, string> }) => {
    calls.push({ url, auth: init.headers.authorization ?? null });
    return new Response(JSON.stringify({ error: { code: "unauthorized", message: "A valid API key is required", requestId: "r" } }), { status: 401 });
  };
  return calls;
}
const real = { fetch: g.fetch };
afterEach(() => {
  delete g.document;
  delete g.localStorage;
  g.fetch = real.fetch;
});

describe("a console page before any key is entered", () => {
  it("does not call the API and asks for a key, rather than calling the never-entered key invalid or expired", async () => {
    const calls = browser(null);
    const e = (await api("GET", "/orders?limit=20").catch((x) => x)) as Failure;
    expect(calls).toEqual([]);
    expect(e.code).toBe("key_required");
    expect(e.describe()).toContain("请先在上方输入 API 密钥");
    expect(e.describe()).not.toContain("失效");
  });

  it("with a saved key calls with it, and a public route (key null) goes without one", async () => {
    const calls = browser("kq_saved_key");
    const e = (await api("GET", "/orders").catch((x) => x)) as Failure;
    expect(e.code).toBe("unauthorized");
    await api("GET", "/settlements/public-key", undefined, null).catch(() => undefined);
    expect(calls).toEqual([{ url: "/api/v1/orders", auth: "Bearer kq_saved_key" }, { url: "/api/v1/settlements/public-key", auth: null }]);
  });
});

describe("a console page whose key lacks the scope", () => {
  it("says which key the action takes, not only that this key may not", async () => {
    browser("kq_op_secret");
    g.fetch = async () =>
      new Response(JSON.stringify({ error: { code: "forbidden", message: "This key lacks the 'admin' scope", requestId: "r" } }), { status: 403 });
    const e = (await api("POST", "/orders/ord_1/refunds", { reason: "x" }).catch((x) => x)) as Failure;
    expect(e.describe()).toBe("此密钥无权进行该操作：需要管理员（admin）密钥");
    g.fetch = async () => new Response(JSON.stringify({ error: { code: "forbidden", message: "Not your store", requestId: "r" } }), { status: 403 });
    const other = (await api("GET", "/x").catch((x) => x)) as Failure;
    expect(other.describe()).toBe("此密钥无权进行该操作");
  });
});
