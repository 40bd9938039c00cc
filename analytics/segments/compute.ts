import type { ClickHouseClient } from "@clickhouse/client";
import type { SegmentComputePage, SegmentComputeRequest, SegmentPreviewAnswer, WarehouseSegmentRules } from "../../schema/segments";
import { select } from "../metrics/metric";

/**
 * A segment's behaviour rules as one ClickHouse query over the tenant's events (user_id = buyer id): one row per user
 * with their aggregates, then the rules as a WHERE. Only fixed SQL fragments are chosen here; every value is a bound
 * parameter. Events after `asOf` are ignored, so every page of one run sees the same data.
 */
const AS_OF = "parseDateTime64BestEffort({asOf:String}, 3, 'UTC')";
const VIEW = `type IN ('product_viewed', 'page_view') AND occurred_at >= ${AS_OF} - toIntervalDay({viewDays:UInt32})
  AND ((empty({viewProducts:Array(String)}) AND empty({viewCampaigns:Array(String)}))
       OR has({viewProducts:Array(String)}, product_id) OR has({viewCampaigns:Array(String)}, campaign_id))`;

function matchesSql(r: WarehouseSegmentRules): { sql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = { viewDays: r.viewedNotBought?.days ?? 0, viewProducts: r.viewedNotBought?.productIds ?? [], viewCampaigns: r.viewedNotBought?.campaignIds ?? [] };
  if (r.recencyDays) {
    where.push("paid > 0");
    if (r.recencyDays.min !== undefined) (where.push(`last_paid <= ${AS_OF} - toIntervalDay({rMin:UInt32})`), (params.rMin = r.recencyDays.min));
    if (r.recencyDays.max !== undefined) (where.push(`last_paid > ${AS_OF} - toIntervalDay({rMax:UInt32} + 1)`), (params.rMax = r.recencyDays.max));
  }
  if (r.frequency) {
    if (r.frequency.min !== undefined) (where.push("paid >= {fMin:UInt64}"), (params.fMin = r.frequency.min));
    if (r.frequency.max !== undefined) (where.push("paid <= {fMax:UInt64}"), (params.fMax = r.frequency.max));
  }
  if (r.monetaryCents) {
    if (r.monetaryCents.min !== undefined) (where.push("paid_cents >= {mMin:Int64}"), (params.mMin = r.monetaryCents.min));
    if (r.monetaryCents.max !== undefined) (where.push("paid_cents <= {mMax:Int64}"), (params.mMax = r.monetaryCents.max));
  }
  if (r.dormantDays !== undefined) (where.push(`last_any < ${AS_OF} - toIntervalDay({dormant:UInt32})`), (params.dormant = r.dormantDays));
  if (r.viewedNotBought) where.push("views > 0", "(paid = 0 OR last_paid < last_view)");
  if (r.highLtv?.minCents !== undefined) (where.push("paid_cents >= {ltvMin:Int64}", "paid_cents > 0"), (params.ltvMin = r.highLtv.minCents));
  if (r.highLtv?.topPercent !== undefined) {
    // Top P% of paying buyers by paid cents: ceil(P% × payers) of them, ties broken by user id.
    where.push(`user_id IN (SELECT user_id FROM (
      SELECT user_id, row_number() OVER (ORDER BY paid_cents DESC, user_id) AS rn, count() OVER () AS payers FROM per_user WHERE paid_cents > 0)
      WHERE rn <= ceil(payers * {topPercent:Float64} / 100))`);
    params.topPercent = r.highLtv.topPercent;
  }
  const sql = `WITH per_user AS (
  SELECT user_id, max(occurred_at) AS last_any, countIf(type = 'order_paid') AS paid,
         sumIf(amount_cents, type = 'order_paid') AS paid_cents, maxIf(occurred_at, type = 'order_paid') AS last_paid,
         countIf(${VIEW}) AS views, maxIf(occurred_at, ${VIEW}) AS last_view
  FROM events WHERE tenant_id = {tenant:String} AND user_id != '' AND occurred_at <= ${AS_OF}
  GROUP BY user_id
), matches AS (SELECT user_id FROM per_user${where.length ? `\n  WHERE ${where.join("\n    AND ")}` : ""})`;
  return { sql, params };
}

export async function computeSegmentPage(client: ClickHouseClient, q: SegmentComputeRequest & { asOf: string }): Promise<SegmentComputePage> {
  const { sql, params } = matchesSql(q.rules);
  const bound = { ...params, tenant: q.tenantId, asOf: q.asOf, after: q.after, limit: q.limit };
  const [rows, [count]] = await Promise.all([
    select<{ user_id: string }>(client, `${sql}\nSELECT user_id FROM matches WHERE user_id > {after:String} ORDER BY user_id LIMIT {limit:UInt32}`, bound),
    select<{ size: number }>(client, `${sql}\nSELECT count() AS size FROM matches`, bound),
  ]);
  const userIds = rows.map((r) => r.user_id);
  return { userIds, size: Number(count?.size ?? 0), nextAfter: userIds.length === q.limit ? userIds[userIds.length - 1]! : null };
}

/** Size and a sample of 20 (spread by a hash, not the first ids), with the SQL time. */
export async function previewSegment(client: ClickHouseClient, q: { tenantId: string; rules: WarehouseSegmentRules; asOf: string }): Promise<SegmentPreviewAnswer> {
  const { sql, params } = matchesSql(q.rules);
  const bound = { ...params, tenant: q.tenantId, asOf: q.asOf };
  const started = performance.now();
  const [sample, [count]] = await Promise.all([
    select<{ user_id: string }>(client, `${sql}\nSELECT user_id FROM matches ORDER BY cityHash64(user_id), user_id LIMIT 20`, bound),
    select<{ size: number }>(client, `${sql}\nSELECT count() AS size FROM matches`, bound),
  ]);
  return { size: Number(count?.size ?? 0), sample: sample.map((r) => r.user_id), tookMs: Math.round(performance.now() - started) };
}
