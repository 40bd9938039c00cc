import type { ClickHouseClient } from "@clickhouse/client";
import type { ExportRow } from "../schema/exports";
import type { PrivacyRekey, PrivacyRetention, PrivacyUserEvents } from "../schema/privacy";
import { QUERY_SETTINGS } from "./settings";

/**
 * Personal data in the warehouse (schema/privacy.ts has the request shapes; worker/services/erasure.ts drives them).
 * Mutations wait until every replica applied them (mutations_sync = 2), so the worker records an erasure as done only
 * once the rows really changed.
 */
const MUTATION_SETTINGS = { mutations_sync: "2" } as const;

/** Every raw event of the given users (a buyer and the guests merged into it), oldest first, for "download my data". */
export async function userEvents(client: ClickHouseClient, q: PrivacyUserEvents): Promise<ExportRow[]> {
  const rs = await client.query({
    query: `SELECT event_id AS eventId, type, toString(occurred_at) AS occurredAt, user_id AS userId, device_id AS deviceId,
       referrer_id AS referrerId, campaign_id AS campaignId, product_id AS productId, order_id AS orderId,
       amount_cents AS amountCents, payload
FROM events
WHERE tenant_id = {tenant:String} AND user_id IN {users:Array(String)}
ORDER BY occurred_at, event_id
LIMIT 1 BY event_id
LIMIT {limit:UInt32}`,
    query_params: { tenant: q.tenantId, users: q.userIds, limit: q.limit },
    format: "JSONEachRow",
    clickhouse_settings: QUERY_SETTINGS,
  });
  const blank = (v: unknown) => (v === "" ? null : (v as string));
  return (await rs.json<Record<string, string | number>>()).map((r) => ({
    ...r,
    id: r.eventId as string,
    occurredAt: `${String(r.occurredAt).replace(" ", "T")}Z`,
    userId: blank(r.userId), deviceId: blank(r.deviceId), referrerId: blank(r.referrerId),
    campaignId: blank(r.campaignId), productId: blank(r.productId), orderId: blank(r.orderId),
  }));
}

/**
 * Erasure: the user's events are re-keyed to the pseudonym (user id, and the id where it names them as referrer or
 * inside a payload), their device ids are blanked (also on anonymous views from those devices). Types, times,
 * amounts and order ids stay, so every dashboard total is unchanged; the person is gone. Idempotent: a second run
 * (late deliveries) changes only rows that still name the user.
 */
export async function rekeyUser(client: ClickHouseClient, r: PrivacyRekey): Promise<{ remaining: number }> {
  const params = { tenant: r.tenantId, users: r.userIds, pseudonym: r.pseudonym, devices: r.deviceIds };
  const pairs = r.userIds.map((_, i) => `{users:Array(String)}[${i + 1}]`);
  let payload = "payload";
  for (const p of pairs) payload = `replaceAll(${payload}, ${p}, {pseudonym:String})`;
  const named = "(user_id IN {users:Array(String)} OR referrer_id IN {users:Array(String)} OR hasAny(extractAll(payload, '[A-Za-z0-9_-]+'), {users:Array(String)}))";
  await client.command({
    query: `ALTER TABLE events UPDATE
  user_id = if(user_id IN {users:Array(String)}, {pseudonym:String}, user_id),
  referrer_id = if(referrer_id IN {users:Array(String)}, {pseudonym:String}, referrer_id),
  device_id = if(user_id IN {users:Array(String)} OR device_id IN {devices:Array(String)}, '', device_id),
  payload = ${payload}
WHERE tenant_id = {tenant:String} AND (${named} OR (device_id != '' AND device_id IN {devices:Array(String)}))`,
    query_params: params,
    clickhouse_settings: MUTATION_SETTINGS,
  });
  await rekeyFunnel(client, params);
  await rekeyLtv(client, params);
  // Their attachments (person-merges.ts) name them; the ids they joined are all the pseudonym now.
  await client.command({
    query: "DELETE FROM person_merges WHERE tenant_id = {tenant:String} AND (from_id IN {users:Array(String)} OR to_id IN {users:Array(String)})",
    query_params: params,
    clickhouse_settings: MUTATION_SETTINGS,
  });
  const rs = await client.query({
    query: `SELECT count() AS n FROM events WHERE tenant_id = {tenant:String} AND ${named}`,
    query_params: params,
    format: "JSONEachRow",
    clickhouse_settings: QUERY_SETTINGS,
  });
  return { remaining: Number((await rs.json<{ n: number }>())[0]?.n ?? 0) };
}

/** The erased users' person keys, as the narrow tables store them. */
const USER_KEYS = "arrayMap(u -> cityHash64(u), {users:Array(String)})";

/**
 * funnel_people (schema/clickhouse/0015) follows `events`: the user's steps move to the pseudonym's key (the key is the
 * sort key, so rows are copied and the originals deleted; a rerun finds nothing left to move, and a copy made twice
 * is an identical step, which the funnel ignores), and the device keys go, as the device ids do in `events`. The
 * steps stay counted as they were: a device's steps the funnel gave to the user (the least user who signed up on it)
 * move to the pseudonym, and those of an erased device nobody signed up on to a key of its own made from the
 * pseudonym, so the funnel adds up as before while no key of the device is left. A device another person signed up
 * on first stays theirs (only its link to the erased user goes).
 */
