// Offline check of a tenant's provenance ledger export:  npm run verify:ledger -- export.json [--checkpoints published.json]
// Exits 0 when the chain is intact, 1 when anything was edited, deleted or reordered (each finding names its seq).
import { readJsonFile } from "./lib/cli";
import { LedgerCheckpoint, LedgerExport } from "../schema/ledger";
import { verifyChain } from "../worker/domain/ledger";

function usage(): never {
  console.error("usage: npm run verify:ledger -- <export.json> [--checkpoints <checkpoints.json>] [--json]");
  process.exit(2);
}

const args = process.argv.slice(2);
const file = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--checkpoints");
if (!file) usage();
const asJson = args.includes("--json");
const cpIdx = args.indexOf("--checkpoints");

const parsed = LedgerExport.safeParse(readJsonFile(file, "ledger export"));
if (!parsed.success) {
  console.error(`not a kaquan ledger export: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  process.exit(2);
}
const x = parsed.data;
// Checkpoints kept elsewhere (e.g. fetched earlier from /brands/<slug>/ledger/checkpoints) are trusted over the export's own.
let checkpoints = x.checkpoints;
if (cpIdx >= 0) {
  const raw = readJsonFile(args[cpIdx + 1] ?? usage(), "checkpoints file");
  const list = Array.isArray(raw) ? raw : (raw as { checkpoints: unknown[] }).checkpoints;
  checkpoints = [...checkpoints, ...LedgerCheckpoint.array().parse(list)];
}

const report = await verifyChain(x.tenantId, x.entries, { checkpoints, head: x.head });
if (asJson) {
  console.log(JSON.stringify(report));
} else {
  console.log(`tenant ${x.tenantId}: ${report.entries} entries, head seq ${report.headSeq} ${report.headHash}`);
  console.log(`checkpoints checked: ${checkpoints.length}; ledger object head: ${x.head ? `seq ${x.head.seq}` : "none"}`);
  if (report.ok) console.log("OK: the chain is intact");
  for (const f of report.findings) console.log(`TAMPERED seq ${f.seq}: ${f.problem} — ${f.detail}`);
}
process.exit(report.ok ? 0 : 1);
