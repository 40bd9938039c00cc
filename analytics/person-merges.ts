import type { ClickHouseClient } from "@clickhouse/client";
import { everyOneAtATime } from "./one-at-a-time";
import { QUERY_SETTINGS } from "./settings";

/**
 * One person in the warehouse for a guest attached to another buyer (guest_attached: a guest who signs in to an
 * existing phone account; schema/clickhouse/0024). Without this the guest's views, claims and payments stayed a second
 * person: a new user who never came back, and a funnel that broke where the guest signed in.
 * A while after the warehouse learned of the attachment (so events still in flight under the guest's id land first,
 * a backlog after an outage included) the guest's history is
 * re-keyed to the account, several guests of a tenant at once:
 *  1. of the person's sign-ups only the earliest stays in `events` and ltv_people: acquisition, growth, K-factor and
 *     LTV count them once, when they first came (a later one's referral_signed_up goes too; the funnel's links of
 *     devices stay; profiles keep the earliest anyway);
 *  2. `events`: user_id and referrer_id (the people the guest brought are the account's);
 *  3. the copies keyed by person — funnel_people (the guest's steps, and the links of devices it signed up on),
 *     funnel_compact, ltv_people, user_profiles — rows copied under the account's key and the originals deleted, as an
 *     erasure moves them (privacy.ts);
 *  4. the guest is marked applied.
 * A run that died midway runs again whole: a row it copied already is not copied again.
 */
const MUTATION = { mutations_sync: "2" } as const;

export interface PersonMerge {
  tenantId: string;
  fromId: string;
  toId: string;
}

/** Attachments not yet applied that reached the warehouse before `before` (at most `limit`, by tenant). */
export async function pendingMerges(client: ClickHouseClient, before: Date, limit = 1_000): Promise<PersonMerge[]> {
  const rs = await client.query({
    query: `SELECT tenant_id AS tenantId, from_id AS fromId, argMax(to_id, attached_at) AS toId FROM person_merges
      WHERE from_id != '' AND to_id != '' AND from_id != to_id
      GROUP BY tenant_id, from_id
      HAVING max(applied) = 0 AND max(seen_at) < fromUnixTimestamp64Milli({before:Int64}, 'UTC')
      ORDER BY tenant_id, from_id
      LIMIT {limit:UInt32}`,
    query_params: { before: before.getTime(), limit },
    format: "JSONEachRow",
    clickhouse_settings: QUERY_SETTINGS,
  });
  return rs.json<PersonMerge>();
}

// The people's keys (cityHash64 of the ids, as the narrow tables store them) go in as constant arrays: `IN` a constant
// set lets a person-sorted table skip to the keys, where has(array) or an IN over arrayMap(cityHash64) is evaluated
// for every row (at 10M events 1,000 guests took 218 s that way; bench/README.md, session 78).
const IN_FROM = "IN {fromKeys:Array(UInt64)}";
const IN_TO = "IN {toKeys:Array(UInt64)}";
const moved = (col: string) => `transform(${col}, {fromKeys:Array(UInt64)}, {toKeys:Array(UInt64)}, ${col})`;

/** cityHash64 of each id, as a BigInt (the client writes it as a number). */
async function keysOf(client: ClickHouseClient, ids: string[]): Promise<bigint[]> {
  const rs = await client.query({
    query: "SELECT toString(cityHash64(arrayJoin({ids:Array(String)}))) AS k",
    query_params: { ids },
    format: "JSONEachRow",
    clickhouse_settings: QUERY_SETTINGS,
  });
  return (await rs.json<{ k: string }>()).map((r) => BigInt(r.k));
}

interface Moved {
  table: string;
  /** The rows to move, and how (SELECT * REPLACE). */
  parts: { where: string; replace: string }[];
  /** Every column but tenant_id: a row already copied (by a run that died before deleting) is not copied again. */
  cols: string;
  /** The accounts' rows, where such a copy would be. */
  theirs: string;
}