async function rekeyFunnel(client: ClickHouseClient, params: Record<string, unknown>) {
  const devices = "arrayMap(d -> cityHash64(d), {devices:Array(String)})";
  const links = await client.query({
    query: `SELECT toString(person_key) AS device, has(${USER_KEYS}, min(link_key)) AS theirs FROM funnel_people
WHERE tenant_id = {tenant:String} AND step = 0 AND person_key IN (
  SELECT person_key FROM funnel_people WHERE tenant_id = {tenant:String} AND step = 0 AND (has(${USER_KEYS}, link_key) OR has(${devices}, person_key)))
GROUP BY person_key`,
    query_params: params, format: "JSONEachRow", clickhouse_settings: QUERY_SETTINGS,
  });
  const linked = await links.json<{ device: string; theirs: number | boolean }>();
  const keys = {
    ...params,
    mine: linked.filter((l) => Number(l.theirs) === 1).map((l) => l.device),
    linkedElsewhere: linked.filter((l) => Number(l.theirs) !== 1).map((l) => l.device),
  };
  // Device rows to move: the user's devices (to the pseudonym, as the user's rows) and erased devices of nobody.
  const MOVED = `(has({mine:Array(String)}, toString(person_key)) OR (has(${devices}, person_key) AND NOT has({linkedElsewhere:Array(String)}, toString(person_key))))`;
  const KEY = `if(has({mine:Array(String)}, toString(person_key)), cityHash64({pseudonym:String}), cityHash64(concat({pseudonym:String}, ':', toString(person_key))))`;
  const IS_DEVICE = "toUInt8(NOT has({mine:Array(String)}, toString(person_key)))";
  // The compacted build (schema/clickhouse/0016) holds users' keys too, and signed-up devices' steps under their user.
  await client.command({
    query: `INSERT INTO funnel_compact SELECT build, tenant_id, cityHash64({pseudonym:String}), occurred_at, is_device, step, campaign_id, views_only
FROM funnel_compact WHERE tenant_id = {tenant:String} AND is_device = 0 AND has(${USER_KEYS}, person_key)
UNION ALL
SELECT build, tenant_id, ${KEY}, occurred_at, ${IS_DEVICE}, step, campaign_id, views_only
FROM funnel_compact WHERE tenant_id = {tenant:String} AND is_device = 1 AND ${MOVED}`,
    query_params: keys,
  });
  await client.command({
    query: `DELETE FROM funnel_compact WHERE tenant_id = {tenant:String}
  AND ((is_device = 0 AND has(${USER_KEYS}, person_key)) OR (is_device = 1 AND ${MOVED}))`,
    query_params: keys,
    clickhouse_settings: MUTATION_SETTINGS,
  });
  await client.command({
    query: `INSERT INTO funnel_people SELECT tenant_id, cityHash64({pseudonym:String}), occurred_at, is_device, step, link_key, campaign_id
FROM funnel_people WHERE tenant_id = {tenant:String} AND is_device = 0 AND has(${USER_KEYS}, person_key)
UNION ALL
SELECT tenant_id, ${KEY}, occurred_at, ${IS_DEVICE}, step, link_key, campaign_id
FROM funnel_people WHERE tenant_id = {tenant:String} AND is_device = 1 AND step != 0 AND ${MOVED}`,
    query_params: keys,
  });
  await client.command({
    query: `DELETE FROM funnel_people WHERE tenant_id = {tenant:String}
  AND ((is_device = 0 AND has(${USER_KEYS}, person_key))
    OR (is_device = 1 AND (has(${USER_KEYS}, link_key) OR ${MOVED})))`,
    query_params: keys,
    clickhouse_settings: MUTATION_SETTINGS,
  });
}

/**
 * ltv_people (schema/clickhouse/0017, 0019) follows `events` too: the user's sign-ups and payments move to the pseudonym's
 * key, copied and the originals deleted (a copy made twice has the same sort key, event included, and merges away).
 */
async function rekeyLtv(client: ClickHouseClient, params: Record<string, unknown>) {
  await client.command({
    query: `INSERT INTO ltv_people SELECT tenant_id, cityHash64({pseudonym:String}), occurred_at, event_key, kind, amount_cents, acquisition_campaign_id, order_key
FROM ltv_people WHERE tenant_id = {tenant:String} AND has(${USER_KEYS}, user_key)`,
    query_params: params,
  });
  await client.command({
    query: `DELETE FROM ltv_people WHERE tenant_id = {tenant:String} AND has(${USER_KEYS}, user_key)`,
    query_params: params,
    clickhouse_settings: MUTATION_SETTINGS,
  });
}

/** Retention: raw events of the tenant older than `days` are deleted (lightweight DELETE); the returned count is what went. */
export async function applyRetention(client: ClickHouseClient, r: PrivacyRetention): Promise<{ deleted: number }> {
  const params = { tenant: r.tenantId, days: r.days };
  const cutoff = "occurred_at < now64(3) - toIntervalDay({days:UInt16})";
  const rs = await client.query({
    query: `SELECT count() AS n FROM events WHERE tenant_id = {tenant:String} AND ${cutoff}`,
    query_params: params, format: "JSONEachRow", clickhouse_settings: QUERY_SETTINGS,
  });
  const deleted = Number((await rs.json<{ n: number }>())[0]?.n ?? 0);
  if (deleted > 0) {
    // `events` and every narrow copy of it (schema/clickhouse/0015–0018).
    for (const table of ["events", "funnel_people", "funnel_compact", "ltv_people", "redemption_vouchers"]) {
      await client.command({ query: `DELETE FROM ${table} WHERE tenant_id = {tenant:String} AND ${cutoff}`, query_params: params, clickhouse_settings: MUTATION_SETTINGS });
    }
  }
  return { deleted };
}
