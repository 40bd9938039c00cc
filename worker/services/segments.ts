/**
 * Segments (issue 19 item 3). A rules segment is computed in the warehouse (behaviour) page by page, narrowed at the
 * edge by D1 member facts (tier, tags, city: they live in D1 and change without events), staged under a run and
 * swapped into segment_members in one batch; an upload segment is a CSV of ids or phones (phones hashed on arrival,
 * never stored). The claim path then checks membership with one primary-key lookup (db/segments.ts isMemberStmt).
 */
import { SegmentRules, WarehouseSegmentRules, hasMemberFilters, type Segment, type SegmentComputePage, type SegmentPreviewAnswer } from "../../schema/segments";
import { newId } from "../domain/crypto";
import { maskId, memberFactsMatch, parseUploadCsv, UPLOAD_MAX_ROWS } from "../domain/segments";
import { listTierRows } from "../db/membership";
import {
  buyerFacts, buyersByIds, buyersByPhoneHashes, clearStaging, dueSegments, failRun, getSegment, insertRun, insertSegment, latestRuns,
  listSegments, memberPage, runningRun, runStillRunning, stagedCount, stagePageStmts, swapStmts, updateSegment,
  type SegmentRow, type SegmentRunRow,
} from "../db/segments";
import { ApiError } from "../errors";
import { eventRows } from "../queue/emit";
import { phoneHash } from "./buyers";
import { warehouseRead } from "./warehouse";

export const PAGE_SIZE = 5000;
/** Pages one request or one cron tick computes before leaving the rest to the next tick (the run resumes). */
export const PAGES_PER_CALL = 40;

function toSegment(row: SegmentRow, run: SegmentRunRow | null): Segment {
  return {
    id: row.id,
    name: row.name,
    source: row.source,
    rules: row.source === "rules" ? SegmentRules.parse(JSON.parse(row.rules)) : null,
    refreshMinutes: row.refresh_minutes,
    status: row.status,
    size: row.size,
    computedAt: row.computed_at,
    run: run && { id: run.id, status: run.status, members: run.members, startedAt: run.started_at, finishedAt: run.finished_at, error: run.error },
    createdAt: row.created_at,
  };
}

async function view(env: Env, row: SegmentRow): Promise<Segment> {
  const [run] = await latestRuns(env.DB, row.tenant_id, [row.id]);
  return toSegment(row, run ?? null);
}

async function load(env: Env, tenantId: string, id: string): Promise<SegmentRow> {
  const row = await getSegment(env.DB, tenantId, id);
  if (!row) throw ApiError.notFound("Segment");
  return row;
}

export async function segmentList(env: Env, tenantId: string): Promise<Segment[]> {
  const rows = await listSegments(env.DB, tenantId);
  const runs = new Map((await latestRuns(env.DB, tenantId, rows.map((r) => r.id))).map((r) => [r.segment_id, r]));
  return rows.map((r) => toSegment(r, runs.get(r.id) ?? null));
}

export const segmentView = async (env: Env, tenantId: string, id: string) => view(env, await load(env, tenantId, id));

export async function createSegment(env: Env, tenantId: string, input: { name: string; rules: SegmentRules; refreshMinutes: number }) {
  const row = await insertSegment(env.DB, { id: newId("seg"), tenantId, name: input.name, source: "rules", rules: JSON.stringify(input.rules), refreshMinutes: input.refreshMinutes }).first<SegmentRow>();
  return toSegment(row!, null);
}

export async function patchSegment(env: Env, tenantId: string, id: string, p: { name?: string; rules?: SegmentRules; refreshMinutes?: number; status?: "active" | "archived" }) {
  const row = await load(env, tenantId, id);
  if (p.rules && row.source !== "rules") throw ApiError.badRequest("not_a_rules_segment", "An uploaded segment has no rules; upload a new file instead", [{ path: "rules", message: "upload segment", code: "custom" }]);
  const next = await updateSegment(env.DB, tenantId, id, { ...p, rules: p.rules && JSON.stringify(p.rules) });
  return view(env, next!);
}

function warehouseRules(r: SegmentRules) {
  const { tierIds: _t, tags: _g, cities: _c, ...behaviour } = r;
  return WarehouseSegmentRules.parse(behaviour);
}

