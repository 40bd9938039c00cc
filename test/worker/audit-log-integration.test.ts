import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant } from "./helpers";

const product = { kind: "card_key", name: "满50减10券", priceCents: 1990, faceValueCents: 2500, validity: { kind: "relative", days: 30 }, scope: "视频 App 会员" };

async function keyOf(adminKey: string, scopes: string[]) {
  const res = await api("/keys", { method: "POST", token: adminKey, json: { name: scopes.join("+"), scopes } });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string };
}

describe("audit log", () => {
  it("records a product update by an operator key with before/after, who and from where; admin only; secrets masked; tenant-isolated", async () => {
    const { tenant, adminKey } = await createTenant("Audited");
    const operator = await keyOf(adminKey, ["operator"]);
    const analyst = await keyOf(adminKey, ["analyst"]);
    const created = await api("/products", { method: "POST", token: operator.secret, json: product });
    expect(created.status).toBe(201);
    const headers = { "cf-connecting-ip": "203.0.113.7", "user-agent": "audit-test/1.0" };
    const patched = await api(`/products/${created.body.id}`, { method: "PATCH", token: operator.secret, headers, json: { name: "满50减15券" } });
    expect(patched.status).toBe(200);
    // A refused change and a read are not changes.
    expect((await api(`/products/${created.body.id}`, { method: "PATCH", token: operator.secret, json: { priceCents: -1 } })).status).toBe(400);
    await api(`/products/${created.body.id}`, { token: operator.secret });

    const log = await api(`/audit-log?resource=products/${created.body.id}`, { token: adminKey });
    expect(log.status).toBe(200);
    expect(log.body.entries.map((e: any) => e.method)).toEqual(["PATCH", "POST"]);
    const update = log.body.entries[0];
    expect(update).toMatchObject({
      actor: { apiKeyId: operator.id, role: ["operator"] },
      route: "/api/v1/products/:productId",
      path: `/api/v1/products/${created.body.id}`,
      resource: { type: "products", id: created.body.id },
      status: 200,
      from: { ip: "203.0.113.7", userAgent: "audit-test/1.0" },
    });
    expect(update.before.name).toBe("满50减10券");
    expect(update.after.name).toBe("满50减15券");
    expect(log.body.entries[1]).toMatchObject({ before: null, after: { id: created.body.id, name: "满50减10券" }, resource: { id: created.body.id } });

    // Only the admin key reads it.
    expect((await api("/audit-log", { token: analyst.secret })).status).toBe(403);
    expect((await api("/audit-log", { token: operator.secret })).status).toBe(403);

    // Creating a key and a webhook endpoint: their secrets never reach the log.
    const endpoint = await api("/webhooks/endpoints", { method: "POST", token: adminKey, json: { url: "https://hooks.brand.example/kq", eventTypes: ["alert"] } });
    expect(endpoint.status).toBe(201);
    const all = await api("/audit-log?limit=200", { token: adminKey });
    const text = JSON.stringify(all.body);
    for (const secret of [operator.secret, analyst.secret, endpoint.body.secret]) expect(text).not.toContain(secret);
    const keyEntry = all.body.entries.find((e: any) => e.resource.type === "keys" && e.resource.id === operator.id);
    expect(keyEntry.after.secret ?? "***").toBe("***");
    const hook = all.body.entries.find((e: any) => e.resource.type === "webhooks");
    expect(hook.after.secret).toBe("***");
    const raw = await env.DB.prepare("SELECT after_json FROM audit_log WHERE tenant_id = ?").bind(tenant.id).all<{ after_json: string }>();
    expect(raw.results.some((r) => r.after_json?.includes(endpoint.body.secret))).toBe(false);

    // Another tenant sees none of it, and its admin key cannot ask for this tenant's resource.
    const other = await createTenant("Other");
    const theirs = await api(`/audit-log?resource=products/${created.body.id}`, { token: other.adminKey });
    expect(theirs.status).toBe(200);
    expect(theirs.body.entries).toEqual([]);
    expect((await api("/audit-log", { token: other.adminKey })).body.entries.every((e: any) => e.actor.apiKeyId !== operator.id)).toBe(true);
  });

  it("pages with a cursor, filters by time and resource type, and refuses a forged cursor", async () => {
    const { adminKey } = await createTenant("Paged");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api("/products", { method: "POST", token: adminKey, json: { ...product, name: `券 ${i}` } })).body.id);
    await api("/tenant", { method: "PATCH", token: adminKey, json: { name: "Paged 品牌" } });
    const first = await api("/audit-log?resource=products&limit=2", { token: adminKey });
    expect(first.body.entries.map((e: any) => e.resource.id)).toEqual([ids[4], ids[3]]);
    const second = await api(`/audit-log?resource=products&limit=2&cursor=${first.body.nextCursor}`, { token: adminKey });
    expect(second.body.entries.map((e: any) => e.resource.id)).toEqual([ids[2], ids[1]]);
    const third = await api(`/audit-log?resource=products&limit=2&cursor=${second.body.nextCursor}`, { token: adminKey });
    expect(third.body.entries.map((e: any) => e.resource.id)).toEqual([ids[0]]);
    expect(third.body.nextCursor).toBeNull();
    const tenantChange = await api("/audit-log?resource=tenant", { token: adminKey });
    expect(tenantChange.body.entries[0]).toMatchObject({ method: "PATCH", after: { name: "Paged 品牌" } });
    expect(tenantChange.body.entries[0].before.name).not.toBe("Paged 品牌");
    const future = await api(`/audit-log?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { token: adminKey });
    expect(future.body.entries).toEqual([]);
    const forged = await api("/audit-log?cursor=not-a-cursor", { token: adminKey });
    expect(forged.status).toBe(400);
    expect(forged.body.error.issues[0].path).toBe("query.cursor");
  });
});
