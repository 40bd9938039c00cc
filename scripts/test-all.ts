/**
 * `npm test`'s type check and vitest step. The type check (~60 s of CPU) runs beside the tests rather than before them:
 * the lanes start with stacks that mostly wait, so it fills idle CPU instead of delaying everything. Vitest runs files one at a time on a 2-core machine (its default is cores − 1 workers) and
 * the e2e project must run one stack at a time anyway, so the suite runs as three vitest processes side by side.
 * Output is prefixed per process; the exit code is non-zero if either fails. With arguments it is plain `vitest run`.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const vitest = "node_modules/.bin/vitest";
const args = process.argv.slice(2);

// CI keeps only the tail of the log, so the lines that say what failed are printed again after the lanes' summaries.
const failures: string[] = [];
// A browser test that passed only on its CI retry (vitest.config.ts) is named at the end too: a flake to look at.
const retried: string[] = [];
const plain = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "");

function run(label: string, argv: string[], command = [vitest, "run"], niceness = 0): Promise<{ label: string; code: number; seconds: number }> {
  const started = Date.now();
  const [file, ...rest] = niceness ? ["nice", "-n", String(niceness), ...command] : command;
  const child = spawn(file!, [...rest, ...argv], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
  let window = 0;
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      process.stdout.write(label ? `[${label}] ${line}\n` : `${line}\n`);
      const text = plain(line).trim();
      // A failed test's name, then from its report the error and where it was thrown.
      if (/\(retry x\d+\)/.test(text) && retried.length < 40) retried.push(`[${label}] ${text.slice(0, 300)}`);
      if (failures.length >= 80) return;
      if (/^(FAIL\b|×|✗)|\berror TS\d+/.test(text)) {
        failures.push(`[${label}] ${text.slice(0, 300)}`);
        window = text.startsWith("FAIL") ? 15 : 0;
      } else if (window > 0) {
        window--;
        if (/^(\w*Error\b|❯ )/.test(text)) failures.push(`[${label}]   ${text.slice(0, 300)}`);
      }
    });
  }
  const stop = () => child.kill("SIGINT");
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return new Promise((resolve) =>
    child.on("exit", (code, signal) => resolve({ label, code: code ?? (signal ? 1 : 0), seconds: Math.round((Date.now() - started) / 1000) })),
  );
}

if (args.length) {
  process.exitCode = (await run("", args)).code;
} else {
  // Three lanes side by side: the Workers-pool files (CPU-bound, the longest), the e2e files (they mostly wait on their
  // own stacks: start-ups, an outage, a crash and restart) and then the unit and warehouse tests, and the browser files
  // (one shared stack). On two cores the waiting of the last two overlaps the first's work; nothing is shared between
  // them (own warehouse, stacks and ports). A new project must be added to one of them here.
  //
  // The Workers lane is the longest, and alone it needs only ~60% of one core (workerd's one thread, round trips):
  // beside the others at equal priority (load ~10) it took three times as long as alone. The other lanes run at a
  // lower priority (nice), so they take the CPU it leaves rather than the CPU it waits for.
  const lane = async (runs: [string, string[]][], niceness = 0) => {
    const done = [];
    for (const [label, projects] of runs) done.push(await run(label, projects.flatMap((p) => ["--project", p]), undefined, niceness));
    return done;
  };
  const results = (
    await Promise.all([
      lane([["worker", ["worker"]]]),
      lane([["e2e", ["e2e"]], ["unit+analytics", ["unit", "analytics", "analytics-cluster"]]], 5),
      lane([["browser", ["browser"]]], 5),
      run("typecheck", [], ["npm", "run", "--silent", "typecheck"], 10).then((r) => [r]),
    ])
  ).flat();
  if (retried.length) console.log(`passed on a retry (flaky; look at them):\n${retried.join("\n")}`);
  if (failures.length) console.log(`what failed (first lines):\n${failures.join("\n")}`);
  for (const r of results) console.log(`${r.label === "typecheck" ? "tsc" : "vitest"} ${r.label}: ${r.code === 0 ? "passed" : `FAILED (exit ${r.code})`} in ${r.seconds} s`);
  process.exitCode = results.some((r) => r.code !== 0) ? 1 : 0;
}
