import { DurableObject } from "cloudflare:workers";
import type { ClaimResult, ClaimStatus, DrawLogEntry, TaskResult, UserStanding } from "../../schema/campaigns";
import type { ClaimSettlement, ClaimState } from "../../schema/claim-facts";
import { isProductsRefusal, returnsRefusedUnit } from "../domain/claim-facts";
import { CLAIM_RATE_LIMITS, ITEM, phaseAt } from "../domain/campaign-rules";
import { chinaDay } from "../domain/china-time";
import { newId } from "../domain/crypto";
import { entryHash, genesisHash, landingPrize, pickPrize, windowBeacon, windowDrawProof, type Entrant } from "../domain/draw";
import { WindowCounter } from "../domain/rate-window";
import type { ClaimRejection, ClaimRequest, ShardConfig, ShardReply, Stock } from "./campaign-types";
import type { LimitWant } from "./campaign-limits";
import type { EventInput } from "../queue/emit";
import { drainOutbox, factBudget, EVENTS_TABLE, PENDING_EVENT, PENDING_FACT, PENDING_FAILED_EVENT, recordShardEvent } from "./campaign-outbox";
import { plusParamsSql, withPlusParams } from "../db/plus-params";

interface UserState {
  total: number;
  day: string;
  dayCount: number;
  drawsUsed: number;
  extra: number;
  tasks: Record<string, number>;
  nonce: number;
  wins: number;
}

interface Queued {
  req: HeldRequest;
  resolve: (r: ShardReply) => void;
  reject: (e: unknown) => void;
}

const OUTBOX_DELAY_MS = 200;
/**
 * Draws are decided in windows: entries of one window are fixed first, then its beacon (the hash of its entrants
 * and the log head) is computed and every entry is drawn with it. The request waits for its window (≤ this long).
 */
export const DRAW_WINDOW_MS = 250;

/** A closed window whose draws are not all made yet (a draw waits for stock from the coordinator). */
interface OpenWindow {
  window: number;
  beacon: string;
  at: string;
  entrants: (Pick<HeldRequest, "userId" | "requestId" | "referrerId" | "deviceId" | "origin" | "bonusChances" | "holdId"> & { claimId: string; nonce: number })[];
  next: number;
}

/** A claim with the id of the CampaignLimits hold it took (campaigns with IP/device/phone limits). */
type HeldRequest = ClaimRequest & { holdId?: string };

/** A won claim stays `awaiting` until the claims consumer settles it (order/voucher made, or refused for good). */
type ClaimRow = { id: string; result: string; awaiting: number; fulfil_ref: string | null; failure: string | null };

const freshUser = (day: string): UserState => ({ total: 0, day, dayCount: 0, drawsUsed: 0, extra: 0, tasks: {}, nonce: 0, wins: 0 });

/**
 * One slice of a campaign. Users are homed here by hash of their id, so their limits, draw nonces and chances
 * live only here and are exact. Hot state (config, stock, users seen) is in memory; every claim is decided and
 * written in one synchronous block, so it is a single SQLite transaction that commits before the reply leaves
 * (output gate). Stock arrives from the CampaignCoordinator in chunks and can be taken back when others run dry.
 */