/** Copies the rows each part selects under the accounts' keys, then deletes the originals. */
async function move(client: ClickHouseClient, params: Record<string, unknown>, m: Moved) {
  const tenant = "tenant_id = {tenant:String}";
  // The filter in a subquery: ClickHouse lets WHERE see SELECT's aliases, and the replaced column is one.
  const copies = m.parts.map((p) => `SELECT * REPLACE (${p.replace}) FROM (SELECT * FROM ${m.table} WHERE ${tenant} AND ${p.where})`).join(" UNION ALL ");
  await client.command({
    query: `INSERT INTO ${m.table} SELECT * FROM (${copies})
      WHERE (${m.cols}) NOT IN (SELECT ${m.cols} FROM ${m.table} WHERE ${tenant} AND (${m.theirs}))`,
    query_params: params,
  });
  await client.command({
    query: `DELETE FROM ${m.table} WHERE ${tenant} AND (${m.parts.map((p) => `(${p.where})`).join(" OR ")})`,
    query_params: params,
    clickhouse_settings: MUTATION,
  });
}

/**
 * The earliest sign-up of each person stays: the others' event ids, and whose they were (their referral_signed_up goes
 * with them: the person was not brought in then, so no share gets them as an invitee).
 */
async function laterSignups(client: ClickHouseClient, tenant: string, merges: PersonMerge[]): Promise<{ eventIds: string[]; userIds: string[] }> {
  const personOf = new Map(merges.map((m) => [m.fromId, m.toId]));
  const ids = [...new Set(merges.flatMap((m) => [m.fromId, m.toId]))];
  const rs = await client.query({
    query: `SELECT user_id AS userId, event_id AS eventId FROM events
      WHERE tenant_id = {tenant:String} AND type = 'user_signed_up' AND user_id IN {ids:Array(String)}
      ORDER BY occurred_at, event_id LIMIT 1 BY event_id`,
    query_params: { tenant, ids },
    format: "JSONEachRow",
    clickhouse_settings: QUERY_SETTINGS,
  });
  const seen = new Set<string>();
  const later = { eventIds: [] as string[], userIds: [] as string[] };
  for (const r of await rs.json<{ userId: string; eventId: string }>()) {
    const person = personOf.get(r.userId) ?? r.userId;
    if (!seen.has(person)) seen.add(person);
    else {
      later.eventIds.push(r.eventId);
      later.userIds.push(r.userId);
    }
  }
  return later;
}

async function mergeTenant(client: ClickHouseClient, tenant: string, merges: PersonMerge[]) {
  const froms = merges.map((m) => m.fromId);
  const tos = merges.map((m) => m.toId);
  const params = { tenant, froms, tos, fromKeys: await keysOf(client, froms), toKeys: await keysOf(client, tos) };
  const later = await laterSignups(client, tenant, merges);
  // ltv_people's copy first (LTV reads only the span's rows, so a later sign-up would start a cohort of its own); the
  // events last, as a rerun finds the later sign-ups there.
  if (later.eventIds.length) {
    const laterKeys = await keysOf(client, later.eventIds);
    for (const query of [
      "DELETE FROM ltv_people WHERE tenant_id = {tenant:String} AND kind = 0 AND event_key IN {laterKeys:Array(UInt64)}",
      `DELETE FROM events WHERE tenant_id = {tenant:String}
         AND ((type = 'user_signed_up' AND event_id IN {later:Array(String)}) OR (type = 'referral_signed_up' AND user_id IN {laterUsers:Array(String)}))`,
    ]) {
      await client.command({ query, query_params: { tenant, later: later.eventIds, laterUsers: later.userIds, laterKeys }, clickhouse_settings: MUTATION });
    }
  }
  await client.command({
    query: `ALTER TABLE events UPDATE
  user_id = transform(user_id, {froms:Array(String)}, {tos:Array(String)}, user_id),
  referrer_id = transform(referrer_id, {froms:Array(String)}, {tos:Array(String)}, referrer_id)
WHERE tenant_id = {tenant:String} AND (user_id IN {froms:Array(String)} OR referrer_id IN {froms:Array(String)})`,
    query_params: params,
    clickhouse_settings: MUTATION,
  });
  await move(client, params, {
    table: "funnel_people",
    parts: [
      { where: `is_device = 0 AND person_key ${IN_FROM}`, replace: `${moved("person_key")} AS person_key` },
      { where: `step = 0 AND link_key ${IN_FROM}`, replace: `${moved("link_key")} AS link_key` },
    ],
    cols: "person_key, occurred_at, is_device, step, link_key, campaign_id",
    theirs: `person_key ${IN_TO} OR link_key ${IN_TO}`,
  });
  // A person with only views in the build skips windowFunnel (funnel.ts): merged, either side may have more.
  await move(client, params, {
    table: "funnel_compact",
    parts: [{ where: `is_device = 0 AND person_key ${IN_FROM}`, replace: `${moved("person_key")} AS person_key, toUInt8(0) AS views_only` }],
    cols: "build, person_key, occurred_at, is_device, step, campaign_id",
    theirs: `person_key ${IN_TO}`,
  });
  await client.command({
    query: `ALTER TABLE funnel_compact UPDATE views_only = 0 WHERE tenant_id = {tenant:String} AND views_only = 1 AND is_device = 0 AND person_key ${IN_TO}`,
    query_params: params,
    clickhouse_settings: MUTATION,
  });
  await move(client, params, {
    table: "ltv_people",
    parts: [{ where: `user_key ${IN_FROM}`, replace: `${moved("user_key")} AS user_key` }],
    cols: "user_key, occurred_at, event_key",
    theirs: `user_key ${IN_TO}`,
  });
  // Profiles are aggregate states (earliest sign-up, set of active days): a second copy changes nothing.
  await move(client, params, {
    table: "user_profiles",
    parts: [{ where: `user_key ${IN_FROM}`, replace: `${moved("user_key")} AS user_key` }],
    cols: "user_key",
    theirs: "0",
  });
  await client.insert({
    table: "person_merges",
    values: merges.map((m) => ({ tenant_id: tenant, from_id: m.fromId, to_id: m.toId, attached_at: new Date().toISOString(), applied: 1 })),
    format: "JSONEachRow",
    clickhouse_settings: { date_time_input_format: "best_effort" },
  });
}

