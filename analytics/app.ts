import type { ClickHouseClient } from "@clickhouse/client";
import { Hono, type Context } from "hono";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { ZodError } from "zod";
import { MetricName, WarehouseQuery } from "../schema/analytics";
import { errorBody, type ErrorIssue } from "../schema/errors";
import { EventEnvelope, IngestBatch, issuePath, type IngestRejection } from "../schema/events";
import { WarehouseExportPage } from "../schema/exports";
import { verifyBody } from "../worker/domain/signature";
import { PrivacyRekey, PrivacyRetention, PrivacyUserEvents } from "../schema/privacy";
import { RecommendationsRequest } from "../schema/recommendations";
import { exportEventsPage } from "./export";
import { computeRecommendations } from "./recommendations/co-purchase";
import { applyRetention, rekeyUser, userEvents } from "./privacy";
import { IngestQueue } from "./ingest";
import { runMetric } from "./metrics";
import { QUERY_SETTINGS } from "./settings";
import { SegmentComputeRequest, SegmentPreviewRequest } from "../schema/segments";
import { computeSegmentPage, previewSegment } from "./segments/compute";
import type { CompactStatus } from "./funnel-compact";
import type { MergeStatus } from "./person-merges";

export interface WarehouseAppOptions {
  client: ClickHouseClient;
  /** Dashboard queries (a read-only user on a server); default: client. */
  queryClient?: ClickHouseClient;
  /** HMAC key of event batches (the queue consumer): it can write events, never read them. */
  ingestSecret: string;
  /** HMAC key of dashboard queries (the worker's analytics routes): a leaked ingest secret cannot read any tenant. */
  querySecret: string;
  embedded: boolean;
  /** The funnel's compacted build as the schedule last left it (analytics/funnel-compact.ts), shown on /health. */
  funnelCompact?: () => CompactStatus;
  /** Attached guests merged into their accounts (analytics/person-merges.ts), shown on /health. */
  personMerges?: () => MergeStatus;
}

const error = (code: string, message: string, issues?: ErrorIssue[]) => errorBody(code, message, crypto.randomUUID(), issues);

function zodIssues(e: ZodError) {
  return e.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code }));
}

