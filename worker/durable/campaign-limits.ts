import { DurableObject } from "cloudflare:workers";
import { plusParamsSql } from "../db/plus-params";

/** One key a claim counts against: `i:<ip>`, `d:<device id>`, `p:<phone account>`, with its limit and refusal code. */
export interface LimitWant {
  key: string;
  limit: number;
  code: "ip_limit_reached" | "device_limit_reached" | "phone_limit_reached";
}

export type Reservation = { ok: true } | { ok: false; code: LimitWant["code"] };

/**
 * Holds of won claims are kept this long: a win whose order lapses unpaid (15 minutes, or cancelled) gives its units
 * back by its hold, and a late or repeated release of the same hold is a no-op.
 */
const HOLD_KEEP_MS = 2 * 24 * 3600_000;

/**
 * Per-campaign counters of units won per IP, device and phone, shared by every shard of the campaign, so the limits
 * are exact however an attacker's accounts spread over shards. A shard reserves a unit of each of a claim's keys
 * before deciding it and releases the hold when the claim did not win (or its win lapsed unpaid). Each call is one synchronous block (one
 * SQLite transaction): check every key, then count all or none. A hold whose release never arrives (a crash in
 * between) stays counted: the error is always towards refusing, never towards a unit over the limit.
 */
export class CampaignLimits extends DurableObject<Env> {
  private sql = plusParamsSql(this.ctx.storage.sql);
  private counts = new Map<string, number>();
  private sincePrune = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS counts (k TEXT PRIMARY KEY, n INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS holds (id TEXT PRIMARY KEY, keys TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS holds_at ON holds (at);`);
  }

  async reserve(holdId: string, wants: LimitWant[]): Promise<Reservation> {
    if (this.sql.exec("SELECT 1 FROM holds WHERE id = ?", holdId).toArray().length) return { ok: true };
    for (const w of wants) if (this.count(w.key) >= w.limit) return { ok: false, code: w.code };
    for (const w of wants) this.add(w.key, 1);
    const now = Date.now();
    this.sql.exec("INSERT INTO holds (id, keys, at) VALUES (?, ?, ?)", holdId, JSON.stringify(wants.map((w) => w.key)), now);
    if (++this.sincePrune >= 500) {
      this.sincePrune = 0;
      this.sql.exec("DELETE FROM holds WHERE at < ?", now - HOLD_KEEP_MS);
    }
    return { ok: true };
  }

  /** Gives back a hold whose claim did not win or lapsed; a repeat (or an unknown hold) changes nothing. */
  async release(holdId: string): Promise<void> {
    const row = this.sql.exec<{ keys: string }>("SELECT keys FROM holds WHERE id = ?", holdId).toArray()[0];
    if (!row) return;
    for (const k of JSON.parse(row.keys) as string[]) this.add(k, -1);
    this.sql.exec("DELETE FROM holds WHERE id = ?", holdId);
  }

  /** Current counts of some keys (operators and tests). */
  async usage(keys: string[]): Promise<Record<string, number>> {
    return Object.fromEntries(keys.map((k) => [k, this.count(k)]));
  }

  private count(key: string): number {
    let n = this.counts.get(key);
    if (n === undefined) {
      n = this.sql.exec<{ n: number }>("SELECT n FROM counts WHERE k = ?", key).toArray()[0]?.n ?? 0;
      if (this.counts.size >= 100_000) this.counts.clear();
      this.counts.set(key, n);
    }
    return n;
  }

  private add(key: string, d: number) {
    const n = Math.max(0, this.count(key) + d);
    this.counts.set(key, n);
    this.sql.exec("INSERT INTO counts (k, n) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET n = excluded.n", key, n);
  }
}
