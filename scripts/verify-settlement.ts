// Offline check of a settlement statement:
//   npm run verify:settlement -- statement.json [--public-key <key | key.json>] [--ledger export.json] [--json]
// Checks kaquan's Ed25519 signature (against the published key when given: GET /api/v1/settlements/public-key),
// recomputes every line from the counted entries and the agreed share and the totals from the lines, and, with the
// seller's ledger export, that each counted entry and the range's end hash are in the intact chain.
// Exits 0 when everything holds, 1 with one message per problem.
import { existsSync } from "node:fs";
import { readJsonFile } from "./lib/cli";
import { LedgerExport } from "../schema/ledger";
import { SettlementStatement } from "../schema/settlements";
import { verifyChain } from "../worker/domain/ledger";
import { checkStatement } from "../worker/domain/settlement";

function usage(): never {
  console.error("usage: npm run verify:settlement -- <statement.json> [--public-key <base64url | key.json>] [--ledger <export.json>] [--json]");
  process.exit(2);
}

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? usage()) : undefined;
};
const file = args.find((a, i) => !a.startsWith("--") && !["--public-key", "--ledger"].includes(args[i - 1] ?? ""));
if (!file) usage();

const parsed = SettlementStatement.safeParse(readJsonFile(file, "statement"));
if (!parsed.success) {
  console.error(`not a kaquan settlement statement: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  process.exit(2);
}
const s = parsed.data;
const keyArg = opt("--public-key");
const publicKey = keyArg && existsSync(keyArg) ? (readJsonFile(keyArg, "public key file") as { publicKey: string }).publicKey : keyArg;
const report = await checkStatement(s, { publicKey });

const ledgerFile = opt("--ledger");
if (ledgerFile) {
  const lx = LedgerExport.safeParse(readJsonFile(ledgerFile, "ledger export"));
  if (!lx.success) {
    console.error(`not a kaquan ledger export: ${lx.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    process.exit(2);
  }
  const x = lx.data;
  if (x.tenantId !== s.ledger.tenantId) report.problems.push(`the ledger export is tenant ${x.tenantId}'s, the statement covers ${s.ledger.tenantId}'s`);
  const chain = await verifyChain(x.tenantId, x.entries, { checkpoints: x.checkpoints, head: x.head });
  for (const f of chain.findings) report.problems.push(`ledger seq ${f.seq}: ${f.problem} — ${f.detail}`);
  const bySeq = new Map(x.entries.map((e) => [e.seq, e] as const));
  for (const e of s.entries) if (bySeq.get(e.seq)?.hash !== e.hash) report.problems.push(`entry seq ${e.seq}: not in the seller's ledger with hash ${e.hash.slice(0, 12)}…`);
  const end = s.ledger.toSeq === 0 ? null : bySeq.get(s.ledger.toSeq);
  if (s.ledger.toSeq !== 0 && !end) report.problems.push(`the ledger export does not hold seq ${s.ledger.toSeq}, where the statement's range ends`);
  if (end && end.hash !== s.ledger.headHash) report.problems.push(`the ledger's hash at seq ${s.ledger.toSeq} is ${end.hash.slice(0, 12)}…, the statement says ${s.ledger.headHash.slice(0, 12)}…`);
  report.ok = report.problems.length === 0;
}

if (args.includes("--json")) {
  console.log(JSON.stringify(report));
} else {
  console.log(`statement ${s.statementId}: ${s.seller.name} → ${s.issuer.name}, ${s.period.kind} ${s.period.start}..${s.period.end}`);
  console.log(`ledger ${s.ledger.tenantId} seq ${s.ledger.afterSeq + 1}..${s.ledger.toSeq}, head ${s.ledger.headHash}; key ${s.signature.keyId}${publicKey ? " (pinned)" : " (embedded; pass --public-key to pin it)"}`);
  console.log(`net ${s.totals.netCents} cents: issuer ${s.totals.issuerShareCents}, seller ${s.totals.sellerCents}`);
  if (report.ok) console.log("OK: signature valid, every line and total recomputed");
  for (const p of report.problems) console.log(`INVALID: ${p}`);
}
process.exit(report.ok ? 0 : 1);