const gunzipAsync = promisify(gunzip);
/**
 * The most a gzipped body may inflate to. Far above the largest valid batch (5,000 envelopes at their longest), and a
 * bound on what a body whose signature does not cover its gzip (signed over its JSON, or forged) can make this
 * process inflate before its check.
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** The request body's bytes as sent, and how to read them: `content-encoding: gzip` (the queue consumer's batches) or none. */
async function rawBody(c: Context): Promise<{ bytes: Uint8Array; gzipped: boolean } | { refusal: Response }> {
  const encoding = (c.req.header("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip") return { refusal: c.json(error("unsupported_encoding", "Content-Encoding must be gzip or absent"), 415) };
  return { bytes: new Uint8Array(await c.req.arrayBuffer()), gzipped: encoding === "gzip" };
}

async function inflate(c: Context, bytes: Uint8Array): Promise<{ text: string } | { refusal: Response }> {
  try {
    const inflated = await gunzipAsync(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
    return { text: inflated.toString("utf8") };
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      return { refusal: c.json(error("payload_too_large", `The body inflates to more than ${MAX_INFLATED_BYTES} bytes`), 413) };
    }
    return { refusal: c.json(error("invalid_body", "Body is not valid gzip"), 400) };
  }
}

/**
 * A request body signed with `secret` (HMAC header over the body as sent: the gzip itself when gzipped, checked before
 * it is inflated), parsed as JSON; or the 4xx answer that refuses it. A gzipped body signed over its inflated JSON
 * (how consumers before session 56 signed, e.g. during a rolling deploy) is still taken: inflated under the cap, then
 * checked.
 */
async function signedJson(c: Context, secret: string): Promise<{ body: unknown } | { refusal: Response }> {
  const read = await rawBody(c);
  if ("refusal" in read) return read;
  const header = c.req.header("x-kaquan-signature");
  const check = await verifyBody(secret, read.bytes, header);
  if (!check.ok && (check.reason !== "mismatch" || !read.gzipped)) return { refusal: c.json(error("bad_signature", `Signature ${check.reason}`), 401) };
  const text = read.gzipped ? await inflate(c, read.bytes) : { text: new TextDecoder().decode(read.bytes) };
  if ("refusal" in text) return text;
  if (!check.ok && !(await verifyBody(secret, text.text, header)).ok) return { refusal: c.json(error("bad_signature", "Signature mismatch"), 401) };
  try {
    return { body: JSON.parse(text.text) as unknown };
  } catch {
    return { refusal: c.json(error("invalid_json", "Body is not JSON"), 400) };
  }
}

/** The warehouse service: authenticated ingest from the worker's queue consumer, health, and metric queries. */
export function createWarehouseApp({ client, queryClient = client, ingestSecret, querySecret, embedded, funnelCompact, personMerges }: WarehouseAppOptions) {
  const app = new Hono();
  const ingestQueue = new IngestQueue(client, { server: !embedded });
  /** Envelopes refused since start because their payload did not match their type (shown on /health). */
  const counters = { rejectedEvents: 0 };

  app.get("/health", async (c) => {
    const started = performance.now();
    try {
      const rs = await client.query({ query: "SELECT count() AS events FROM events", format: "JSONEachRow", clickhouse_settings: QUERY_SETTINGS });
      const events = (await rs.json<{ events: number }>())[0]?.events ?? 0;
      return c.json({
        ok: true, engine: embedded ? "chdb" : "clickhouse", events, rejectedEvents: counters.rejectedEvents,
        funnelCompact: funnelCompact?.() ?? null, personMerges: personMerges?.() ?? null, latencyMs: Math.round(performance.now() - started),
      });
    } catch (e) {
      return c.json({ ok: false, engine: embedded ? "chdb" : "clickhouse", detail: String(e) }, 503);
    }
  });

  app.post("/v1/ingest", async (c) => {
    const signed = await signedJson(c, ingestSecret);
    if ("refusal" in signed) return signed.refusal;
    const body = signed.body;
    const parsed = IngestBatch.safeParse(body);
    if (!parsed.success) {
      return c.json(error("validation_failed", "Invalid event batch", zodIssues(parsed.error)), 400);
    }
    // Each envelope on its own: a payload that does not match its type is refused by index and field path and
    // counted; the valid ones of the same batch are stored. 400 only when none was valid.
    const valid: EventEnvelope[] = [];
    const rejected: IngestRejection[] = [];
    parsed.data.events.forEach((raw, index) => {
      const one = EventEnvelope.safeParse(raw);
      if (one.success) return void valid.push(one.data);
      const issue = one.error.issues[0]!;
      const eventId = typeof (raw as { eventId?: unknown })?.eventId === "string" ? (raw as { eventId: string }).eventId : null;
      rejected.push({ index, eventId, path: [`events`, index, ...issuePath(issue)].map(String).join("."), message: issue.message });
    });
    counters.rejectedEvents += rejected.length;
    if (rejected.length) console.warn(JSON.stringify({ at: "ingest", rejected: rejected.length, first: rejected[0] }));
    if (!valid.length) {
      return c.json({ ...error("invalid_events", `Every event of the batch was refused (first: ${rejected[0]!.path}: ${rejected[0]!.message})`, rejected.map((r) => ({ path: r.path, message: r.message, code: "invalid_payload" }))), rejected }, 400);
    }
    const result = await ingestQueue.ingest(valid);
    return c.json({ ...result, received: parsed.data.events.length, rejected });
  });

  // Dashboard queries from the worker: the tenant comes inside the signed body (the worker took it from the analyst
  // key); the metric name is signed too, so a captured body cannot be replayed against another metric.
  app.post("/v1/query/:metric", async (c) => {
    const raw = await c.req.text();
    const check = await verifyBody(querySecret, raw, c.req.header("x-kaquan-signature"));
    if (!check.ok) return c.json(error("bad_signature", `Signature ${check.reason}`), 401);
    const name = MetricName.safeParse(c.req.param("metric"));
    if (!name.success) return c.json(error("not_found", "Unknown metric"), 404);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return c.json(error("invalid_json", "Body is not JSON"), 400);
    }
    const query = WarehouseQuery.safeParse(body);
    if (!query.success || query.data.metric !== name.data) {
      return c.json(error("validation_failed", "Invalid query body", query.success ? undefined : zodIssues(query.error)), 400);
    }
    const started = performance.now();
    try {
      const { params, rows } = await runMetric(queryClient, query.data.tenantId, name.data, query.data.params);
      return c.json({ metric: name.data, params, rows, tookMs: Math.round(performance.now() - started) });
    } catch (e) {
      if (e instanceof ZodError) return c.json(error("validation_failed", "Invalid query parameters", zodIssues(e)), 400);
      throw e;
    }
  });

  // One page of raw events for an export (worker/services/exports.ts pages through them); signed like the queries.
  app.post("/v1/export/events", async (c) => {
    const signed = await signedJson(c, querySecret);
    if ("refusal" in signed) return signed.refusal;
    const body = signed.body;
    const page = WarehouseExportPage.safeParse(body);
    if (!page.success) return c.json(error("validation_failed", "Invalid export page", zodIssues(page.error)), 400);
    return c.json({ rows: await exportEventsPage(queryClient, page.data) });
  });

  // Segments (issue 19): one keyset page of a segment's buyer ids, or its size and a sample. Reads: the query key.
  app.post("/v1/segments/compute", async (c) => {
    const signed = await signedJson(c, querySecret);
    if ("refusal" in signed) return signed.refusal;
    const q = SegmentComputeRequest.safeParse(signed.body);
    if (!q.success) return c.json(error("validation_failed", "Invalid segment request", zodIssues(q.error)), 400);
    return c.json(await computeSegmentPage(queryClient, { ...q.data, asOf: q.data.asOf ?? new Date().toISOString() }));
  });
  app.post("/v1/segments/preview", async (c) => {
    const signed = await signedJson(c, querySecret);
    if ("refusal" in signed) return signed.refusal;
    const q = SegmentPreviewRequest.safeParse(signed.body);
    if (!q.success) return c.json(error("validation_failed", "Invalid segment request", zodIssues(q.error)), 400);
    return c.json(await previewSegment(queryClient, { ...q.data, asOf: q.data.asOf ?? new Date().toISOString() }));
  });

  // Recommendations for one tenant (the worker's hourly cron caches them in D1); signed like the queries.
  app.post("/v1/recommendations", async (c) => {
    const signed = await signedJson(c, querySecret);
    if ("refusal" in signed) return signed.refusal;
    const q = RecommendationsRequest.safeParse(signed.body);
    if (!q.success) return c.json(error("validation_failed", "Invalid request", zodIssues(q.error)), 400);
    return c.json(await computeRecommendations(queryClient, q.data));
  });

  // Personal data (PIPL). A buyer's own events are a read (query key); re-keying an erased user and deleting events
  // past a tenant's retention window change data, so they are signed with the writer's (ingest) key.
  app.post("/v1/privacy/user-events", async (c) => {
    const signed = await signedJson(c, querySecret);
    if ("refusal" in signed) return signed.refusal;
    const q = PrivacyUserEvents.safeParse(signed.body);
    if (!q.success) return c.json(error("validation_failed", "Invalid request", zodIssues(q.error)), 400);
    return c.json({ rows: await userEvents(queryClient, q.data) });
  });
  app.post("/v1/privacy/rekey", async (c) => {
    const signed = await signedJson(c, ingestSecret);
    if ("refusal" in signed) return signed.refusal;
    const q = PrivacyRekey.safeParse(signed.body);
    if (!q.success) return c.json(error("validation_failed", "Invalid request", zodIssues(q.error)), 400);
    return c.json(await rekeyUser(client, q.data));
  });
  app.post("/v1/privacy/retention", async (c) => {
    const signed = await signedJson(c, ingestSecret);
    if ("refusal" in signed) return signed.refusal;
    const q = PrivacyRetention.safeParse(signed.body);
    if (!q.success) return c.json(error("validation_failed", "Invalid request", zodIssues(q.error)), 400);
    return c.json(await applyRetention(client, q.data));
  });

  app.notFound((c) => c.json(error("not_found", "Route not found"), 404));
  app.onError((err, c) => {
    console.error("warehouse error", err);
    return c.json(error("internal", "Internal error"), 500);
  });
  return app;
}