/**
 * Each guest's account at the end of its chain: a widget's guest attached to the browser's guest, which later signed
 * in to a phone account, is that account's (three hops at most, as the worker's resolveBuyer), whether the later
 * attachment was applied before or comes in the same run.
 */
async function finalTargets(client: ClickHouseClient, tenant: string, merges: PersonMerge[]): Promise<PersonMerge[]> {
  let out = merges;
  for (let hop = 0; hop < 3; hop++) {
    const rs = await client.query({
      query: `SELECT from_id AS fromId, argMax(to_id, attached_at) AS toId FROM person_merges
        WHERE tenant_id = {tenant:String} AND from_id IN {ids:Array(String)} GROUP BY from_id`,
      query_params: { tenant, ids: [...new Set(out.map((m) => m.toId))] },
      format: "JSONEachRow",
      clickhouse_settings: QUERY_SETTINGS,
    });
    const next = new Map((await rs.json<{ fromId: string; toId: string }>()).map((r) => [r.fromId, r.toId]));
    if (!next.size) break;
    out = out.map((m) => ({ ...m, toId: next.get(m.toId) ?? m.toId }));
  }
  return out;
}

/** Applies the attachments made at least `minAgeMs` ago; returns how many guests moved. */
export async function applyPersonMerges(client: ClickHouseClient, o: { minAgeMs?: number; now?: Date } = {}): Promise<number> {
  const merges = await pendingMerges(client, new Date((o.now ?? new Date()).getTime() - (o.minAgeMs ?? 120_000)));
  const byTenant = new Map<string, PersonMerge[]>();
  for (const m of merges) byTenant.set(m.tenantId, [...(byTenant.get(m.tenantId) ?? []), m]);
  for (const [tenant, of] of byTenant) await mergeTenant(client, tenant, await finalTargets(client, tenant, of));
  return merges.length;
}

/** What the schedule did since start, for the warehouse's /health. */
export interface MergeStatus {
  lastRunAt: string | null;
  /** Guests merged since start. */
  merged: number;
  lastError: string | null;
}

/** The warehouse process applies them every `everyMs` (one job at a time with the funnel's compaction). */
export function schedulePersonMerges(client: ClickHouseClient, o: { everyMs?: number; minAgeMs?: number; log?: (line: string) => void } = {}) {
  const log = o.log ?? ((l: string) => console.log(l));
  const status: MergeStatus = { lastRunAt: null, merged: 0, lastError: null };
  const { stop } = everyOneAtATime(async () => {
    try {
      const n = await applyPersonMerges(client, { minAgeMs: o.minAgeMs });
      status.lastRunAt = new Date().toISOString();
      status.merged += n;
      status.lastError = null;
      if (n) log(`warehouse: ${n} attached guest(s) merged into their accounts`);
    } catch (err) {
      status.lastError = (err as Error).message;
      log(`warehouse: merging attached guests failed, retried at the next look: ${status.lastError}`);
    }
  }, o.everyMs ?? 60_000);
  return { stop, status: (): MergeStatus => status };
}
