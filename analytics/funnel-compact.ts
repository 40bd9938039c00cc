import type { ClickHouseClient } from "@clickhouse/client";
import { everyOneAtATime } from "./one-at-a-time";
import { select as rows } from "./metrics/metric";

/**
 * The funnel's compacted copy of its closed days (schema/clickhouse/0016 says what is kept and why it is exact).
 * A build reads funnel_people before the frontier (the start of the UTC day that began FRONTIER_LAG_S ago, so events
 * still in the queue at midnight land before it closes), writes one merged part under a new build id, and then
 * records, per tenant, how many funnel_people rows it was built from. The funnel reads a tenant's build only while that
 * count still holds (compactSource); a late event, a duplicate, an erasure or a retention cut changes the count, and
 * the funnel reads funnel_people alone until the next build.
 */
export const FRONTIER_LAG_S = 15 * 60;
const DAY_S = 86_400;

export const frontierFor = (now: Date) => {
  const s = Math.floor(now.getTime() / 1000) - FRONTIER_LAG_S;
  return new Date((s - (s % DAY_S)) * 1000);
};
const chTime = (d: Date) => Math.floor(d.getTime() / 1000);

const CURRENT = "(SELECT max(build) FROM funnel_compact_builds)";
/** funnel_people rows before the frontier {f}: what a build reads, and what its count per tenant records. */
const BEFORE = "occurred_at < toDateTime({f:UInt32}, 'UTC')";

/**
 * What the funnel reads for this tenant and span: the build (0 = none) and the cut. Build rows before the cut, then
 * funnel_people from the cut on. The cut is the frontier, or the start of the span's last day if that is earlier:
 * a run of views is cut at each day's end, so the view kept for a run inside whole days is inside the span whenever
 * a dropped one was.
 */
export async function compactSource(client: ClickHouseClient, tenant: string, to: Date): Promise<{ build: string; cut: number }> {
  const none = { build: "0", cut: 0 };
  const [b] = await rows<{ id: string; at: number; raw: number }>(
    client,
    `SELECT toString(build) AS id, toUnixTimestamp(frontier) AS at, raw_rows AS raw FROM funnel_compact_builds
     WHERE tenant_id = {tenant:String} AND build = ${CURRENT} LIMIT 1`,
    { tenant },
  );
  if (!b) return none;
  const [raw] = await rows<{ n: number }>(
    client,
    `SELECT count() AS n FROM funnel_people WHERE tenant_id = {tenant:String} AND ${BEFORE}`,
    { tenant, f: b.at },
  );
  const toDay = Math.floor(to.getTime() / 1000 / DAY_S) * DAY_S;
  return raw?.n === b.raw ? { build: b.id, cut: Math.min(b.at, toDay) } : none;
}

/**
 * Per person (a device whose visitor signed up counts as that user, as in the funnel query): every non-view step, and
 * of the views only the last of each campaign in each run, a run being the views of one UTC day between two non-view
 * steps (in windowFunnel's order: time, then step, so a view at the same second as a claim precedes it). Identical
 * non-view steps collapse too (windowFunnel ignores repeats). views_only marks the rows of a person with no other step
 * in the build.
 */
const BUILD_SQL = `
INSERT INTO funnel_compact (build, tenant_id, person_key, occurred_at, is_device, step, campaign_id, views_only)
SELECT {build:UInt64}, tenant_id, who, max(occurred_at), is_device, step, campaign_id, any(top = 1)
FROM (
  SELECT tenant_id, who, is_device, step, campaign_id, occurred_at,
         sum(step >= 2) OVER (PARTITION BY tenant_id, who ORDER BY occurred_at, step ROWS UNBOUNDED PRECEDING) AS seg,
         max(step) OVER (PARTITION BY tenant_id, who) AS top
  FROM (
    SELECT f.tenant_id AS tenant_id, if(f.is_device = 1 AND l.user_key != 0, l.user_key, f.person_key) AS who,
           toUInt8(f.is_device = 1 AND l.user_key = 0) AS is_device, f.step AS step, f.campaign_id AS campaign_id, f.occurred_at AS occurred_at
    FROM funnel_people AS f
    LEFT JOIN (
      SELECT tenant_id, person_key AS device_key, min(link_key) AS user_key FROM funnel_people WHERE step = 0 GROUP BY tenant_id, person_key
    ) AS l ON l.tenant_id = f.tenant_id AND l.device_key = f.person_key
    WHERE f.step != 0 AND f.${BEFORE}
  )
)
GROUP BY tenant_id, who, is_device, step, campaign_id, toDate(occurred_at), if(step = 1, seg, toUInt64(toUnixTimestamp(occurred_at)))`;

/** Bounds the build's memory at 100M events: sorts and groups past these spill to disk. */
const BUILD_SETTINGS = { max_bytes_before_external_sort: "2000000000", max_bytes_before_external_group_by: "2000000000" } as const;

export interface CompactBuild {
  build: string;
  frontier: Date;
  tenants: number;
  rawRows: number;
  rows: number;
  ms: number;
}

