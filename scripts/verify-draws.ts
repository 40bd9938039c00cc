/**
 * Offline verifier for a lottery's published draw export (GET /api/v1/public/campaigns/<id>/draws).
 *
 *   npm run verify:draws -- draws.json
 *   npm run verify:draws -- http://127.0.0.1:8787/api/v1/public/campaigns/<id>/draws
 *   npm run verify:draws -- draws.json --receipt 0:17:3f2a… [--receipt …]
 *
 * A receipt (shard:seq:hash) is a draw's place in its shard's log as the draw answer gave it (`receipt`), or a log head
 * read from the live campaign (`heads`) before the reveal: each must still be in the published chain as it was.
 * Checks SHA-256(seed) against the commitment published before the start, recomputes every draw window's beacon
 * from its logged entrants and the log head at its close, every draw's HMAC-SHA256(seed, beacon:userId:nonce) (v1 logs:
 * HMAC-SHA256(seed, userId:nonce)) and outcome from the published weights and the stock the entry saw, checks each draw
 * is its window's next entrant, replays each shard's stock (draws and transfers) and hash chain, and totals awards
 * against prize stock. Exit 1 on any issue.
 */
import { parseArgs } from "node:util";
import { DrawExport, DrawReceipt } from "../schema/campaigns";
import { verifyDrawExport } from "../worker/domain/draw";
import { readJsonFile } from "./lib/cli";

/** The export from a file or the API; a refusal (e.g. 409 not_ended before the reveal) or no answer ends in words, exit 2. */
async function load(source: string): Promise<unknown> {
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source).catch((e: unknown) => {
      const code = (e as { cause?: { code?: string } })?.cause?.code;
      console.error(`cannot load the draw log: cannot reach ${new URL(source).origin}${code ? ` (${code})` : ""}: is the API running there?`);
      process.exit(2);
    });
    if (!res.ok) {
      const text = await res.text();
      let said = text.slice(0, 300);
      try {
        const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
        if (e?.code) said = `${e.code}: ${e.message ?? ""}`;
      } catch {
        /* not JSON: quoted as sent */
      }
      console.error(`cannot load the draw log: ${source} answered HTTP ${res.status} ${said}`);
      process.exit(2);
    }
    return res.json();
  }
  return readJsonFile(source, "draw log");
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { receipt: { type: "string", multiple: true, default: [] } } });
const source = positionals[0];
if (!source) {
  console.error("usage: npm run verify:draws -- <draws.json | URL of /public/campaigns/<id>/draws> [--receipt shard:seq:hash …]");
  process.exit(2);
}
const receipts = values.receipt!.map((r) => {
  const [shard, seq, hash] = r.split(":");
  const parsed = DrawReceipt.safeParse({ shard: Number(shard), seq: Number(seq), hash });
  if (!parsed.success) {
    console.error(`not a receipt (shard:seq:hash): ${r}`);
    process.exit(2);
  }
  return parsed.data;
});
const parsed = DrawExport.safeParse(await load(source));
if (!parsed.success) {
  console.error("not a draw export:", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  process.exit(2);
}
const x = parsed.data;
const report = verifyDrawExport(x, receipts);
console.log(`campaign ${x.campaignId}: ${report.draws} draws on ${x.shards.length} shard(s), seed commitment ${x.seedCommitment.slice(0, 16)}…`);
for (const p of x.prizes) console.log(`  ${p.id.padEnd(12)} awarded ${report.wins[p.id] ?? 0} of ${p.stock} (weight ${p.weight})`);
if (report.ok) {
  if (receipts.length) console.log(`  ${receipts.length} receipt(s) found in the log as they were issued`);
  console.log(`OK: every outcome follows from the committed seed${x.algorithm === "hmac-sha256-v2" ? ", its window's beacon (fixed after it entered)" : ""}, the published weights and the remaining stock.`);
} else {
  console.log(`FAILED: ${report.issues.length} issue(s)`);
  for (const i of report.issues.slice(0, 50)) {
    console.log(`  shard ${i.shard}${i.index !== null ? ` entry #${i.index} (seq ${i.seq})` : ""}: ${i.reason}`);
  }
}
console.log(JSON.stringify({ ok: report.ok, draws: report.draws, wins: report.wins, issues: report.issues.length }));
process.exit(report.ok ? 0 : 1);
