import type { ClickHouseClient } from "@clickhouse/client";
import type { ExportRow, WarehouseExportPage } from "../schema/exports";
import { IN_RANGE, TENANT } from "./metrics/metric";
import { QUERY_SETTINGS } from "./settings";

/**
 * One page of a tenant's raw events in (occurred_at, event_id) order — the table's own sort key, so a page is a range
 * read. A redelivered event not yet merged away is returned once (LIMIT 1 BY), and the keyset skips it on the next page.
 */
const SQL = `
SELECT event_id AS eventId, type, toString(occurred_at) AS occurredAt, user_id AS userId, device_id AS deviceId,
       referrer_id AS referrerId, campaign_id AS campaignId, product_id AS productId, order_id AS orderId,
       amount_cents AS amountCents, payload
FROM events
WHERE ${TENANT} AND ${IN_RANGE}
  AND (occurred_at, event_id) > (parseDateTime64BestEffort({afterAt:String}, 3, 'UTC'), {afterId:String})
ORDER BY occurred_at, event_id
LIMIT 1 BY event_id
LIMIT {limit:UInt32}`;

const EPOCH = "1970-01-01T00:00:00.000Z";

export async function exportEventsPage(client: ClickHouseClient, page: WarehouseExportPage): Promise<(ExportRow & { at: string })[]> {
  const rs = await client.query({
    query: SQL,
    query_params: { tenant: page.tenantId, from: page.from, to: page.to, afterAt: page.after?.at ?? EPOCH, afterId: page.after?.id ?? "", limit: page.limit },
    format: "JSONEachRow",
    clickhouse_settings: QUERY_SETTINGS,
  });
  const rows = await rs.json<Record<string, string | number>>();
  return rows.map((r) => {
    const at = `${String(r.occurredAt).replace(" ", "T")}Z`;
    const blank = (v: unknown) => (v === "" ? null : (v as string));
    return {
      ...r,
      at,
      id: r.eventId as string,
      occurredAt: at,
      userId: blank(r.userId),
      deviceId: blank(r.deviceId),
      referrerId: blank(r.referrerId),
      campaignId: blank(r.campaignId),
      productId: blank(r.productId),
      orderId: blank(r.orderId),
    };
  });
}
