import { env, exports } from "cloudflare:workers";
import { EventEnvelope } from "../../schema/events";
import { runErasures } from "../../worker/services/erasure";
import { describe, expect, it } from "vitest";
import { shopWithKeys } from "./commerce-helpers";
import { api, PLATFORM } from "./helpers";

/**
 * Every operation of the OpenAPI document, called with input shaped by its own request schema (plain, at the limits,
 * only the required fields) and with garbage (malformed JSON, wrong types): nothing a client sends may answer 5xx.
 * And every event those calls recorded must match its own contract (the warehouse refuses one that does not).
 * Found a dead-letter replay that answered 500 on a letter still failing its contract, and an api_key_created event
 * over its contract (50 repeated scopes).
 */
type Schema = Record<string, any>;
type Mode = "plain" | "max" | "min";

function sampler(doc: Schema, ids: Record<string, string>) {
  const deref = (s: Schema): Schema => (s?.$ref ? deref(s.$ref.split("/").slice(1).reduce((o: Schema, k: string) => o[k], doc)) : s);
  function sample(s0: Schema, mode: Mode, depth = 0, name = ""): unknown {
    const s = deref(s0);
    if (!s || depth > 6) return null;
    const options = s.anyOf ?? s.oneOf;
    if (options) return sample(options.find((x: Schema) => deref(x).type !== "null") ?? options[0], mode, depth + 1);
    if (s.allOf) return Object.assign({}, ...s.allOf.map((x: Schema) => sample(x, mode, depth + 1)));
    if (s.enum) return mode === "max" ? s.enum[s.enum.length - 1] : s.enum[0];
    if (s.const !== undefined) return s.const;
    switch (Array.isArray(s.type) ? s.type.find((t: string) => t !== "null") : s.type) {
      case "string": {
        if (ids[name] && mode !== "max") return ids[name];
        if (s.format === "date-time") return mode === "max" ? "9999-12-31T23:59:59Z" : mode === "min" ? "1970-01-01T00:00:00Z" : "2026-12-04T10:00:00Z";
        if (s.format === "date") return mode === "max" ? "9999-12-31" : "2026-12-04";
        if (s.format === "email") return "a@example.com";
        if (s.format === "uri" || s.format === "url") return "https://example.com/x";
        const len = mode === "max" ? Math.min(s.maxLength ?? 5000, 20000) : mode === "min" ? (s.minLength ?? 0) : Math.max(s.minLength ?? 1, 3);
        return mode === "max" ? "界<'\"".repeat(Math.ceil(len / 4)).slice(0, len) : "x".repeat(len);
      }
      case "integer":
      case "number": {
        const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : Number.MAX_SAFE_INTEGER);
        const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -Number.MAX_SAFE_INTEGER);
        return mode === "max" ? hi : mode === "min" ? lo : Math.min(Math.max(1, lo), hi);
      }
      case "boolean":
        return mode !== "min";
      case "array": {
        const n = mode === "max" ? Math.min(s.maxItems ?? 50, 200) : mode === "min" ? (s.minItems ?? 0) : Math.max(s.minItems ?? 1, 1);
        return Array.from({ length: n }, () => sample(s.items ?? {}, mode, depth + 1));
      }
      default: {
        const out: Schema = {};
        for (const [k, v] of Object.entries((s.properties ?? {}) as Schema)) if (mode !== "min" || (s.required ?? []).includes(k)) out[k] = sample(v, mode, depth + 1, k);
        if (!s.properties && s.additionalProperties) out.k = sample(s.additionalProperties, mode, depth + 1);
        return out;
      }
    }
  }
  return { deref, sample };
}

const GARBAGE = ["{not json", "[]", JSON.stringify({ id: 1, name: 5, amountCents: "x", quantity: -1, items: "no", status: [], startsAt: "yesterday", config: 7 })];

