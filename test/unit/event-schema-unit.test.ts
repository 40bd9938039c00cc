import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { INGEST_COLUMNS, toRow } from "../../analytics/ingest";
import { EVENT_PAYLOADS, EVENT_TYPES, EventEnvelope, PAYLOAD_COLUMNS, hasEnvelopeFrame, isJournaledMessage, isValidEnvelope } from "../../schema/events";
import { buildEvent, type EventInput } from "../../worker/queue/emit";

const shapeOf = (s: z.ZodType) => (s as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
/** The innermost type of a field (through optional / nullable / default). */
function base(t: z.ZodType): z.ZodType {
  let cur = t as z.ZodType & { unwrap?: () => z.ZodType };
  while (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault) cur = (cur as unknown as { unwrap: () => z.ZodType }).unwrap() as typeof cur;
  return cur;
}

describe("typed events", () => {
  it("no payload schema has a field for a secret, a code, a phone number or a card key", () => {
    const bad = /secret|code|phone|mobile|cardkey|card_key|password|token/i;
    const offenders = EVENT_TYPES.flatMap((t) => Object.keys(shapeOf(EVENT_PAYLOADS[t])).filter((k) => bad.test(k)).map((k) => `${t}.${k}`));
    expect(offenders).toEqual([]);
  });

  it("money fields are integer cents and ids are strings in every payload", () => {
    for (const t of EVENT_TYPES) {
      for (const [k, f] of Object.entries(shapeOf(EVENT_PAYLOADS[t]))) {
        if (/Cents$/.test(k)) expect([t, k, base(f).safeParse(1.5).success]).toEqual([t, k, false]);
        if (/Id$/.test(k)) expect([t, k, base(f) instanceof z.ZodString]).toEqual([t, k, true]);
      }
    }
  });

  it("every lifted column is a declared payload field of the right kind, written by ingest and present in the ClickHouse DDL", () => {
    const ddl = readdirSync("schema/clickhouse").filter((f) => f.endsWith(".sql")).map((f) => readFileSync(join("schema/clickhouse", f), "utf8")).join("\n");
    for (const [field, { column, kind }] of Object.entries(PAYLOAD_COLUMNS)) {
      const declared = EVENT_TYPES.map((t) => shapeOf(EVENT_PAYLOADS[t])[field]).filter((f): f is z.ZodType => !!f);
      expect([field, declared.length > 0]).toEqual([field, true]);
      for (const f of declared) expect([field, base(f) instanceof (kind === "cents" ? z.ZodNumber : z.ZodString)]).toEqual([field, true]);
      expect(INGEST_COLUMNS).toContain(column);
      expect([column, new RegExp(`\\b${column}\\s+(LowCardinality\\()?(String|Int64)`).test(ddl)]).toEqual([column, true]);
    }
    // Every ingest column exists in the DDL, and toRow fills them in order.
    for (const c of INGEST_COLUMNS) expect([c, new RegExp(`\\b${c}\\b`).test(ddl)]).toEqual([c, true]);
    const e = buildEvent({ tenantId: "t", type: "order_paid", payload: { orderId: "o1", productId: "p1", amountCents: 990, campaignId: "c1" } });
    const row = toRow(e);
    expect(row).toHaveLength(INGEST_COLUMNS.length);
    const at = (c: string) => row[INGEST_COLUMNS.indexOf(c as never)];
    expect([at("order_id"), at("amount_cents"), at("campaign_id"), at("voucher_id")]).toEqual(["o1", 990, "c1", ""]);
  });

  it("refuses an envelope whose payload does not match its type, naming the field", () => {
    const ok = buildEvent({ tenantId: "t", type: "voucher_redeemed", payload: { voucherId: "v1", storeId: "s1" } });
    expect(EventEnvelope.safeParse(ok).success).toBe(true);
    const wrongType = EventEnvelope.safeParse({ ...ok, payload: { voucherId: 7 } });
    expect(wrongType.success).toBe(false);
    expect(wrongType.error!.issues[0]!.path).toEqual(["payload", "voucherId"]);
    const unknownField = EventEnvelope.safeParse({ ...ok, payload: { voucherId: "v1", code: "SECRET" } });
    expect(unknownField.success).toBe(false);
    expect(JSON.stringify(unknownField.error!.issues)).toContain("code");
    const fractional = EventEnvelope.safeParse({ ...ok, type: "order_paid", payload: { orderId: "o1", amountCents: 9.5 } });
    expect(fractional.error!.issues[0]!.path).toEqual(["payload", "amountCents"]);
  });
});

describe("the envelope's frame (what the events consumer checks before the warehouse checks each payload)", () => {
  const good = { v: 1, eventId: "ev_12345678", tenantId: "tn_a", type: "page_view", occurredAt: "2026-12-01T00:00:00.000Z", actor: { userId: "u1", deviceId: null, apiKeyId: null, referrerId: null }, payload: { path: "/" } };
  it("accepts every envelope the full schema accepts, and refuses a broken frame", () => {
    expect(EventEnvelope.safeParse(good).success).toBe(true);
    expect(hasEnvelopeFrame(good)).toBe(true);
    for (const type of EVENT_TYPES) expect(hasEnvelopeFrame(buildEvent({ tenantId: "tn_a", type, actor: { userId: "u1" } } as EventInput)), type).toBe(true);
    for (const bad of [
      null, "x", [], { ...good, v: 2 }, { ...good, eventId: "short" }, { ...good, tenantId: "" }, { ...good, type: "nope" },
      { ...good, occurredAt: 1 }, { ...good, actor: null }, { ...good, actor: { ...good.actor, userId: 7 } },
      { ...good, actor: { userId: "u1" } }, { ...good, payload: [] }, { ...good, payload: null },
    ]) {
      expect(hasEnvelopeFrame(bad), JSON.stringify(bad)).toBe(false);
    }
  });
  it("leaves the payload to the full check", () => {
    const wrongPayload = { ...good, type: "order_paid", payload: { orderId: "o1", amountCents: "9.90" } };
    expect(hasEnvelopeFrame(wrongPayload)).toBe(true);
    expect(isValidEnvelope(wrongPayload)).toBe(false);
  });
});

describe("a journaled events-Queue message's frame", () => {
  it("takes { journal, events } with 1 to 1,000 envelopes and nothing else (older messages: an envelope or an array)", () => {
    const e = buildEvent({ tenantId: "tn_a", type: "page_view", payload: { path: "/" } });
    expect(isJournaledMessage({ journal: "jr_1", events: [e] })).toBe(true);
    for (const bad of [e, [e], null, "x", { journal: "", events: [e] }, { journal: "jr_1", events: [] }, { journal: "jr_1", events: Array(1001).fill(e) }, { journal: 7, events: [e] }, { journal: "jr_1", events: e }]) {
      expect(isJournaledMessage(bad), JSON.stringify(bad)?.slice(0, 80)).toBe(false);
    }
  });
});
