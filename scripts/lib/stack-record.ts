import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * What `npm start` runs on a state dir, written beside the state (`.kaquan/stack.json`): its own pid and each service's
 * process group. Each service runs in a group of its own (so a stop ends it whole), which also means a `kill -9` of
 * `npm start` itself leaves every service running: the worker still writing the state's SQLite files, the ports held,
 * and the next `npm start` refusing to run ("port taken") until someone hunts the processes down. With the record, the
 * next start ends what a killed one left behind, and refuses to run beside a live one on the same state.
 */
export interface StackRecord {
  pid: number;
  services: { name: string; pgid: number; signature: string }[];
}

export const stackRecordFile = (stateDir: string) => `${stateDir}/.kaquan/stack.json`;

/** A process's command line, or null when there is none. */
export type ArgsOf = (pid: number) => string | null;

export const psArgs: ArgsOf = (pid) => {
  const r = spawnSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
};

/** The words a service's leader runs with that identify it (its first arguments), for telling it from a reused pid. */
export const signatureOf = (args: string[]) => args.slice(0, 3).join(" ");

export function readStackRecord(file: string): StackRecord | null {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as StackRecord) : null;
  } catch {
    return null;
  }
}

export function writeStackRecord(file: string, record: StackRecord) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record) + "\n");
}

export function removeStackRecord(file: string) {
  rmSync(file, { force: true });
}

/**
 * What the last `npm start` on this state left: `running` when it is still alive (another stack uses the state), else
 * the services still running whose leader still runs what was started (a pid reused by something else is left alone).
 */
export function previousStack(record: StackRecord | null, argsOf: ArgsOf, ownPid = process.pid): { running: number } | { orphans: StackRecord["services"] } {
  if (!record) return { orphans: [] };
  if (record.pid !== ownPid && argsOf(record.pid)?.includes("scripts/start.ts")) return { running: record.pid };
  return { orphans: record.services.filter((s) => argsOf(s.pgid)?.includes(s.signature)) };
}