/** Warehouse user ids → current buyers of the tenant that pass the member-fact rules. */
async function edgeFilter(env: Env, tenantId: string, rules: SegmentRules, userIds: string[], now: Date): Promise<string[]> {
  const facts = await buyerFacts(env.DB, tenantId, userIds);
  if (!hasMemberFilters(rules)) return facts.map((f) => f.buyer_id);
  const tiers = rules.tierIds.length ? await listTierRows(env.DB, tenantId) : [];
  return facts.filter((f) => memberFactsMatch(rules, f, tiers, now)).map((f) => f.buyer_id);
}

export async function previewRules(env: Env, tenantId: string, rules: SegmentRules) {
  const asOf = new Date().toISOString();
  const answer = await warehouseRead<SegmentPreviewAnswer>(env, "/v1/segments/preview", { tenantId, rules: warehouseRules(rules), asOf });
  const sample = await edgeFilter(env, tenantId, rules, answer.sample, new Date(asOf));
  return { size: answer.size, memberFiltered: hasMemberFilters(rules), sample: sample.map(maskId), tookMs: answer.tookMs };
}

export async function previewSegment(env: Env, tenantId: string, id: string) {
  const row = await load(env, tenantId, id);
  if (row.source !== "rules") throw ApiError.badRequest("not_a_rules_segment", "An uploaded segment has no rules to preview");
  return previewRules(env, tenantId, SegmentRules.parse(JSON.parse(row.rules)));
}

/** The running run of a segment, or a new one (a second starter finds the first's: one running run per segment). */
async function startOrResume(env: Env, tenantId: string, segmentId: string): Promise<SegmentRunRow> {
  const running = await runningRun(env.DB, tenantId, segmentId);
  if (running) return running;
  await insertRun(env.DB, { id: newId("srun"), tenantId, segmentId, asOf: new Date().toISOString() }).run();
  return (await runningRun(env.DB, tenantId, segmentId))!;
}

/** Points the segment at the run's staged members in one batch and records segment_computed. */
async function swap(env: Env, row: SegmentRow, runId: string) {
  const { before, after } = swapStmts(env.DB, row.tenant_id, row.id, runId);
  const event = eventRows(
    env,
    [{ tenantId: row.tenant_id, type: "segment_computed", eventId: `segc_${runId}`, payload: { segmentId: row.id, size: 0, source: row.source, runId } }],
    runStillRunning(row.tenant_id, runId),
    [{ path: "$.payload.size", ...stagedCount(row.tenant_id, runId) }],
  );
  await env.DB.batch([...before, ...event, ...after]);
}

/**
 * Computes (or resumes) a rules segment: up to `maxPages` warehouse pages, each staged with its cursor in one batch;
 * after the last page, the swap. A run cut short (a crash, the page budget) is picked up where its cursor stands by
 * the next call or the cron, with the same as-of instant, so its pages fit together.
 */
export async function computeSegment(env: Env, tenantId: string, segmentId: string, opts: { maxPages?: number; pageSize?: number } = {}): Promise<Segment> {
  const row = await load(env, tenantId, segmentId);
  if (row.source !== "rules") throw ApiError.badRequest("not_a_rules_segment", "An uploaded segment is replaced by uploading a new file");
  if (row.status !== "active") throw ApiError.conflict("segment_archived", "An archived segment is not computed");
  const rules = SegmentRules.parse(JSON.parse(row.rules));
  const run = await startOrResume(env, tenantId, segmentId);
  let after = run.cursor;
  try {
    for (let page = 0; page < (opts.maxPages ?? PAGES_PER_CALL); page++) {
      const answer = await warehouseRead<SegmentComputePage>(env, "/v1/segments/compute", { tenantId, rules: warehouseRules(rules), asOf: run.as_of, after, limit: opts.pageSize ?? PAGE_SIZE });
      const buyers = await edgeFilter(env, tenantId, rules, answer.userIds, new Date(run.as_of));
      const cursor = answer.userIds.at(-1) ?? after;
      if (answer.userIds.length) await env.DB.batch(stagePageStmts(env.DB, tenantId, run.id, buyers, cursor));
      after = cursor;
      if (answer.nextAfter === null) {
        await swap(env, row, run.id);
        break;
      }
    }
  } catch (e) {
    // A warehouse outage leaves the run running: the next call resumes it. Anything else is not going to pass on retry.
    if (!(e instanceof ApiError && e.status === 503)) {
      await failRun(env.DB, tenantId, run.id, e instanceof Error ? e.message : String(e));
      await clearStaging(env.DB, tenantId, run.id);
    }
    throw e;
  }
  return segmentView(env, tenantId, segmentId);
}

