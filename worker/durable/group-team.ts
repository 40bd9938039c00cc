import { DurableObject } from "cloudflare:workers";
import { plusParamsSql } from "../db/plus-params";

/** What the worker knows of a team from D1; it rebuilds an object whose storage is gone (paid = D1's paid seats). */
export interface TeamSpec {
  teamId: string;
  size: number;
  expiresAt: string;
  paid: { orderId: string; buyerId: string }[];
}

export type TeamStatus = "open" | "full" | "failed";
export interface Seat { orderId: string; buyerId: string; seat: number }
export interface TeamState { status: TeamStatus; seats: Seat[]; autoCompleted: boolean }
export type SeatRefusal = "team_full" | "team_failed" | "team_expired" | "already_member";
export type SeatAnswer = TeamState & ({ outcome: "confirmed"; seat: number } | { outcome: "refused"; reason: SeatRefusal });

/**
 * One group-buy team (拼团). Paid seats are confirmed one call at a time, each a synchronous block (one SQLite
 * transaction, no await between the check and the write), so a team never has more than `size` paid seats however
 * many payments land at once. A confirmation is idempotent per order (a retry gets the first answer). The alarm at
 * the deadline seals an unfilled team as failed, so a payment arriving after it is refused even before the cron
 * refunds the team. No D1 and no services here: the worker writes the durable record and moves the money.
 */
export class GroupTeam extends DurableObject<Env> {
  private sql = plusParamsSql(this.ctx.storage.sql);

  /** Idempotent: also recreates the tables after the storage was wiped (a lost object is rebuilt from D1 in init). */
  private tables() {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS seats (order_id TEXT PRIMARY KEY, buyer_id TEXT NOT NULL UNIQUE, seat INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS refused (order_id TEXT PRIMARY KEY, reason TEXT NOT NULL);`);
  }

  /** A paid order asks for its seat: confirmed (the n-th paid seat) or refused with the reason; the same answer again on a retry. */
  async confirm(spec: TeamSpec, orderId: string, buyerId: string): Promise<SeatAnswer> {
    this.init(spec);
    const own = this.sql.exec<{ seat: number }>("SELECT seat FROM seats WHERE order_id = ?", orderId).toArray()[0];
    if (own) return { ...this.read(), outcome: "confirmed", seat: own.seat };
    const before = this.sql.exec<{ reason: string }>("SELECT reason FROM refused WHERE order_id = ?", orderId).toArray()[0];
    if (before) return { ...this.read(), outcome: "refused", reason: before.reason as SeatRefusal };
    if (this.status() === "open" && Date.now() >= Date.parse(spec.expiresAt)) this.setStatus("failed");
    const n = this.count();
    const reason: SeatRefusal | null = this.status() === "failed" ? "team_failed"
      : this.status() === "full" || n >= spec.size ? "team_full"
      : this.sql.exec("SELECT 1 FROM seats WHERE buyer_id = ?", buyerId).toArray().length ? "already_member" : null;
    if (reason) {
      this.sql.exec("INSERT INTO refused (order_id, reason) VALUES (?, ?)", orderId, reason);
      return { ...this.read(), outcome: "refused", reason };
    }
    this.sql.exec("INSERT INTO seats (order_id, buyer_id, seat) VALUES (?, ?, ?)", orderId, buyerId, n + 1);
    if (n + 1 >= spec.size) this.setStatus("full");
    return { ...this.read(), outcome: "confirmed", seat: n + 1 };
  }

  /**
   * Ends an open team: 'failed' (deadline passed, operator closed) or, with the operator's disclosed auto-completion,
   * 'full' when at least one seat is paid. A team already ended stays as it is. Returns the state after.
   */
  async seal(spec: TeamSpec, how: "fail" | "auto_complete"): Promise<TeamState> {
    this.init(spec);
    if (this.status() === "open") {
      if (how === "auto_complete" && this.count() > 0) {
        this.setStatus("full");
        this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('auto', '1')");
      } else this.setStatus("failed");
    }
    return this.read();
  }

  async state(spec: TeamSpec): Promise<TeamState> {
    this.init(spec);
    return this.read();
  }

  /** At the deadline: an open team fails here at once; the worker's cron refunds it (worker/services/groups.ts). */
  override async alarm() {
    this.tables();
    if (this.status() === "open") this.setStatus("failed");
  }

  private init(spec: TeamSpec) {
    this.tables();
    if (this.sql.exec("SELECT 1 FROM meta WHERE k = 'status'").toArray().length) return;
    // First call, or the storage was lost: start from what D1 recorded as paid.
    spec.paid.forEach((p, i) => this.sql.exec("INSERT OR IGNORE INTO seats (order_id, buyer_id, seat) VALUES (?, ?, ?)", p.orderId, p.buyerId, i + 1));
    this.setStatus(spec.paid.length >= spec.size ? "full" : "open");
    void this.ctx.storage.setAlarm(Date.parse(spec.expiresAt));
  }

  private status(): TeamStatus {
    return (this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'status'").toArray()[0]?.v ?? "open") as TeamStatus;
  }

  private setStatus(s: TeamStatus) {
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('status', ?)", s);
  }

  private count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM seats").one().n;
  }

  private read(): TeamState {
    const seats = this.sql.exec<{ order_id: string; buyer_id: string; seat: number }>("SELECT * FROM seats ORDER BY seat").toArray()
      .map((r) => ({ orderId: r.order_id, buyerId: r.buyer_id, seat: r.seat }));
    const auto = this.sql.exec("SELECT 1 FROM meta WHERE k = 'auto'").toArray().length > 0;
    return { status: this.status(), seats, autoCompleted: auto };
  }
}
