/**
 * Every benchmark states the machine's load and refuses to print a result line when the machine was busy at start,
 * so a noisy figure cannot be mistaken for a measurement (bench/README.md).
 */
import { cpus, loadavg } from "node:os";

/** Load average (1 min) above which a run is not a measurement. */
export const BUSY_LOAD = Number(process.env.BENCH_BUSY_LOAD ?? 1.0);

const round = (x: number) => Math.round(x * 100) / 100;

export type LoadGate = { start: number[]; busy: boolean; report: (result: Record<string, unknown>) => void };

/** What `finish` does with a result, given the load at start and at end (pure: unit-tested). */
export function verdict(start: number[], end: number[], busyLoad = BUSY_LOAD, allowBusy = false) {
  const busy = start[0]! > busyLoad;
  const load = { load_start: start.map(round), load_end: end.map(round) };
  if (!busy) return { print: true, exitCode: 0, load, message: null };
  const message =
    `machine busy: load average ${round(start[0]!)} at start (> ${busyLoad}, ${cpus().length} cores). ` +
    "Not a measurement: wait for a quiet machine and run again.";
  // BENCH_ALLOW_BUSY=1 (smoke runs) shows the figures, but never as a result line.
  return { print: false, exitCode: allowBusy ? 0 : 3, load, message };
}

/** Call at the very start of a benchmark, before anything is spawned. */
export function loadGate(): LoadGate {
  const start = loadavg();
  console.log(`load average at start: ${start.map(round).join(" ")} (${cpus().length} cores; results refused above ${BUSY_LOAD})`);
  return {
    start,
    busy: start[0]! > BUSY_LOAD,
    /** Prints the result line (or refuses to) and sets the exit code; cleanup after it still runs. */
    report(result) {
      const end = loadavg();
      console.log(`load average at end: ${end.map(round).join(" ")}`);
      const v = verdict(start, end, BUSY_LOAD, process.env.BENCH_ALLOW_BUSY === "1");
      if (v.print) console.log(JSON.stringify({ ...result, ...v.load }));
      else {
        console.error(v.message);
        console.log(`NOT A MEASUREMENT (busy): ${JSON.stringify({ ...result, ...v.load })}`);
      }
      if (v.exitCode) process.exitCode = v.exitCode;
    },
  };
}
