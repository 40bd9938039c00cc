/**
 * npm run bench:groups [-- --teams 2000 --size 3 --concurrency 100 --late 0.25 --url http://127.0.0.1:8787 --state .]
 *
 * Many buyers joining many group-buy teams (拼团) at once on the local stack. Per team: the leader opens a team and
 * pays; size-1 friends join through the team link, and for a `--late` share of teams one more friend joins too; then
 * every joiner pays at the same instant, so the late one pays after the team is full (or races for the last seat) and
 * must be refunded — or, when the team filled before that friend's payment reached the gateway, finds the seat closed
 * (409 charge_closed: the charge was closed unpaid, nothing taken; counted as `closed_unpaid`, not an error).
 * `--concurrency` teams run at once. Afterwards the local D1 file is read directly (node:sqlite) to
 * check: no team has more than `size` paid seats or delivered orders, every order of a completed team's paid seat is
 * delivered, every other paid order is refunded. Last line JSON: joins_per_s, p50_ms, p99_ms (one join = join + pay,
 * measured per joiner), teams, full_teams, overfilled, paid_not_fulfilled, failed_not_refunded, closed_unpaid, errors.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DatabaseSync } from "node:sqlite";
import { kaquanClient, must } from "../scripts/lib/api/client";
import { benchStack } from "./lib/local-stack";
import { loadGate } from "./lib/machine-load";

const gate = loadGate();
const { values: args } = parseArgs({
  options: {
    teams: { type: "string", default: "2000" },
    size: { type: "string", default: "3" },
    concurrency: { type: "string", default: "100" },
    late: { type: "string", default: "0.25" },
    url: { type: "string" },
    state: { type: "string", default: "." },
  },
});
const TEAMS = Number(args.teams);
const SIZE = Number(args.size);
const CONCURRENCY = Number(args.concurrency);
const LATE = Number(args.late);

const bench = await benchStack("groups", args.url, args.state!);
const { base, stateDir, keys, admin, slug } = bench;

const keyCount = Math.ceil(TEAMS * (SIZE + LATE)) + 10;
const product = await must(admin.POST("/products", {
  body: { kind: "card_key", name: `拼团压测 ${new Date().toISOString()}`, priceCents: 1990, faceValueCents: 2000, validity: { kind: "relative", days: 30 }, scope: "压测用", lowStockThreshold: 0 },
}));
const productPath = { params: { path: { productId: product.id } } };
for (let i = 0; i < keyCount; i += 1000) {
  const rows = Array.from({ length: Math.min(1000, keyCount - i) }, (_, j) => ({ line: i + j + 1, secret: `GB-${product.id}-${i + j}` }));
  await must(admin.POST("/products/{productId}/keys/import", { ...productPath, body: { rows } }));
}
await must(admin.POST("/products/{productId}/status", { ...productPath, body: { status: "published" } }));
const buy = await must(admin.POST("/group-buys", {
  body: { productId: product.id, name: "压测团", groupPriceCents: 990, teamSize: SIZE, teamMinutes: 60, endsAt: new Date(Date.now() + 86_400_000).toISOString(), autoComplete: false },
}));

async function call(method: string, path: string, cookie?: string) {
  const res = await fetch(`${base}${path}`, { method, headers: cookie ? { cookie } : {} });
  const text = await res.text();
  return { status: res.status, cookie: res.headers.get("set-cookie")?.split(";")[0] ?? cookie, body: text ? JSON.parse(text) : null };
}

const latencies: number[] = [];
const statuses: Record<string, number> = {};
const count = (k: string) => (statuses[k] = (statuses[k] ?? 0) + 1);
let errors = 0;
let closedUnpaid = 0;
let next = 0;

async function joiner(teamId: string) {
  const t0 = performance.now();
  const j = await call("POST", `/api/v1/shop/${slug}/group-teams/${teamId}/join`);
  count(`join ${j.status}`);
  if (j.status !== 200) {
    // A late joiner may find the team already full: a refusal, not an error.
    if (j.status !== 409) errors++;
    return;
  }
  const p = await call("POST", `${j.body.mine.checkoutUrl}/pay`);
  count(`pay ${p.status} ${p.body?.orderStatus ?? p.body?.error?.code}`);
  // The team filled first and closed this seat's charge unpaid (a failed or full team's unpaid seats are closed).
  if (p.status === 409 && p.body?.error?.code === "charge_closed") closedUnpaid++;
  else if (p.status !== 200) errors++;
  else latencies.push(performance.now() - t0);
}

async function team() {
  for (;;) {
    const i = next++;
    if (i >= TEAMS) return;
    try {
      const open = await call("POST", `/api/v1/shop/${slug}/group-buys/${buy.id}/teams`);
      count(`open ${open.status}`);
      if (open.status !== 201) {
        errors++;
        continue;
      }
      const paid = await call("POST", `${open.body.mine.checkoutUrl}/pay`);
      if (paid.status !== 200) errors++;
      const friends = SIZE - 1 + (i < TEAMS * LATE ? 1 : 0);
      await Promise.all(Array.from({ length: friends }, () => joiner(open.body.team.id)));
    } catch (e) {
      errors++;
      count(`exception ${e instanceof Error ? e.message : e}`);
    }
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: CONCURRENCY }, team));
const seconds = (performance.now() - started) / 1000;

// The checks, from D1 itself (failed_not_refunded: any paid order that is not a confirmed seat of a completed team —
// a failed team's, a refused seat's, or a seat closed unpaid that was charged all the same — must be refunded): the
// local stack's SQLite file, not what the API answered.
const d1Dir = join(stateDir, ".wrangler/state/v3/d1/miniflare-D1DatabaseObject");
const file = readdirSync(d1Dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")!;
const db = new DatabaseSync(join(d1Dir, file), { readOnly: true });
const one = (sql: string) => Number((db.prepare(sql).get(buy.id) as { n: number }).n);
const teams = one("SELECT COUNT(*) AS n FROM group_teams WHERE group_buy_id = ?");
const fullTeams = one("SELECT COUNT(*) AS n FROM group_teams WHERE group_buy_id = ? AND status = 'completed'");
const overfilled = one(`SELECT COUNT(*) AS n FROM group_teams g WHERE g.group_buy_id = ? AND (
  (SELECT COUNT(*) FROM group_members m WHERE m.team_id = g.id AND m.status = 'paid') > g.size OR
  (SELECT COUNT(*) FROM group_members m JOIN orders o ON o.id = m.order_id WHERE m.team_id = g.id AND o.status = 'delivered') > g.size)`);
const paidNotFulfilled = one(`SELECT COUNT(*) AS n FROM group_teams g JOIN group_members m ON m.team_id = g.id JOIN orders o ON o.id = m.order_id
  WHERE g.group_buy_id = ? AND g.status = 'completed' AND m.status = 'paid' AND o.status <> 'delivered'`);
const failedNotRefunded = one(`SELECT COUNT(*) AS n FROM group_teams g JOIN group_members m ON m.team_id = g.id JOIN orders o ON o.id = m.order_id
  WHERE g.group_buy_id = ? AND o.paid_at IS NOT NULL AND NOT (g.status = 'completed' AND m.status = 'paid') AND o.status <> 'refunded'`);
db.close();

const sorted = [...latencies].sort((a, b) => a - b);
const at = (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) * 10) / 10;
const result = {
  joins_per_s: Math.round((latencies.length / seconds) * 10) / 10,
  p50_ms: at(0.5),
  p99_ms: at(0.99),
  teams,
  full_teams: fullTeams,
  overfilled,
  paid_not_fulfilled: paidNotFulfilled,
  failed_not_refunded: failedNotRefunded,
  closed_unpaid: closedUnpaid,
  errors,
};
console.log(`teams ${TEAMS} of ${SIZE}, concurrency ${CONCURRENCY}, late share ${LATE}: ${seconds.toFixed(1)} s wall, ${latencies.length} paid joins`);
console.log(`statuses: ${JSON.stringify(statuses)}`);
await must(admin.POST("/products/{productId}/status", { ...productPath, body: { status: "archived" } }));
await bench.stop();
gate.report(result);
