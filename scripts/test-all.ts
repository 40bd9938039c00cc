/**
 * `npm test`'s vitest step. Vitest runs files one at a time on a 2-core machine (its default is cores − 1 workers) and
 * the e2e project must run one stack at a time anyway, so the suite runs as two vitest processes side by side; the e2e
 * files mostly wait on their own stacks (start-ups, an outage, a crash and restart).
 * Output is prefixed per process; the exit code is non-zero if either fails. With arguments it is plain `vitest run`.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createInterface } from "node:readline";

const vitest = "node_modules/.bin/vitest";
const args = process.argv.slice(2);

function run(label: string, argv: string[]): Promise<{ label: string; code: number; seconds: number }> {
  const started = Date.now();
  const child = spawn(vitest, ["run", ...argv], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => process.stdout.write(label ? `[${label}] ${line}\n` : `${line}\n`));
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
  // Two halves of about equal length: most Workers-pool tests then the e2e files (which vitest runs last, one stack at
  // a time), beside the unit, warehouse and browser tests followed by the Workers-pool files from o to z (their own
  // warehouse and workerd: nothing shared with the other process). A new project must be added to one of them here.
  const late = readdirSync("test/worker").filter((f) => /^[o-z].*\.test\.ts$/.test(f)).map((f) => `test/worker/${f}`);
  const results = await Promise.all([
    run("worker+e2e", ["--project", "worker", "--project", "e2e", "--exclude", "test/worker/[o-z]*.test.ts"]),
    (async () => {
      const rest = await run("rest", ["--project", "unit", "--project", "analytics", "--project", "analytics-cluster", "--project", "browser"]);
      const workerLate = await run("worker o-z", ["--project", "worker", ...late]);
      return [rest, workerLate];
    })(),
  ]).then((r) => r.flat());
  for (const r of results) console.log(`vitest ${r.label}: ${r.code === 0 ? "passed" : `FAILED (exit ${r.code})`} in ${r.seconds} s`);
  process.exitCode = results.some((r) => r.code !== 0) ? 1 : 0;
}
