/**
 * npx tsx bench/profile.ts [-- --port 9229 --after 0 --seconds 10 --out profile.cpuprofile]
 *
 * A CPU profile of the worker isolate in workerd while a benchmark runs, printed as self and inclusive time per
 * function. Start a benchmark with KAQUAN_BENCH_INSPECT=<port> (bench/lib/workerd-harness.ts opens workerd's
 * inspector there; `npm start`/bench:orders stacks take KAQUAN_INSPECTOR_PORT), and this beside it: it waits for the inspector, then `--after` seconds (to skip the harness's
 * warm-up phases), then samples for `--seconds`. The .cpuprofile file opens in Chrome DevTools.
 * `--target` picks another isolate by its inspector title (a regular expression): all of workerd's isolates share
 * one thread locally, so D1 (`d1:db`), the Durable Objects and Miniflare's entry (`core:entry`) cost the worker time.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: a } = parseArgs({
  options: { port: { type: "string", default: "9229" }, after: { type: "string", default: "0" }, seconds: { type: "string", default: "10" }, out: { type: "string", default: "profile.cpuprofile" }, target: { type: "string", default: "kaquan" } },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[] }

let target: { webSocketDebuggerUrl: string; title?: string } | undefined;
for (let i = 0; i < 600 && !target; i++) {
  try {
    const list = (await (await fetch(`http://127.0.0.1:${a.port}/json`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
    target = list.find((t) => new RegExp(a.target!).test(t.title ?? ""));
  } catch {}
  // Until the worker is loaded the inspector may answer with no target yet: wait either way.
  if (!target) await sleep(500);
}
if (!target) throw new Error(`no inspector on port ${a.port}`);
await sleep(Number(a.after) * 1000);
// wrangler dev's inspector proxy (KAQUAN_INSPECTOR_PORT) refuses a client that sends no Origin.
const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } } as never);
const pending = new Map<number, (v: { result: unknown }) => void>();
let seq = 0;
ws.addEventListener("message", (m: MessageEvent) => {
  const d = JSON.parse(String(m.data)) as { id?: number; result: unknown };
  if (d.id) pending.get(d.id)?.(d);
});
await new Promise((r) => ws.addEventListener("open", r));
const call = (method: string, params = {}) => new Promise<{ result: unknown }>((r) => {
  pending.set(++seq, r);
  ws.send(JSON.stringify({ id: seq, method, params }));
});
await call("Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 200 });
await call("Profiler.start");
await sleep(Number(a.seconds) * 1000);
const profile = ((await call("Profiler.stop")).result as { profile: Profile }).profile;
ws.close();
writeFileSync(a.out!, JSON.stringify(profile));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n: Node) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}`;
const hits = new Map<number, number>();
for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const self = new Map<string, number>();
const incl = new Map<string, number>();
for (const [id, n] of hits) {
  self.set(name(byId.get(id)!), (self.get(name(byId.get(id)!)) ?? 0) + n);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = name(byId.get(cur)!);
    if (!seen.has(k)) incl.set(k, (incl.get(k) ?? 0) + n), seen.add(k);
  }
}
const total = profile.samples.length;
const top = (m: Map<string, number>, n: number) =>
  [...m].sort((x, y) => y[1] - x[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join("\n");
console.log(`${total} samples (${a.seconds} s) → ${a.out}\n-- self --\n${top(self, 30)}\n-- inclusive --\n${top(incl, 40)}`);