export async function buildFunnelCompact(client: ClickHouseClient, now = new Date()): Promise<CompactBuild> {
  const started = performance.now();
  const frontier = frontierFor(now);
  const [last] = await rows<{ b: string }>(client, `SELECT toString(${CURRENT}) AS b`, {});
  const build = String(Math.max(Date.now(), Number(last?.b ?? 0) + 1));
  const params = { build, f: chTime(frontier) };
  // Counted before the build reads: a row that lands in between is in the build but not in the count, so the
  // funnel sees a difference and reads funnel_people alone (never the other way round).
  const counts = await rows<{ tenant_id: string; n: number }>(
    client,
    `SELECT tenant_id, count() AS n FROM funnel_people WHERE ${BEFORE} GROUP BY tenant_id`,
    params,
  );
  await client.command({ query: BUILD_SQL, query_params: params, clickhouse_settings: BUILD_SETTINGS });
  await client.command({ query: `OPTIMIZE TABLE funnel_compact PARTITION ${Number(build)} FINAL` });
  if (counts.length) {
    await client.insert({
      table: "funnel_compact_builds",
      values: counts.map((c) => ({ build, tenant_id: c.tenant_id, frontier: chTime(frontier), raw_rows: c.n })),
      format: "JSONEachRow",
    });
  }
  const [made] = await rows<{ n: number }>(client, "SELECT count() AS n FROM funnel_compact WHERE build = {build:UInt64}", params);
  return {
    build, frontier, tenants: counts.length, rawRows: counts.reduce((s, c) => s + c.n, 0), rows: made?.n ?? 0,
    ms: Math.round(performance.now() - started),
  };
}

/** A build id is the time its build began (ms); one with no record after this long was left by a crashed build. */
const ABANDONED_MS = 3_600_000;

/**
 * Drops the builds older than the current one, and any build never recorded that began over an hour ago (the process
 * died while building it). Run before a build, never right after one, so a funnel query that chose the previous
 * build a moment ago still finds its rows.
 */
export async function pruneFunnelCompact(client: ClickHouseClient, now = Date.now()): Promise<number> {
  const old = await rows<{ p: string }>(
    client,
    `SELECT DISTINCT partition_id AS p FROM system.parts
     WHERE database = currentDatabase() AND table = 'funnel_compact' AND active
       AND (toUInt64(partition) < ${CURRENT}
            OR (toUInt64(partition) < {abandoned:UInt64} AND toUInt64(partition) NOT IN (SELECT build FROM funnel_compact_builds)))`,
    { abandoned: now - ABANDONED_MS },
  );
  for (const { p } of old) await client.command({ query: "ALTER TABLE funnel_compact DROP PARTITION ID {p:String}", query_params: { p } });
  return old.length;
}

/** Why a build is due: none yet, a day has closed since, or a tenant's rows before the frontier changed. */
export async function funnelCompactDue(client: ClickHouseClient, now = new Date()): Promise<"none" | "frontier" | "changed" | null> {
  const [b] = await rows<{ id: string; at: number }>(
    client,
    `SELECT toString(build) AS id, toUnixTimestamp(frontier) AS at FROM funnel_compact_builds WHERE build = ${CURRENT} LIMIT 1`,
    {},
  );
  if (!b) {
    const [any] = await rows<{ n: number }>(client, `SELECT count() AS n FROM funnel_people WHERE ${BEFORE}`, { f: chTime(frontierFor(now)) });
    return (any?.n ?? 0) > 0 ? "none" : null;
  }
  if (b.at < chTime(frontierFor(now))) return "frontier";
  const [changed] = await rows<{ n: number }>(
    client,
    `SELECT count() AS n FROM (
       SELECT tenant_id, count() AS raw FROM funnel_people WHERE ${BEFORE} GROUP BY tenant_id
     ) AS r FULL OUTER JOIN (
       SELECT tenant_id, raw_rows FROM funnel_compact_builds WHERE build = {build:UInt64}
     ) AS b USING (tenant_id)
     WHERE r.raw != b.raw_rows`,
    { f: b.at, build: b.id },
  );
  return (changed?.n ?? 0) > 0 ? "changed" : null;
}

export interface CompactSchedule {
  /** How often to look (default 300 s). */
  everyMs?: number;
  /** After a build, the next one for changed rows waits this long, and after a failed build any next one (default 30 min). */
  changedGapMs?: number;
  log?: (line: string) => void;
}

/** What the schedule last did: its last build (this process) and what is waiting, for the warehouse's /health. */
export interface CompactStatus {
  lastBuild: (Omit<CompactBuild, "frontier"> & { frontier: string; reason: string; at: string }) | null;
  /** Why the last look found a build due but waited (within changedGapMs of the last build or failure), or null. */
  waiting: string | null;
  lastError: string | null;
}

/** The warehouse process keeps the build current: a look at start, then every `everyMs`. */
export function scheduleFunnelCompact(client: ClickHouseClient, o: CompactSchedule = {}): { stop: () => void; status: () => CompactStatus } {
  const everyMs = o.everyMs ?? 300_000;
  const changedGapMs = o.changedGapMs ?? 1_800_000;
  const log = o.log ?? ((l: string) => console.log(l));
  const status: CompactStatus = { lastBuild: null, waiting: null, lastError: null };
  let lastBuildAt = 0;
  let failedAt = 0;
  const look = async () => {
    try {
      await pruneFunnelCompact(client);
      const due = await funnelCompactDue(client);
      // A failed build (e.g. out of memory) is not retried at every look: it would take the cores each time.
      const gap = Date.now() - Math.max(failedAt, due === "changed" ? lastBuildAt : 0) < changedGapMs;
      status.waiting = due && gap ? due : null;
      if (!due || status.waiting) return;
      const b = await buildFunnelCompact(client);
      lastBuildAt = Date.now();
      status.lastBuild = { ...b, frontier: b.frontier.toISOString(), reason: due, at: new Date().toISOString() };
      status.lastError = null;
      log(`warehouse: funnel compacted (${due}): ${b.rawRows} rows before ${b.frontier.toISOString()} → ${b.rows} in ${b.ms} ms`);
    } catch (err) {
      failedAt = Date.now();
      status.lastError = (err as Error).message;
      log(`warehouse: funnel compaction failed, the funnel reads funnel_people until it succeeds: ${status.lastError}`);
    }
  };
  const { stop } = everyOneAtATime(look, everyMs);
  return { stop, status: () => status };
}