/** Cron: rules segments whose refresh_minutes have passed, and runs a crash left behind. */
export async function refreshSegments(env: Env, limit = 5): Promise<number> {
  const due = await dueSegments(env.DB, new Date().toISOString(), limit);
  for (const s of due) {
    try {
      await computeSegment(env, s.tenant_id, s.id);
    } catch (e) {
      console.warn(JSON.stringify({ at: "segments", segmentId: s.id, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  return due.length;
}

const CHUNK = 2000;

/**
 * An uploaded CSV (member ids, card numbers, buyer ids or phones) as the segment's members: phones are normalised and
 * hashed exactly like buyers.phone_hash and matched to buyers; neither the numbers nor unmatched values are stored.
 * A new segment when `segmentId` is not given, else the upload segment's members are replaced.
 */
export async function uploadSegment(env: Env, tenantId: string, input: { name?: string; segmentId?: string; csv: string }) {
  const parsed = parseUploadCsv(input.csv);
  if (parsed.rows > UPLOAD_MAX_ROWS) throw ApiError.badRequest("too_many_rows", `At most ${UPLOAD_MAX_ROWS} rows per file`, [{ path: "csv", message: `${parsed.rows} rows`, code: "too_big" }]);
  let row: SegmentRow;
  if (input.segmentId) {
    row = await load(env, tenantId, input.segmentId);
    if (row.source !== "upload") throw ApiError.badRequest("not_an_upload_segment", "Only an uploaded segment takes a file");
  } else {
    if (!input.name) throw ApiError.badRequest("validation_failed", "A new segment needs a name", [{ path: "name", message: "Required", code: "invalid_type" }]);
    row = (await insertSegment(env.DB, { id: newId("seg"), tenantId, name: input.name, source: "upload", rules: "{}", refreshMinutes: 0 }).first<SegmentRow>())!;
  }
  const matched = new Set<string>();
  const buyers = new Set<string>();
  for (let i = 0; i < parsed.ids.length; i += CHUNK) {
    for (const m of await buyersByIds(env.DB, tenantId, parsed.ids.slice(i, i + CHUNK))) (matched.add(`i:${m.k}`), buyers.add(m.buyer_id));
  }
  for (let i = 0; i < parsed.phones.length; i += CHUNK) {
    const hashes = await Promise.all(parsed.phones.slice(i, i + CHUNK).map((p) => phoneHash(env, p)));
    for (const m of await buyersByPhoneHashes(env.DB, tenantId, hashes)) (matched.add(`p:${m.k}`), buyers.add(m.buyer_id));
  }
  let run = await startOrResume(env, tenantId, row.id);
  if (run.cursor !== "") {
    // An upload that died between staging and its swap: the newer file wins (an upload is one request, not resumable).
    await failRun(env.DB, tenantId, run.id, "replaced by a newer upload");
    await clearStaging(env.DB, tenantId, run.id);
    run = await startOrResume(env, tenantId, row.id);
  }
  const ids = [...buyers];
  for (let i = 0; i < ids.length || i === 0; i += PAGE_SIZE) await env.DB.batch(stagePageStmts(env.DB, tenantId, run.id, ids.slice(i, i + PAGE_SIZE), "~upload"));
  await swap(env, row, run.id);
  const values = parsed.ids.length + parsed.phones.length;
  return { segment: await segmentView(env, tenantId, row.id), rows: parsed.rows, matched: matched.size, unmatched: values - matched.size, invalid: parsed.invalid };
}

/** The current members as CSV (member id, card number, buyer id — never phones), streamed page by page. */
export async function exportMembersCsv(env: Env, tenantId: string, segmentId: string): Promise<{ body: ReadableStream<Uint8Array>; filename: string }> {
  const row = await load(env, tenantId, segmentId);
  const enc = new TextEncoder();
  let after = "";
  let header = true;
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (header) {
        header = false;
        return ctl.enqueue(enc.encode("member_id,card_no,buyer_id\n"));
      }
      const page = await memberPage(env.DB, tenantId, row.id, after, 1000);
      if (!page.length) return ctl.close();
      after = page.at(-1)!.buyer_id;
      ctl.enqueue(enc.encode(page.map((m) => `${m.member_id ?? ""},${m.card_no ?? ""},${m.buyer_id}\n`).join("")));
    },
  });
  return { body, filename: `segment-${row.id}.csv` };
}