export class CampaignShard extends DurableObject<Env> {
  private sql = plusParamsSql(this.ctx.storage.sql);
  private cfg: ShardConfig | null = null;
  private shard = -1;
  private stock: Stock = {};
  private exhausted = new Set<string>();
  private dirtyStock = new Set<string>();
  private grantSeq = 1;
  private head = { seq: 0, hash: "" };
  private users = new Map<string, UserState>();
  /**
   * Whether `users` holds every row of the users table (true for an object that found the table empty: a campaign's
   * shard during its first rush). Then a miss is a new user and costs no read; most claimants of a flash sale are.
   */
  private usersComplete = false;
  private chunks: Stock | null = null;
  private starting: Promise<boolean> | null = null;
  private refilling: Promise<void> | null = null;
  /** Claims waiting for stock: a refill asks for at least this many so a rush needs few round trips. */
  private waiting = 0;
  private queue: Queued[] = [];
  /** Requests (user, requestId) being decided now: a repeat waits for the first's answer. */
  private readonly deciding = new Map<string, Promise<ShardReply>>();
  private flushScheduled = false;
  /** When a claim last reached this object: the outbox paces won-claim facts while claims keep coming (factBudget). */
  private lastClaimAt = 0;
  private lastFactsAt = 0;
  /** Whether a half-drawn window may be stored (unknown until read once; set again whenever one is stored). */
  private openWindowMaybe = true;
  private limits = new WindowCounter();
  /** When the next alarm is due (null: none set); a claim brings a later one (a fact's resend) forward. */
  private alarmAt: number | null = null;
  /** Rejections are evented best-effort (memory only): a sold-out rush would otherwise write a row per refusal. */
  private rejected: EventInput[] = [];
  private rejectedDropped = 0;
  /** Operator pause as last told by the coordinator; null = never told, the config's flag applies. */
  private paused: boolean | null = null;
  /** Lottery entries waiting for their window to close, and the requests waiting for each claim's draw. */
  private drawQueue: Queued[] = [];
  private windowTimer = false;
  private windowNo = 0;
  private waiters = new Map<string, Queued[]>();
  private finishing: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, withPlusParams(env));
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS stock (k TEXT PRIMARY KEY, qty INTEGER NOT NULL, exhausted INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS claims (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, request_id TEXT, result TEXT NOT NULL,
        referrer_id TEXT, device_id TEXT, pending INTEGER NOT NULL, fulfil_ref TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0);
      CREATE UNIQUE INDEX IF NOT EXISTS claims_request ON claims (user_id, request_id);
      CREATE INDEX IF NOT EXISTS claims_pending ON claims (pending, next_at);
      CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS releases (seq INTEGER PRIMARY KEY, stock TEXT NOT NULL);
      ${EVENTS_TABLE};`);
    // Added after the first release: the page origin a claim came from (widget attribution).
    const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(claims)").toArray().map((c) => c.name);
    if (!columns.includes("origin")) this.sql.exec("ALTER TABLE claims ADD COLUMN origin TEXT");
    // Added with failed claims: {code, message} of a claim fulfilment refused for good (shown to the buyer).
    if (!columns.includes("failure")) this.sql.exec("ALTER TABLE claims ADD COLUMN failure TEXT");
    // Added when lapsed wins gave back their IP/device/phone limit units: the CampaignLimits hold the claim keeps.
    if (!columns.includes("hold_id")) this.sql.exec("ALTER TABLE claims ADD COLUMN hold_id TEXT");
    // Added when fulfilment left the shard: 1 until the claims consumer settles the won claim. Rows from before that
    // still owing their order/voucher (bit 2 set) are awaiting; their fact is forwarded like a new one's.
    if (!columns.includes("awaiting")) {
      this.ctx.storage.transactionSync(() => {
        this.sql.exec("ALTER TABLE claims ADD COLUMN awaiting INTEGER NOT NULL DEFAULT 0");
        this.sql.exec("UPDATE claims SET awaiting = 1 WHERE pending & ?", PENDING_FACT);
      });
    }
    this.usersComplete = this.sql.exec("SELECT 1 FROM users LIMIT 1").toArray().length === 0;
    const meta = new Map(this.sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta").toArray().map((r) => [r.k, r.v]));
    if (meta.has("paused")) this.paused = meta.get("paused") === "1";
    if (meta.has("cfg")) {
      this.cfg = JSON.parse(meta.get("cfg")!) as ShardConfig;
      this.shard = Number(meta.get("shard"));
      this.grantSeq = Number(meta.get("grantSeq") ?? 1);
      for (const r of this.sql.exec<{ k: string; qty: number; exhausted: number }>("SELECT * FROM stock")) {
        this.stock[r.k] = r.qty;
        if (r.exhausted) this.exhausted.add(r.k);
      }
      const last = this.sql.exec<{ seq: number; entry: string }>("SELECT seq, entry FROM log ORDER BY seq DESC LIMIT 1").toArray()[0];
      this.head = last ? { seq: last.seq, hash: (JSON.parse(last.entry) as DrawLogEntry).hash } : { seq: 0, hash: genesisHash(this.cfg.campaignId, this.shard) };
      this.windowNo = Number(meta.get("window") ?? 0);
    }
  }

  async claim(campaignId: string, shard: number, req: ClaimRequest): Promise<ShardReply> {
    const [reply] = await this.claimMany(campaignId, shard, [req]);
    return reply!;
  }

  /** Several claims in one call (and one write transaction) — the worker batches concurrent requests. */
  async claimMany(campaignId: string, shard: number, reqs: ClaimRequest[]): Promise<ShardReply[]> {
    if (!this.cfg && !(await this.start(campaignId, shard))) return reqs.map(() => reject("not_started", "The campaign has not started"));
    this.resumeWindow();
    const now = Date.now();
    this.lastClaimAt = now;
    return Promise.all(
      reqs.map((r) => {
        const early = this.precheck(r, now);
        if (early) {
          if (!early.ok) this.noteRejection(r, early.code);
          this.armAlarm();
          return early;
        }
        // A repeat of a request still being decided (a client's retry before the first answer came back) gets the
        // first one's answer. The precheck only finds a committed one; without this the repeat asked the limits
        // object for a unit of its own, which the first already held: the winner read device_limit_reached.
        const key = r.requestId ? `${r.userId}\n${r.requestId}` : null;
        const running = key ? this.deciding.get(key) : undefined;
        if (running) return running;
        const wants = limitWants(this.cfg!.def, r);
        const reply = wants.length ? this.claimWithinLimits(r, wants) : this.enqueue(r);
        if (key) {
          this.deciding.set(key, reply);
          reply.finally(() => this.deciding.delete(key)).catch(() => {});
        }
        return reply;
      }),
    );
  }

  /**
   * Campaign-wide IP / device / phone limits (exact across shards): a unit of each key is reserved in the
   * campaign's CampaignLimits object before the claim is decided here, and given back when it did not win. Only
   * claims that passed the precheck get here, so a sold-out shard answers without this hop.
   */
  private async claimWithinLimits(req: ClaimRequest, wants: LimitWant[]): Promise<ShardReply> {
    const limits = this.limitsObject();
    const holdId = crypto.randomUUID();
    const held = await limits.reserve(holdId, wants);
    if (!held.ok) {
      this.noteRejection(req, held.code);
      this.armAlarm();
      return reject(held.code, LIMIT_TEXT[held.code]);
    }
    let reply: ShardReply;
    try {
      reply = await this.enqueue({ ...req, holdId });
    } catch (e) {
      await limits.release(holdId);
      throw e;
    }
    // A repeated request answers with its first claim, which keeps the first request's hold: this one is given back.
    if (!reply.ok || reply.result.outcome === "no_prize" || this.holdOf(reply.result.claimId) !== holdId) await limits.release(holdId);
    return reply;
  }

  private holdOf(claimId: string): string | null {
    return this.sql.exec<{ hold_id: string | null }>("SELECT hold_id FROM claims WHERE id = ?", claimId).toArray()[0]?.hold_id ?? null;
  }

  private limitsObject() {
    const ns = this.env.CAMPAIGN_LIMITS;
    return ns.get(ns.idFromName(this.cfg!.campaignId));
  }

  /** Told by the coordinator; kept even before this shard has its config (a start in flight reads it afterwards). */
  async setPaused(paused: boolean) {
    this.paused = paused;
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('paused', ?)", paused ? "1" : "0");
  }

  private isPaused(): boolean {
    return this.paused ?? this.cfg?.paused ?? false;
  }

  /**
   * Counts a completed task (up to its daily limit) and records campaign_task_completed in the same storage
   * transaction; the alarm forwards it. A completion past the limit changes nothing and records nothing.
   */
  async completeTask(campaignId: string, shard: number, userId: string, taskId: string, deviceId: string | null = null): Promise<TaskResult | { error: string }> {
    if (!this.cfg && !(await this.start(campaignId, shard))) return { error: "not_started" };
    const cfg = this.cfg!;
    const def = cfg.def;
    const task = def.tasks.find((t) => t.id === taskId);
    if (!task) return { error: "unknown_task" };
    if (phaseAt(def, Date.now()) !== "live") return { error: "ended" };
    const u = this.user(userId, Date.now());
    const done = u.tasks[taskId] ?? 0;
    if (done < task.perDay) {
      u.tasks[taskId] = done + 1;
      u.extra += task.extraChances;
      this.ctx.storage.transactionSync(() => {
        this.saveUser(userId, u);
        recordShardEvent(this.sql, {
          eventId: newId("evtk"), tenantId: cfg.tenantId, type: "campaign_task_completed", occurredAt: new Date(), actor: { userId, deviceId },
          payload: { campaignId: cfg.campaignId, taskId, completedToday: done + 1 },
        });
      });
      this.armAlarm();
    }
    return { taskId, completedToday: u.tasks[taskId] ?? 0, extraChancesToday: u.extra, drawsLeftToday: this.drawsLeft(u) };
  }

  /** null before the campaign starts (the caller answers from the definition). */
  async standing(campaignId: string, shard: number, userId: string): Promise<UserStanding | null> {
    // A shard that no one has claimed on yet has no config: start it, or a new user reads "0 draws left".
    if (!this.cfg && !(await this.start(campaignId, shard))) return null;
    const u = this.user(userId, Date.now());
    return { userId, claimedTotal: u.total, claimedToday: u.dayCount, drawsLeftToday: this.drawsLeft(u), wins: u.wins, claims: this.claimsOf(userId) };
  }

  /** The user's latest won claims with what became of them: an order/voucher, still pending, or failed and why. */
  private claimsOf(userId: string): ClaimStatus[] {
    const rows = this.sql.exec<ClaimRow>(
      "SELECT id, result, awaiting, fulfil_ref, failure FROM claims WHERE user_id = ? ORDER BY rowid DESC LIMIT 50", userId,
    ).toArray();
    const flash = this.cfg!.def.kind === "flash_sale";
    return rows.flatMap((row) => {
      const r = JSON.parse(row.result) as ClaimResult;
      if (r.outcome === "no_prize") return [];
      const failure = row.failure ? (JSON.parse(row.failure) as ClaimStatus["failure"]) : null;
      const ref = failure ? null : row.fulfil_ref;
      return [{
        claimId: row.id, outcome: r.outcome, prizeId: r.prizeId, at: r.at,
        status: failure ? "failed" : row.awaiting ? "pending" : "fulfilled",
        orderId: flash ? ref : null, voucherId: flash ? null : ref, failure,
      } satisfies ClaimStatus];
    });
  }

  /** What this shard holds and its draw-log head (public, for the live stock display). */
  async holding(): Promise<{ stock: Stock; head: { seq: number; hash: string } }> {
    return { stock: { ...this.stock }, head: { ...this.head } };
  }

  /** Gives back half of what it holds of `keys`; idempotent by the coordinator's seq. */
  async release(seq: number, keys: string[]): Promise<Stock> {
    const done = this.sql.exec<{ stock: string }>("SELECT stock FROM releases WHERE seq = ?", seq).toArray()[0];
    if (done) return JSON.parse(done.stock) as Stock;
    const delta: Stock = {};
    for (const k of keys) {
      const n = Math.ceil((this.stock[k] ?? 0) / 2);
      if (n > 0) delta[k] = -n;
    }
    this.ctx.storage.transactionSync(() => {
      this.applyStockDelta(delta);
      this.sql.exec("INSERT INTO releases (seq, stock) VALUES (?, ?)", seq, JSON.stringify(Object.fromEntries(Object.entries(delta).map(([k, d]) => [k, -d]))));
    });
    return Object.fromEntries(Object.entries(delta).map(([k, d]) => [k, -d]));
  }

  /** The request ids of every claim this shard answered (a retry of one must reach it, sold out or not). */
  async claimedRequestIds(): Promise<string[]> {
    return this.sql.exec<{ request_id: string }>("SELECT request_id FROM claims WHERE request_id IS NOT NULL").toArray().map((r) => r.request_id);
  }

  async drawLog(): Promise<DrawLogEntry[]> {
    return this.sql.exec<{ entry: string }>("SELECT entry FROM log ORDER BY seq").toArray().map((r) => JSON.parse(r.entry) as DrawLogEntry);
  }

  /** One of this user's claims and what became of it so far (null if it is not theirs or does not exist). */
  async claimOf(userId: string, claimId: string): Promise<{ result: ClaimResult; state: ClaimState; failureCode: string | null } | null> {
    const row = this.sql.exec<ClaimRow>("SELECT id, result, awaiting, fulfil_ref, failure FROM claims WHERE id = ? AND user_id = ?", claimId, userId).toArray()[0];
    if (!row) return null;
    const failureCode = row.failure ? ((JSON.parse(row.failure) as { code?: string }).code ?? null) : null;
    return { result: JSON.parse(row.result) as ClaimResult, state: stateOf(row), failureCode };
  }

  /** Where each claim stands (the claims consumer skips those already settled: a redelivered fact changes nothing). */
  async claimStates(claimIds: string[]): Promise<Record<string, ClaimState>> {
    const out: Record<string, ClaimState> = {};
    for (const id of claimIds) {
      const row = this.sql.exec<ClaimRow>("SELECT id, result, awaiting, fulfil_ref, failure FROM claims WHERE id = ?", id).toArray()[0];
      out[id] = row ? stateOf(row) : "unknown";
    }
    return out;
  }

  /**
   * The claims consumer reports what became of won claims. Idempotent by claim id: only an awaiting claim moves.
   * A refusal (flash sale, coupon claim) puts the unit back on sale here, and records the claim_failed event in
   * the same transaction as the mark, so a repeat neither returns the unit twice nor events it twice. Lottery
   * prizes are not put back: the published draw log replays as it is. Returns each claim's state afterwards.
   */
  async settleClaims(settlements: ClaimSettlement[]): Promise<Record<string, ClaimState>> {
    const out: Record<string, ClaimState> = {};
    const returns = this.cfg !== null && returnsRefusedUnit(this.cfg.def.kind);
    let failed = false;
    const released: string[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const s of settlements) {
        const row = this.sql.exec<ClaimRow & { user_id: string; hold_id: string | null }>(
          "SELECT id, user_id, result, awaiting, fulfil_ref, failure, hold_id FROM claims WHERE id = ?", s.claimId,
        ).toArray()[0];
        if (!row) {
          out[s.claimId] = "unknown";
          continue;
        }
        if (!row.awaiting) {
          out[s.claimId] = stateOf(row);
          continue;
        }
        if ("failure" in s) {
          console.error(JSON.stringify({ at: "campaign-fulfil", claimId: s.claimId, reason: `${s.failure.code}: ${s.failure.message}` }));
          this.sql.exec(
            "UPDATE claims SET awaiting = 0, pending = (pending & ?) | ?, fulfil_ref = ?, failure = ?, next_at = 0 WHERE id = ?",
            ~PENDING_FACT, PENDING_FAILED_EVENT, `failed: ${s.failure.code}: ${s.failure.message}`, JSON.stringify(s.failure), s.claimId,
          );
          if (returns) {
            // The product's refusal (it ran out or ended): the winner got nothing through no doing of theirs, so the
            // win does not use up their limit; the unit does not go back on sale, where it would only be won and
            // refused again (the sale sells out as the product did). A refusal about the buyer (their own purchase
            // limit) keeps their count, or they would loop, and puts the unit back for someone else.
            if (isProductsRefusal(s.failure.code)) {
              this.giveBackUserUnit(row);
              if (row.hold_id) released.push(row.hold_id);
            } else this.applyStockDelta({ [ITEM]: 1 });
          }
          failed = true;
        } else {
          this.sql.exec("UPDATE claims SET awaiting = 0, pending = pending & ?, fulfil_ref = ? WHERE id = ?", ~PENDING_FACT, s.ref, s.claimId);
        }
        out[s.claimId] = "failure" in s ? "failed" : "fulfilled";
      }
    });
    if (failed) this.armAlarm();
    for (const holdId of released) await this.limitsObject().release(holdId);
    return out;
  }

  /**
   * A won flash-sale claim whose order lapsed unpaid (expired, or cancelled by its buyer): its unit goes back on sale
   * and the winner may try again, once — the claim is marked failed (order_lapsed) in the same transaction. False when
   * the claim is not on this shard, is not a settled win, or lapsed already. `cancelled`: the order was cancelled (by its
   * buyer) rather than left to expire, so the winner is not told it timed out (order_cancelled instead of order_lapsed).
   */
  async lapseClaim(campaignId: string, shard: number, claimId: string, cancelled = false): Promise<boolean> {
    if (!(await this.start(campaignId, shard)) || !returnsRefusedUnit(this.cfg!.def.kind)) return false;
    let lapsed = false;
    let holdId: string | null = null;
    this.ctx.storage.transactionSync(() => {
      const row = this.sql.exec<ClaimRow & { user_id: string; hold_id: string | null }>("SELECT id, user_id, result, awaiting, fulfil_ref, failure, hold_id FROM claims WHERE id = ?", claimId).toArray()[0];
      if (!row || row.failure) return;
      // Its order existed to lapse, so a fact still awaiting settlement has nothing left to do (the order is keyed on
      // the claim: a late delivery of the fact finds the lapsed order, and settleClaims skips a claim not awaiting).
      const failure = cancelled
        ? { code: "order_cancelled", message: "The order was cancelled unpaid; its unit went back on sale" }
        : { code: "order_lapsed", message: "The order was not paid in time; its unit went back on sale" };
      this.sql.exec(
        "UPDATE claims SET awaiting = 0, pending = pending & ?, failure = ?, fulfil_ref = ? WHERE id = ?",
        ~PENDING_FACT, JSON.stringify(failure), `lapsed: ${row.fulfil_ref ?? ""}`, claimId,
      );
      this.applyStockDelta({ [ITEM]: 1 });
      this.giveBackUserUnit(row);
      lapsed = true;
      holdId = row.hold_id;
    });
    if (!lapsed) return false;
    // The unit went back, so do the IP/device/phone units it counted (a crash before this keeps them: towards refusing).
    if (holdId) await this.limitsObject().release(holdId);
    // Shards that found the campaign sold out stop asking for stock: they ask again, and may pull this unit over.
    await this.coordinator(campaignId).restock(ITEM);
    return true;
  }

  /** A won unit that came to nothing no longer counts towards its winner's limits (total, and the day it was won). */
  private giveBackUserUnit(row: { user_id: string; result: string }) {
    const u = this.user(row.user_id, Date.now());
    u.total = Math.max(0, u.total - 1);
    if (u.day === chinaDay(Date.parse((JSON.parse(row.result) as ClaimResult).at))) u.dayCount = Math.max(0, u.dayCount - 1);
    this.saveUser(row.user_id, u);
  }

  /** Stock of `key` came back somewhere in the campaign: a sold-out shard asks the coordinator again on its next claim. */
  async unexhaust(key: string): Promise<void> {
    if (!this.exhausted.delete(key)) return;
    this.sql.exec("UPDATE stock SET exhausted = 0 WHERE k = ?", key);
  }

  /** Claims whose messages are not yet on a Queue or that are not yet settled, and recorded events not yet sent (for tests and operators). */
  async pendingCount(): Promise<number> {
    return this.sql.exec<{ n: number }>("SELECT (SELECT count(*) FROM claims WHERE pending > 0 OR awaiting = 1) + (SELECT count(*) FROM events) AS n").one().n;
  }

  override async alarm() {
    this.alarmAt = null;
    if (!this.cfg) return;
    this.resumeWindow();
    const rejected = this.rejected.splice(0);
    if (this.rejectedDropped) {
      rejected.push({ tenantId: this.cfg.tenantId, type: "claim_rejected", payload: { campaignId: this.cfg.campaignId, reason: "aggregated", count: this.rejectedDropped, shard: this.shard } });
      this.rejectedDropped = 0;
    }
    const budget = factBudget(this.lastClaimAt, this.lastFactsAt, this.cfg.def.shards);
    if (budget > 0) this.lastFactsAt = Date.now();
    const more = await drainOutbox(this.env, this.ctx.storage, this.cfg, this.shard, rejected, budget);
    if (more !== null && (this.alarmAt === null || this.alarmAt > Date.now() + more)) {
      this.alarmAt = Date.now() + more;
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }

  // ---- internals -------------------------------------------------------------------------------------------

  /** Fetches the frozen config once the campaign has started and applies any grant left half-done by a restart. */
  private start(campaignId: string, shard: number): Promise<boolean> {
    this.starting ??= (async () => {
      const coord = this.coordinator(campaignId);
      const cfg = await coord.shardConfig();
      if (!cfg) return false;
      if (this.cfg) return true;
      this.cfg = cfg;
      this.shard = shard;
      this.head = { seq: 0, hash: genesisHash(campaignId, shard) };
      this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('cfg', ?), ('shard', ?)", JSON.stringify(cfg), String(shard));
      const leftover = await coord.recordedGrantFor(shard, this.grantSeq);
      if (leftover) this.applyGrant(leftover, []);
      return true;
    })().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  /** Cheap checks that need no stock: phase, rate limits, retries, per-user limits. null = go on. */
  private precheck(req: ClaimRequest, now: number): ShardReply | null {
    const def = this.cfg!.def;
    const phase = phaseAt(def, now);
    if (phase === "scheduled") return reject("not_started", "The campaign has not started");
    if (phase === "ended") return reject("ended", "The campaign has ended");
    if (this.isPaused()) return reject("campaign_paused", "The campaign is paused by the brand; try again later");
    if (req.requestId) {
      const prior = this.sql.exec<{ result: string }>("SELECT result FROM claims WHERE user_id = ? AND request_id = ?", req.userId, req.requestId).toArray()[0];
      if (prior) return { ok: true, result: JSON.parse(prior.result) as ClaimResult };
    }
    const retry =
      this.limits.hit(`a:${req.userId}`, CLAIM_RATE_LIMITS.account[0], CLAIM_RATE_LIMITS.account[1], now) ||
      (req.deviceId ? this.limits.hit(`d:${req.deviceId}`, CLAIM_RATE_LIMITS.device[0], CLAIM_RATE_LIMITS.device[1], now) : 0) ||
      (req.ip ? this.limits.hit(`i:${req.ip}`, CLAIM_RATE_LIMITS.ip[0], CLAIM_RATE_LIMITS.ip[1], now) : 0);
    if (retry) return { ok: false, code: "rate_limited", message: `Too many attempts; retry in ${retry}s`, retryAfterS: retry };
    return this.userLimit(this.user(req.userId, now), req.bonusChances) ?? this.soldOut();
  }

  /** bonus: a brand member's tier's extra lottery chances (worker-computed): the win limit and daily draws + bonus. */
  private userLimit(u: UserState, bonus = 0): ShardReply | null {
    const def = this.cfg!.def;
    if (def.kind === "lottery") {
      if (u.wins >= def.perUserLimit + bonus) return reject("limit_reached", "You have won the most prizes this campaign allows");
      if (this.drawsLeft(u, bonus) <= 0) return reject("no_chances", "No draws left today; come back tomorrow");
      return null;
    }
    if (u.total >= def.perUserLimit) return reject("limit_reached", "You have claimed the most this campaign allows");
    if (def.perUserDailyLimit !== null && u.dayCount >= def.perUserDailyLimit) return reject("daily_limit_reached", "Daily limit reached");
    return null;
  }

  private soldOut(): ShardReply | null {
    if (this.cfg!.def.kind === "lottery") return null;
    if ((this.stock[ITEM] ?? 0) > 0 || !this.exhausted.has(ITEM)) return null;
    return reject("sold_out", "Sold out", true);
  }

  /**
   * Group commit: claims arriving while the thread is busy (typically while the previous commit is being made
   * durable) are decided together in one synchronous block, so they share one SQLite transaction and one fsync.
   * Each reply still waits for its own write to be durable (the output gate), so batching changes cost, not
   * guarantees.
   */
  private enqueue(req: HeldRequest): Promise<ShardReply> {
    return new Promise((resolve, reject) => {
      if (this.cfg!.def.kind === "lottery") {
        this.drawQueue.push({ req, resolve, reject });
        this.scheduleWindow();
        return;
      }
      this.queue.push({ req, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setTimeout(() => this.flush(), 0);
      }
    });
  }

  private flush() {
    this.flushScheduled = false;
    const batch = this.queue.splice(0);
    const starved = new Map<string, Queued[]>();
    const now = Date.now();
    for (const item of batch) {
      try {
        const d = this.decide(item.req, now);
        if ("refill" in d) starved.set(d.refill, [...(starved.get(d.refill) ?? []), item]);
        else {
          if (!d.ok) this.noteRejection(item.req, d.code);
          item.resolve(d);
        }
      } catch (e) {
        item.reject(e);
      }
    }
    // Stock rows are written once per batch, in the same synchronous block (so the same transaction) as its claims.
    for (const k of this.dirtyStock) this.sql.exec("UPDATE stock SET qty = ? WHERE k = ?", this.stock[k], k);
    this.dirtyStock.clear();
    for (const [key, items] of starved) {
      this.waiting += items.length;
      this.refill([key])
        .then(
          () => {
            this.queue.unshift(...items);
            if (!this.flushScheduled) {
              this.flushScheduled = true;
              setTimeout(() => this.flush(), 0);
            }
          },
          (e) => items.forEach((i) => i.reject(e)),
        )
        .finally(() => {
          this.waiting -= items.length;
        });
    }
    this.armAlarm();
  }

  private scheduleWindow() {
    if (this.windowTimer) return;
    this.windowTimer = true;
    setTimeout(() => this.closeWindow(), DRAW_WINDOW_MS - (Date.now() % DRAW_WINDOW_MS));
  }

  /**
   * Closes the draw window: takes its entries (one per user; a second one waits for the next window), reserves
   * their nonces, then — only now that nothing more can enter — computes the beacon from the entrants and the log
   * head, logs it, and draws every entrant with it. All in one synchronous block unless a draw needs stock from
   * the coordinator, in which case the rest are drawn after the refill (the beacon is already fixed and logged).
   */
  private closeWindow() {
    this.windowTimer = false;
    if (this.finishing) {
      // The previous window is still drawing (waiting for stock): windows are drawn in order.
      void this.finishing.then(() => this.scheduleWindow());
      return;
    }
    const cfg = this.cfg!;
    const batch = this.drawQueue.splice(0);
    const now = Date.now();
    const at = new Date(now).toISOString();
    const w: OpenWindow = { window: this.windowNo + 1, beacon: "", at, entrants: [], next: 0 };
    const users = new Set<string>();
    const byRequest = new Map<string, string>();
    const later: Queued[] = [];
    for (const item of batch) {
      try {
        const r = item.req;
        const same = r.requestId ? byRequest.get(`${r.userId}\n${r.requestId}`) : undefined;
        if (same) {
          this.waiters.get(same)!.push(item);
          continue;
        }
        if (r.requestId) {
          const prior = this.sql.exec<{ result: string }>("SELECT result FROM claims WHERE user_id = ? AND request_id = ?", r.userId, r.requestId).toArray()[0];
          if (prior) {
            item.resolve({ ok: true, result: JSON.parse(prior.result) as ClaimResult });
            continue;
          }
        }
        if (users.has(r.userId)) {
          later.push(item);
          continue;
        }
        const u = this.user(r.userId, now);
        const limited = this.isPaused() ? reject("campaign_paused", "The campaign is paused by the brand; try again later") : this.userLimit(u, r.bonusChances);
        if (limited) {
          if (!limited.ok) this.noteRejection(r, limited.code);
          item.resolve(limited);
          continue;
        }
        u.nonce++;
        u.drawsUsed++;
        this.saveUser(r.userId, u);
        users.add(r.userId);
        const claimId = newId("clm");
        if (r.requestId) byRequest.set(`${r.userId}\n${r.requestId}`, claimId);
        w.entrants.push({ claimId, userId: r.userId, nonce: u.nonce, requestId: r.requestId ?? null, referrerId: r.referrerId ?? null, deviceId: r.deviceId ?? null, origin: r.origin ?? null, bonusChances: r.bonusChances ?? 0, holdId: r.holdId });
        this.waiters.set(claimId, [item]);
      } catch (e) {
        item.reject(e);
      }
    }
    if (later.length) {
      this.drawQueue.unshift(...later);
      this.scheduleWindow();
    }
    if (!w.entrants.length) return;
    const entrants: Entrant[] = w.entrants.map((e) => [e.claimId, e.userId, e.nonce]);
    w.beacon = windowBeacon(cfg.campaignId, this.shard, w.window, this.head.hash, entrants);
    this.appendLog(this.logEntry({ type: "window", at, claimId: null, userId: null, nonce: null, proof: null, prizeId: null, delta: null, window: w.window, beacon: w.beacon, entrants }));
    this.windowNo = w.window;
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('window', ?)", String(w.window));
    this.finishing = this.finishWindow(w).finally(() => {
      this.finishing = null;
    });
  }

  /** A window left half-drawn by a restart (its requests are gone; its draws are still owed and logged). */
  private resumeWindow() {
    if (this.finishing || !this.cfg || !this.openWindowMaybe) return;
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'openWindow'").toArray()[0];
    if (!row) {
      // Not read again on every claim: only drawWindow stores one, and it says so.
      this.openWindowMaybe = false;
      return;
    }
    this.finishing = this.finishWindow(JSON.parse(row.v) as OpenWindow).finally(() => {
      this.finishing = null;
    });
  }

  private async finishWindow(w: OpenWindow) {
    for (;;) {
      const need = this.drawWindow(w);
      if (need === null) return;
      this.waiting++;
      try {
        await this.refill([need]);
      } catch {
        await new Promise((r) => setTimeout(r, 1000)); // the coordinator is unreachable: try again, the draw is owed
      } finally {
        this.waiting--;
      }
    }
  }

  /** Draws the window's entrants in order; stops (keeping its place in storage) when a draw needs a refill first. */
  private drawWindow(w: OpenWindow): string | null {
    const cfg = this.cfg!;
    const def = cfg.def;
    const now = Date.now();
    let need: string | null = null;
    for (; w.next < w.entrants.length; w.next++) {
      const e = w.entrants[w.next]!;
      const u = this.user(e.userId, now);
      const proof = windowDrawProof(cfg.seed!, w.beacon, e.userId, e.nonce);
      const landed = landingPrize(proof, def.prizes, def.noPrizeWeight);
      if (landed && (this.stock[landed] ?? 0) <= 0 && !this.exhausted.has(landed)) {
        need = landed;
        break;
      }
      const prizeId = pickPrize(proof, def.prizes, def.noPrizeWeight, this.stock);
      const entry = this.logEntry({ type: "draw", at: w.at, claimId: e.claimId, userId: e.userId, nonce: e.nonce, proof, prizeId, delta: null, window: w.window });
      if (prizeId) {
        this.stock[prizeId]!--;
        this.dirtyStock.add(prizeId);
        u.wins++;
      }
      const prize = def.prizes.find((p) => p.id === prizeId);
      const result: ClaimResult = {
        claimId: e.claimId, campaignId: cfg.campaignId, kind: def.kind, outcome: prizeId ? "won" : "no_prize", prizeId, prizeName: prize?.name ?? null,
        nonce: e.nonce, proof, beacon: w.beacon, receipt: { shard: this.shard, seq: entry.seq, hash: entry.hash }, remainingToday: this.drawsLeft(u, e.bonusChances), at: w.at,
      };
      this.saveUser(e.userId, u);
      this.sql.exec(
        "INSERT INTO claims (id, user_id, request_id, result, referrer_id, device_id, origin, pending, awaiting, hold_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        e.claimId, e.userId, e.requestId ?? null, JSON.stringify(result), e.referrerId ?? null, e.deviceId ?? null, e.origin ?? null,
        prizeId ? PENDING_EVENT | PENDING_FACT : PENDING_EVENT, prizeId ? 1 : 0, e.holdId ?? null,
      );
      this.appendLog(entry);
      for (const waiter of this.waiters.get(e.claimId) ?? []) waiter.resolve({ ok: true, result });
      this.waiters.delete(e.claimId);
    }
    for (const k of this.dirtyStock) this.sql.exec("UPDATE stock SET qty = ? WHERE k = ?", this.stock[k], k);
    this.dirtyStock.clear();
    if (need) {
      this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('openWindow', ?)", JSON.stringify(w));
      this.openWindowMaybe = true;
    }
    else this.sql.exec("DELETE FROM meta WHERE k = 'openWindow'");
    this.armAlarm();
    return need;
  }

  /**
   * A flash-sale or coupon claim: the authoritative decision and its write, with no await in between. When the item
   * is gone here but may be left elsewhere, it asks for a refill instead and changes nothing. (Draws: closeWindow.)
   */
  private decide(req: HeldRequest, now: number): ShardReply | { refill: string } {
    const cfg = this.cfg!;
    const def = cfg.def;
    const u = this.user(req.userId, now);
    if (req.requestId) {
      const prior = this.sql.exec<{ result: string }>("SELECT result FROM claims WHERE user_id = ? AND request_id = ?", req.userId, req.requestId).toArray()[0];
      if (prior) return { ok: true, result: JSON.parse(prior.result) as ClaimResult };
    }
    const limited = this.userLimit(u);
    if (limited) return limited;
    if ((this.stock[ITEM] ?? 0) <= 0) return this.exhausted.has(ITEM) ? reject("sold_out", "Sold out", true) : { refill: ITEM };
    this.stock[ITEM]!--;
    this.dirtyStock.add(ITEM);
    u.total++;
    u.dayCount++;
    const daily = def.perUserDailyLimit ?? def.perUserLimit;
    const claimId = newId("clm");
    const result: ClaimResult = {
      claimId, campaignId: cfg.campaignId, kind: def.kind, outcome: "claimed", prizeId: null, prizeName: null, nonce: null, proof: null,
      remainingToday: Math.max(0, Math.min(daily - u.dayCount, def.perUserLimit - u.total)), at: new Date(now).toISOString(),
    };
    this.saveUser(req.userId, u);
    this.sql.exec(
      "INSERT INTO claims (id, user_id, request_id, result, referrer_id, device_id, origin, pending, awaiting, hold_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      claimId, req.userId, req.requestId ?? null, JSON.stringify(result), req.referrerId ?? null, req.deviceId ?? null, req.origin ?? null, PENDING_EVENT | PENDING_FACT, 1, req.holdId ?? null,
    );
    return { ok: true, result };
  }

  private noteRejection(req: ClaimRequest, code: ClaimRejection) {
    if (this.rejected.length >= 1000) {
      this.rejectedDropped++;
      return;
    }
    const cfg = this.cfg;
    if (!cfg) return;
    this.rejected.push({
      tenantId: cfg.tenantId,
      type: "claim_rejected",
      actor: { userId: req.userId, deviceId: req.deviceId ?? null, referrerId: req.referrerId ?? null },
      payload: { campaignId: cfg.campaignId, campaignKind: cfg.def.kind, reason: code, shard: this.shard },
    });
  }

  private refill(keys: string[]): Promise<void> {
    this.refilling ??= (async () => {
      const coord = this.coordinator(this.cfg!.campaignId);
      this.chunks ??= await coord.chunkSizes();
      const want = Object.fromEntries(keys.map((k) => [k, Math.max(this.chunks![k] ?? 1, this.cfg!.def.kind === "lottery" ? 1 : this.waiting)]));
      const grant = await coord.take(this.shard, this.grantSeq, want);
      this.applyGrant(grant.granted, grant.exhausted);
    })().finally(() => {
      this.refilling = null;
    });
    return this.refilling;
  }

  private applyGrant(granted: Stock, exhausted: string[]) {
    this.ctx.storage.transactionSync(() => {
      this.applyStockDelta(granted);
      for (const k of exhausted) {
        if ((granted[k] ?? 0) > 0) continue;
        this.exhausted.add(k);
        this.sql.exec("INSERT INTO stock (k, qty, exhausted) VALUES (?, ?, 1) ON CONFLICT (k) DO UPDATE SET exhausted = 1", k, this.stock[k] ?? 0);
      }
      this.grantSeq++;
      this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('grantSeq', ?)", String(this.grantSeq));
    });
  }

  private applyStockDelta(delta: Stock) {
    const moved = Object.entries(delta).filter(([, d]) => d !== 0);
    if (!moved.length) return;
    const entry = this.cfg?.def.kind === "lottery" ? this.logEntry({ type: "transfer", at: new Date().toISOString(), claimId: null, userId: null, nonce: null, proof: null, prizeId: null, delta: Object.fromEntries(moved) }) : null;
    for (const [k, d] of moved) {
      this.stock[k] = (this.stock[k] ?? 0) + d;
      this.sql.exec("INSERT INTO stock (k, qty) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET qty = excluded.qty", k, this.stock[k]);
    }
    if (entry) this.appendLog(entry);
  }

  private logEntry(e: Omit<DrawLogEntry, "seq" | "prev" | "hash" | "stock">): DrawLogEntry {
    const body = { ...e, seq: this.head.seq + 1, prev: this.head.hash, stock: { ...this.stock } };
    return { ...body, hash: entryHash(body) };
  }

  private appendLog(entry: DrawLogEntry) {
    this.sql.exec("INSERT INTO log (seq, entry) VALUES (?, ?)", entry.seq, JSON.stringify(entry));
    this.head = { seq: entry.seq, hash: entry.hash };
  }

  private user(userId: string, now: number): UserState {
    let u = this.users.get(userId);
    if (!u) {
      const row = this.usersComplete ? undefined : this.sql.exec<{ state: string }>("SELECT state FROM users WHERE id = ?", userId).toArray()[0];
      u = row ? (JSON.parse(row.state) as UserState) : freshUser(chinaDay(now));
      if (this.users.size >= 200_000) {
        this.users.clear();
        this.usersComplete = false;
      }
      this.users.set(userId, u);
    }
    const today = chinaDay(now);
    if (u.day !== today) Object.assign(u, { day: today, dayCount: 0, drawsUsed: 0, extra: 0, tasks: {} });
    return u;
  }

  private saveUser(userId: string, u: UserState) {
    this.sql.exec("INSERT OR REPLACE INTO users (id, state) VALUES (?, ?)", userId, JSON.stringify(u));
  }

  private drawsLeft(u: UserState, bonus = 0): number {
    return Math.max(0, this.cfg!.def.drawsPerDay + u.extra + (bonus ?? 0) - u.drawsUsed);
  }

  private armAlarm() {
    // The outbox runs a little behind the claims so that each run carries a batch; an alarm already due sooner stays.
    const at = Date.now() + OUTBOX_DELAY_MS;
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  private coordinator(campaignId: string) {
    const ns = this.env.CAMPAIGN_COORDINATOR;
    return ns.get(ns.idFromName(campaignId));
  }
}

const LIMIT_TEXT: Record<LimitWant["code"], string> = {
  ip_limit_reached: "This network has taken the most this campaign allows",
  device_limit_reached: "This device has taken the most this campaign allows",
  phone_limit_reached: "This phone number has taken the most this campaign allows",
};

/** The campaign-wide keys a claim counts against (none when the campaign sets no such limits). */
export function limitWants(def: ShardConfig["def"], req: ClaimRequest): LimitWant[] {
  const wants: LimitWant[] = [];
  if (def.perIpLimit && req.ip) wants.push({ key: `i:${req.ip}`, limit: def.perIpLimit, code: "ip_limit_reached" });
  if (def.perDeviceLimit && req.deviceId) wants.push({ key: `d:${req.deviceId}`, limit: def.perDeviceLimit, code: "device_limit_reached" });
  if (def.perPhoneLimit && req.phone) wants.push({ key: `p:${req.phone}`, limit: def.perPhoneLimit, code: "phone_limit_reached" });
  return wants;
}

function stateOf(row: ClaimRow): ClaimState {
  return row.failure ? "failed" : row.awaiting ? "awaiting" : "fulfilled";
}

function reject(code: ClaimRejection, message: string, soldOut = false): ShardReply {
  return soldOut ? { ok: false, code, message, soldOut } : { ok: false, code, message };
}
