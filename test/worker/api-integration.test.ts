import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/app";
import { api, createTenant, PLATFORM } from "./helpers";

describe("API conventions", () => {
  it("reports health of worker, D1, DO and warehouse", async () => {
    const res = await api("/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, worker: { ok: true }, d1: { ok: true }, durableObjects: { ok: true }, warehouse: { ok: true } });
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("answers unknown routes with the JSON error shape and a request id", async () => {
    const res = await api("/nope", { headers: { "x-request-id": "req-12345678" } });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: "not_found", requestId: "req-12345678" });
    expect(res.headers.get("x-request-id")).toBe("req-12345678");
  });

  it("refuses invalid input with field paths and changes nothing", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM tenants").first<{ n: number }>();
    const res = await api("/platform/tenants", { method: "POST", token: PLATFORM, json: { slug: "Bad Slug!", name: "" } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    const paths = res.body.error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["json.slug", "json.name"]));
    const after = await env.DB.prepare("SELECT count(*) AS n FROM tenants").first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });

  it("refuses malformed JSON with a 400, never a 500", async () => {
    const res = await api("/platform/tenants", {
      method: "POST",
      token: PLATFORM,
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(res.body.error.requestId).toBeTruthy();
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts/);
  });

  it("answers CORS preflights only for configured origins", async () => {
    const ok = await api("/health", { method: "OPTIONS", headers: { origin: "http://127.0.0.1:8787", "access-control-request-method": "GET" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:8787");
    const other = await api("/health", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "GET" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("serves an OpenAPI 3.1 document that covers every route", async () => {
    const res = await api("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(res.body.paths as Record<string, object>)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const routes = createApp({ sandbox: true })
      .routes.filter((r) => r.path.startsWith("/api/v1/") && r.method !== "ALL" && r.path !== "/api/v1/openapi.json")
      .map((r) => `${r.method} ${r.path.replace("/api/v1", "").replace(/:(\w+)/g, "{$1}")}`);
    expect(routes.length).toBeGreaterThan(5);
    for (const r of routes) expect(documented, r).toContain(r);
  });
});

describe("tenancy and API keys", () => {
  it("shows a key once and stores only its hash", async () => {
    const { tenant, adminKey } = await createTenant();
    expect(adminKey).toMatch(/^kq_[0-9a-zA-Z]{12}_[0-9a-zA-Z]{32}$/);
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE tenant_id = ?").bind(tenant.id).first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(adminKey.split("_")[2]);
    const list = await api("/keys", { token: adminKey });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(adminKey.split("_")[2]);
  });

  it("refuses missing, forged and revoked keys", async () => {
    const { adminKey } = await createTenant();
    expect((await api("/tenant")).status).toBe(401);
    const forged = adminKey.slice(0, -4) + "AAAA";
    expect((await api("/tenant", { token: forged })).status).toBe(401);
    const created = await api("/keys", { method: "POST", token: adminKey, json: { name: "tmp", scopes: ["analyst"] } });
    expect((await api("/tenant", { token: created.body.secret })).status).toBe(200);
    expect((await api(`/keys/${created.body.id}`, { method: "DELETE", token: adminKey })).status).toBe(200);
    expect((await api("/tenant", { token: created.body.secret })).status).toBe(401);
  });

  it("enforces scopes", async () => {
    const { adminKey } = await createTenant();
    const analyst = await api("/keys", { method: "POST", token: adminKey, json: { name: "bi", scopes: ["analyst"] } });
    const res = await api("/keys", { method: "POST", token: analyst.body.secret, json: { name: "x", scopes: ["admin"] } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
  });

  it("refuses a key whose scopes repeat (its api_key_created event carries them joined, within the contract)", async () => {
    const { adminKey } = await createTenant();
    const res = await api("/keys", { method: "POST", token: adminKey, json: { name: "dup", scopes: Array(50).fill("analyst") } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain("json.scopes");
    expect((await api("/keys", { method: "POST", token: adminKey, json: { name: "all", scopes: ["admin", "operator", "redeemer", "analyst"] } })).status).toBe(201);
  });

  it("isolates tenants: a key of A cannot see or touch B's keys", async () => {
    const a = await createTenant("A");
    const b = await createTenant("B");
    const bKeys = await api("/keys", { token: b.adminKey });
    const bKeyId = bKeys.body.keys[0].id;
    const aKeys = await api("/keys", { token: a.adminKey });
    expect(aKeys.body.keys.map((k: { id: string }) => k.id)).not.toContain(bKeyId);
    const revoke = await api(`/keys/${bKeyId}`, { method: "DELETE", token: a.adminKey });
    expect(revoke.status).toBe(404);
    expect((await api("/tenant", { token: b.adminKey })).status).toBe(200);
    const me = await api("/tenant", { token: a.adminKey });
    expect(me.body.id).toBe(a.tenant.id);
  });

  it("refuses a duplicate tenant slug with 409", async () => {
    const { tenant } = await createTenant();
    const res = await api("/platform/tenants", { method: "POST", token: PLATFORM, json: { slug: tenant.slug, name: "Again" } });
    expect(res.status).toBe(409);
  });

  it("refuses the platform routes without the platform token", async () => {
    const { adminKey } = await createTenant();
    expect((await api("/platform/tenants", { token: adminKey })).status).toBe(401);
  });
});