describe("API fuzz", () => {
  it("answers every operation's schema-shaped and garbage input with a 2xx/4xx, never a 5xx, and records only events that match their contract", async () => {
    const doc = (await api("/openapi.json")).body as Schema;
    // A store with a published card-key product: its id stands in for every productId, so orders and quotes reach
    // the code behind the lookup.
    const { adminKey, tenant, productId } = await shopWithKeys(3);
    const { deref, sample } = sampler(doc, { productId });
    // The store's own routes run as one of its guests (a signed session cookie), as a visitor's browser would.
    const guest = await exports.default.fetch(`http://kaquan.test/api/v1/shop/${tenant.slug}/guest`, { method: "POST" });
    const cookie = guest.headers.get("set-cookie")!.split(";")[0]!;
    // …and, with the smallest input, a copy of that cookie with its last character changed (a forged session).
    const forged = cookie.slice(0, -1) + (cookie.endsWith("A") ? "B" : "A");
    const fivexx: string[] = [];
    let calls = 0;
    // The buyers' routes first, while the product is still published (the staff routes below archive and edit it).
    const buyerFirst = (p: string) => (p.startsWith("/shop/") || p.startsWith("/public/") ? 0 : 1);
    for (const [path, ops] of Object.entries(doc.paths as Schema).sort(([a], [b]) => buyerFirst(a) - buyerFirst(b))) {
      for (const [method, op] of Object.entries(ops as Schema)) {
        const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
        const params = ((op.parameters ?? []) as Schema[]).map(deref);
        const query = params.filter((p) => p.in === "query");
        const headerParams = params.filter((p) => p.in === "header");
        const inputs: { mode: Mode; body?: string }[] = (["plain", "max", "min"] as Mode[]).map((mode) => ({ mode, body: bodySchema ? JSON.stringify(sample(bodySchema, mode)) : undefined }));
        if (bodySchema) inputs.push(...GARBAGE.map((body) => ({ mode: "plain" as Mode, body })));
        for (const { mode, body } of inputs) {
          const q = new URLSearchParams();
          for (const p of query) {
            const v = sample(p.schema ?? {}, mode);
            if (v !== null) q.set(p.name, Array.isArray(v) ? v.join(",") : typeof v === "object" ? "x" : String(v));
          }
          const url = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === "tenantId" ? tenant.id : name === "slug" || name === "tenant" ? tenant.slug : name === "productId" && mode !== "max" ? productId : mode === "max" ? "z".repeat(200) : "x_1"));
          const headers = new Headers({ authorization: `Bearer ${path.startsWith("/platform") ? PLATFORM : adminKey}` });
          if (body !== undefined) headers.set("content-type", "application/json");
          if (path.startsWith("/shop/")) headers.set("cookie", mode === "min" ? forged : cookie);
          // Header parameters (Idempotency-Key, device, challenge answers): ASCII, as a header must be.
          for (const p of headerParams) headers.set(p.name, mode === "max" ? "h".repeat(Math.min(p.schema?.maxLength ?? 200, 4000)) : `fuzz-key-${calls}`.padEnd(p.schema?.minLength ?? 0, "0"));
          const res = await exports.default.fetch(`http://kaquan.test/api/v1${url}${q.size ? `?${q}` : ""}`, { method: method.toUpperCase(), headers, body });
          const text = await res.text();
          calls++;
          if (res.status >= 500) fivexx.push(`${res.status} ${method.toUpperCase()} ${url.slice(0, 80)} [${mode}] ${body?.slice(0, 120) ?? ""} → ${text.slice(0, 200)}`);
        }
      }
    }
    // The fuzz's guest asked for its erasure (POST …/me/erasure): carried out now, so no later file in this worker's
    // shared database finds it pending (members-integration counts what one run scrubs).
    await runErasures(env);
    expect(calls).toBeGreaterThan(500);
    expect(fivexx).toEqual([]);
    const { results } = await env.DB.prepare("SELECT body FROM event_outbox WHERE tenant_id = ?").bind(tenant.id).all<{ body: string }>();
    expect(results.length).toBeGreaterThan(10);
    const offContract = results.flatMap(({ body }) => {
      const parsed = EventEnvelope.safeParse(JSON.parse(body));
      return parsed.success ? [] : [`${JSON.parse(body).type}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`];
    });
    expect(offContract).toEqual([]);
  }, 300_000);
});
