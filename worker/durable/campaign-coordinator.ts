import { DurableObject } from "cloudflare:workers";
import type { CampaignDefinition, CampaignLive } from "../../schema/campaigns";
import { toHex } from "../domain/crypto";
import { grantChunk, phaseAt, stockTotals } from "../domain/campaign-rules";
import { sha256 } from "../domain/draw";
import type { Grant, ShardConfig, Stock } from "./campaign-types";
import { shardName } from "./campaign-types";
import { plusParamsSql } from "../db/plus-params";

interface Meta {
  campaignId: string;
  tenantId: string;
  def: CampaignDefinition;
  seed: string | null;
  commitment: string | null;
  frozen: boolean;
  /** Operator pause: every shard refuses claims and draws while set (pushed to them by setPaused). */
  paused?: boolean;
}

/**
 * One per campaign. Owns the definition (frozen at the start), the lottery seed, and the stock not yet handed to
 * shards (the reserve). Shards pull stock in chunks; when the reserve is empty the coordinator moves stock from
 * shards that hold some to the one that ran dry. Every transfer is idempotent by (shard, seq) on both sides, so a
 * restart of either object between the two halves neither loses nor duplicates a unit.
 */
export class CampaignCoordinator extends DurableObject<Env> {
  private sql = plusParamsSql(this.ctx.storage.sql);
  private meta: Meta | null = null;
  private reserve: Stock = {};
  private lock: Promise<unknown> = Promise.resolve();
  private liveCache: { at: number; value: { remaining: Stock; heads: CampaignLive["heads"] } } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS reserve (k TEXT PRIMARY KEY, qty INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS grants (shard INTEGER, seq INTEGER, stock TEXT NOT NULL, PRIMARY KEY (shard, seq));
      CREATE TABLE IF NOT EXISTS releases (shard INTEGER PRIMARY KEY, next_seq INTEGER NOT NULL, pending TEXT);`);
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'meta'").toArray()[0];
    this.meta = row ? (JSON.parse(row.v) as Meta) : null;
    for (const r of this.sql.exec<{ k: string; qty: number }>("SELECT k, qty FROM reserve")) this.reserve[r.k] = r.qty;
  }

  /** Creates the campaign's state, or replaces the definition while it has not started. Returns the commitment. */
  async define(campaignId: string, tenantId: string, def: CampaignDefinition): Promise<{ commitment: string | null } | { locked: true }> {
    return this.serial(async () => {
      if (this.meta && (this.meta.frozen || phaseAt(this.meta.def, Date.now()) !== "scheduled")) return { locked: true as const };
      const seed = this.meta?.seed ?? (def.kind === "lottery" ? toHex(crypto.getRandomValues(new Uint8Array(32))) : null);
      const meta: Meta = { campaignId, tenantId, def, seed, commitment: seed ? sha256(seed) : null, frozen: false, paused: this.meta?.paused ?? false };
      this.writeMeta(meta);
      this.sql.exec("DELETE FROM reserve");
      this.reserve = stockTotals(def);
      for (const [k, qty] of Object.entries(this.reserve)) this.sql.exec("INSERT INTO reserve (k, qty) VALUES (?, ?)", k, qty);
      return { commitment: meta.commitment };
    });
  }

  /** Text-only edits (name, description) stay possible after the start. */
  async rename(patch: { name?: string; description?: string }) {
    if (!this.meta) return;
    this.writeMeta({ ...this.meta, def: { ...this.meta.def, ...patch } });
  }

  /**
   * Pauses or resumes claims. Every shard is told (not only started ones): a shard starting at this moment may
   * already hold the old config, and its own flag wins over the one in the config.
   */
  async setPaused(paused: boolean): Promise<boolean> {
    return this.serial(async () => {
      if (!this.meta) return false;
      this.writeMeta({ ...this.meta, paused });
      await Promise.all(Array.from({ length: this.meta.def.shards }, (_, i) => this.shard(i).setPaused(paused)));
      return true;
    });
  }

  /** The frozen definition for a shard; null before the start. The first call after the start freezes it. */
  async shardConfig(): Promise<ShardConfig | null> {
    const m = this.meta;
    if (!m || Date.now() < Date.parse(m.def.startsAt)) return null;
    if (!m.frozen) this.writeMeta({ ...m, frozen: true });
    return { campaignId: m.campaignId, tenantId: m.tenantId, def: m.def, seed: m.seed, paused: m.paused ?? false };
  }

  /** Hands stock to `shard`, idempotent by (shard, seq): a repeated request returns the recorded grant. */
  async take(shard: number, seq: number, want: Stock): Promise<Grant> {
    return this.serial(async () => {
      await this.settlePendingReleases();
      const recorded = this.recordedGrant(shard, seq);
      if (recorded) return { granted: recorded, exhausted: [] };
      const short = Object.keys(want).filter((k) => (want[k] ?? 0) > 0 && (this.reserve[k] ?? 0) === 0);
      if (short.length) await this.reclaim(shard, short);
      const granted: Stock = {};
      const exhausted: string[] = [];
      for (const [k, w] of Object.entries(want)) {
        const n = Math.min(w, this.reserve[k] ?? 0);
        if (n > 0) granted[k] = n;
        else if (w > 0) exhausted.push(k);
      }
      this.ctx.storage.transactionSync(() => {
        for (const [k, n] of Object.entries(granted)) {
          this.reserve[k] = (this.reserve[k] ?? 0) - n;
          this.sql.exec("UPDATE reserve SET qty = ? WHERE k = ?", this.reserve[k], k);
        }
        this.sql.exec("INSERT INTO grants (shard, seq, stock) VALUES (?, ?, ?)", shard, seq, JSON.stringify(granted));
      });
      return { granted, exhausted };
    });
  }

  /** A unit of `key` went back on sale on one shard (an unpaid win lapsed): every shard may ask for stock again. */
  async restock(key: string): Promise<void> {
    const m = this.meta;
    if (!m) return;
    this.liveCache = null;
    await Promise.all(Array.from({ length: m.def.shards }, (_, i) => this.shard(i).unexhaust(key)));
  }

  /** A grant recorded for (shard, seq), for a shard that restarted before applying it. */
  async recordedGrantFor(shard: number, seq: number): Promise<Stock | null> {
    return this.recordedGrant(shard, seq);
  }

  /** The chunk a shard asks for at a time. */
  async chunkSizes(): Promise<Stock> {
    const m = this.meta!;
    const totals = stockTotals(m.def);
    return Object.fromEntries(Object.entries(totals).map(([k, t]) => [k, grantChunk(t, m.def.shards)]));
  }

  /** Units left: reserve plus what each shard holds (cached for a second: this feeds the public stock display). */
  async live(): Promise<{ remaining: Stock; heads: CampaignLive["heads"] } | null> {
    const m = this.meta;
    if (!m) return null;
    if (this.liveCache && Date.now() - this.liveCache.at < 1000) return this.liveCache.value;
    const remaining: Stock = { ...this.reserve };
    const heads: CampaignLive["heads"] = [];
    if (m.frozen) {
      const states = await Promise.all(Array.from({ length: m.def.shards }, (_, i) => this.shard(i).holding()));
      states.forEach((s, i) => {
        for (const [k, n] of Object.entries(s.stock)) remaining[k] = (remaining[k] ?? 0) + n;
        if (m.def.kind === "lottery") heads.push({ shard: i, seq: s.head.seq, hash: s.head.hash });
      });
    }
    this.liveCache = { at: Date.now(), value: { remaining, heads } };
    return this.liveCache.value;
  }

  /** The seed, once the campaign has ended. */
  async reveal(): Promise<{ seed: string | null } | { notEnded: true }> {
    const m = this.meta;
    if (!m || phaseAt(m.def, Date.now()) !== "ended") return { notEnded: true as const };
    return { seed: m.seed };
  }

  /**
   * What a lottery's draws were made with, once it has ended: the seed, its commitment and the prizes and no-prize
   * weight as frozen at the start. The draw log is published with these, not with D1's copy of the definition,
   * which is only what the pages show (and can be edited without touching the draws).
   */
  async drawTerms(): Promise<{ seed: string; seedCommitment: string; prizes: { id: string; name: string; stock: number; weight: number }[]; noPrizeWeight: number } | null> {
    const m = this.meta;
    if (!m || m.def.kind !== "lottery" || !m.seed || !m.commitment || phaseAt(m.def, Date.now()) !== "ended") return null;
    const prizes = m.def.prizes.map((p) => ({ id: p.id, name: p.name, stock: p.stock, weight: p.weight }));
    return { seed: m.seed, seedCommitment: m.commitment, prizes, noPrizeWeight: m.def.noPrizeWeight };
  }

  private recordedGrant(shard: number, seq: number): Stock | null {
    const row = this.sql.exec<{ stock: string }>("SELECT stock FROM grants WHERE shard = ? AND seq = ?", shard, seq).toArray()[0];
    return row ? (JSON.parse(row.stock) as Stock) : null;
  }

  /** Pulls half of what other shards hold of `keys` back into the reserve. */
  private async reclaim(except: number, keys: string[]) {
    const n = this.meta!.def.shards;
    const donors = Array.from({ length: n }, (_, i) => i).filter((i) => i !== except);
    await Promise.all(
      donors.map(async (i) => {
        const seq = this.beginRelease(i, keys);
        const released = await this.shard(i).release(seq, keys);
        this.finishRelease(i, seq, released);
      }),
    );
  }

  private beginRelease(shard: number, keys: string[]): number {
    const row = this.sql.exec<{ next_seq: number }>("SELECT next_seq FROM releases WHERE shard = ?", shard).toArray()[0];
    const seq = row?.next_seq ?? 1;
    this.sql.exec(
      "INSERT INTO releases (shard, next_seq, pending) VALUES (?, ?, ?) ON CONFLICT (shard) DO UPDATE SET pending = excluded.pending",
      shard,
      seq,
      JSON.stringify(keys),
    );
    return seq;
  }

  private finishRelease(shard: number, seq: number, released: Stock) {
    this.ctx.storage.transactionSync(() => {
      for (const [k, q] of Object.entries(released)) {
        if (q <= 0) continue;
        this.reserve[k] = (this.reserve[k] ?? 0) + q;
        this.sql.exec("INSERT INTO reserve (k, qty) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET qty = excluded.qty", k, this.reserve[k]);
      }
      this.sql.exec("UPDATE releases SET next_seq = ?, pending = NULL WHERE shard = ?", seq + 1, shard);
    });
  }

  /** A release asked of a shard before a restart is asked again (same seq: the shard answers what it did). */
  private async settlePendingReleases() {
    const rows = this.sql.exec<{ shard: number; next_seq: number; pending: string }>(
      "SELECT shard, next_seq, pending FROM releases WHERE pending IS NOT NULL",
    ).toArray();
    for (const r of rows) {
      const released = await this.shard(r.shard).release(r.next_seq, JSON.parse(r.pending) as string[]);
      this.finishRelease(r.shard, r.next_seq, released);
    }
  }

  private shard(i: number) {
    const ns = this.env.CAMPAIGN_SHARD;
    return ns.get(ns.idFromName(shardName(this.meta!.campaignId, i)));
  }

  private writeMeta(meta: Meta) {
    this.meta = meta;
    this.sql.exec("INSERT INTO meta (k, v) VALUES ('meta', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", JSON.stringify(meta));
  }

  /** Transfers run one at a time: a reclaim awaits other shards, and two interleaved ones could double-count. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
