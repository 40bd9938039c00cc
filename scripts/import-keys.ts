/**
 * `npm run import:keys -- --file keys.csv --product <productId> [--url http://127.0.0.1:8787] [--key <operator key>]
 *   [--batch 1000] [--parallel 4] [--reusable]`
 *
 * Streams a CSV of card keys into a product's inventory: a header row naming a `key` (or `card_key`/`卡密`) column and
 * optionally `reusable`; without a header the first column is the key (the format: worker/domain/key-csv.ts, the same
 * parser as the operator page's upload). Rows go up in chunks of --batch, several
 * chunks in flight; the worker encrypts and de-duplicates them. Progress on stderr; every refused row is written to
 * `<file>.errors.csv` (line, code, message). Keys are never printed.
 */
import { createReadStream, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { kaquanClient } from "./lib/api/client";
import { cliArgs, DEFAULT_URL, failInWords } from "./lib/cli";
import { errorsCsv, isRowError, KEY_ROW_MESSAGES, KeyCsvReader, type KeyRow, type KeyRowError } from "../worker/domain/key-csv";

const USAGE = "usage: npm run import:keys -- --file keys.csv --product <productId> [--url URL (default: KAQUAN_URL, else http://127.0.0.1:<KAQUAN_PORT or 8787>)] [--key API_KEY] [--batch 1000] [--parallel 4] [--reusable]";
const { values } = cliArgs({
  options: {
    file: { type: "string" },
    product: { type: "string" },
    url: { type: "string", default: DEFAULT_URL },
    key: { type: "string", default: process.env.KAQUAN_KEY },
    batch: { type: "string", default: "1000" },
    parallel: { type: "string", default: "4" },
    reusable: { type: "boolean", default: false },
  },
}, USAGE);
failInWords(() => values.url!);
if (!values.file || !values.product) {
  console.error(USAGE);
  process.exit(2);
}
if (!existsSync(values.file)) {
  console.error(`no such file: ${values.file}`);
  process.exit(2);
}
const key = values.key ?? demoKey();
if (!key) {
  console.error("No API key: pass --key or set KAQUAN_KEY (npm start saves demo keys in .kaquan/demo-keys.json)");
  process.exit(2);
}
const batchSize = Math.min(1000, Math.max(1, Number(values.batch)));
const parallel = Math.max(1, Number(values.parallel));
const client = kaquanClient(values.url!, key);
const batchId = `imp_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
const totalBytes = statSync(values.file).size;

function demoKey(): string | undefined {
  for (const f of [`${process.env.KAQUAN_STATE_DIR ?? "."}/.kaquan/demo-keys.json`, ".kaquan/demo-keys.json"]) {
    if (existsSync(f)) return (JSON.parse(readFileSync(f, "utf8")) as { keys: Record<string, string> }).keys.operator;
  }
  return undefined;
}

type Row = KeyRow;
type RowError = KeyRowError;
const errors: RowError[] = [];
let inserted = 0;
let sent = 0;
let bytes = 0;
const started = Date.now();

// On a terminal the bar redraws in place; in a log it is one line per second.
const tty = process.stderr.isTTY;
/** Rows handled so far: sent to the API, or refused before it as invalid (the summary's `rows`). */
const handled = () => sent + errors.filter((e) => e.code === "invalid").length;
/** Why rows are waiting (the API refused a batch for now and it is sent again), shown until a batch goes through. */
let waiting = "";
function progress(final = false) {
  // Bytes read run ahead of rows sent (a batch in flight or being retried): 100% only once every row is answered.
  const frac = final ? 1 : totalBytes ? Math.min(0.99, bytes / totalBytes) : 0;
  const width = 30;
  const bar = "█".repeat(Math.floor(frac * width)).padEnd(width, "░");
  const rate = Math.round(sent / Math.max(0.001, (Date.now() - started) / 1000));
  process.stderr.write(`${tty ? "\r\x1b[K" : ""}${bar} ${(frac * 100).toFixed(0).padStart(3)}%  ${handled().toLocaleString()} rows  ${inserted.toLocaleString()} added  ${errors.length.toLocaleString()} refused  ${rate.toLocaleString()} rows/s${waiting && !final ? `  ${waiting}` : ""}${final || !tty ? "\n" : ""}`);
}

async function send(rows: Row[]) {
  for (let attempt = 1; ; attempt++) {
    try {
      const { data, error, response } = await client.POST("/products/{productId}/keys/import", {
        params: { path: { productId: values.product! } },
        body: { batchId, rows },
      });
      const refusal = (error as { error?: { code: string; message: string; issues?: { path: string; message: string }[] } } | undefined)?.error;
      if (data) {
        inserted += data.inserted;
        errors.push(...(data.errors as RowError[]));
      } else if (response.status === 400 && refusal?.issues) {
        // The contract refused some rows (e.g. too short): report them and send the rest again.
        const bad = new Set(refusal.issues.map((i) => Number(/rows\.(\d+)/.exec(i.path)?.[1])).filter((n) => !Number.isNaN(n)));
        for (const i of bad) errors.push({ line: rows[i]!.line, code: "invalid", message: KEY_ROW_MESSAGES.length });
        const rest = rows.filter((_, i) => !bad.has(i));
        if (bad.size && rest.length) return send(rest);
        if (!bad.size) throw new Error(`${refusal.code}: ${refusal.message}`);
      } else if (response.status >= 500 || response.status === 429) {
        throw new Error(`HTTP ${response.status}`);
      } else {
        console.error(`\nimport refused: ${response.status} ${refusal?.code}: ${refusal?.message}`);
        process.exit(1);
      }
      sent += rows.length;
      waiting = "";
      return;
    } catch (e) {
      if (attempt >= 5) throw e;
      waiting = `waiting: ${e instanceof Error ? e.message : String(e)}, trying again (${attempt}/4)`;
      await new Promise((res) => setTimeout(res, 200 * 2 ** attempt));
    }
  }
}

const inFlight = new Set<Promise<void>>();
async function dispatch(rows: Row[]) {
  const p = send(rows).finally(() => inFlight.delete(p));
  inFlight.add(p);
  if (inFlight.size >= parallel) await Promise.race(inFlight);
}

const lines = createInterface({ input: createReadStream(values.file), crlfDelay: Infinity });
let lineNo = 0;
const reader = new KeyCsvReader(values.reusable);
let batch: Row[] = [];
const ticker = setInterval(() => progress(), tty ? 200 : 1000);
for await (const raw of lines) {
  lineNo++;
  bytes += Buffer.byteLength(raw) + 1;
  const row = reader.read(raw, lineNo);
  if (!row) continue;
  if (isRowError(row)) {
    errors.push(row);
    continue;
  }
  batch.push(row);
  if (batch.length >= batchSize) {
    await dispatch(batch);
    batch = [];
  }
}
if (batch.length) await dispatch(batch);
await Promise.all(inFlight);
clearInterval(ticker);
bytes = totalBytes;
progress(true);

const seconds = (Date.now() - started) / 1000;
errors.sort((a, b) => a.line - b.line);
const reportFile = `${values.file}.errors.csv`;
if (errors.length) {
  writeFileSync(reportFile, errorsCsv(errors));
  const byCode = errors.reduce<Record<string, number>>((m, e) => ((m[e.code] = (m[e.code] ?? 0) + 1), m), {});
  console.error(`refused rows: ${Object.entries(byCode).map(([c, n]) => `${c} ${n}`).join(", ")} — see ${reportFile}`);
} else if (existsSync(reportFile)) {
  // An error file left by an earlier run of this file would read as this run's refusals.
  unlinkSync(reportFile);
}
if (handled() === 0) console.error(`${values.file} holds no keys (empty, or a header only)`);
const stock = await client.GET("/products/{productId}/stock", { params: { path: { productId: values.product } } });
console.log(JSON.stringify({ batchId, rows: handled(), inserted, refused: errors.length, seconds: Number(seconds.toFixed(2)), rows_per_s: Math.round((sent) / seconds), stock: stock.data }));
process.exit(errors.length ? 3 : 0);
