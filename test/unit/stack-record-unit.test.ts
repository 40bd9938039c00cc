import { describe, expect, it } from "vitest";
import { previousStack, signatureOf, type StackRecord } from "../../scripts/lib/stack-record";

/** A process table: pid → command line. */
const table = (rows: Record<number, string>) => (pid: number) => rows[pid] ?? null;

const record: StackRecord = {
  pid: 100,
  services: [
    { name: "warehouse", pgid: 200, signature: signatureOf(["--import", "tsx", "analytics/main.ts"]) },
    { name: "worker", pgid: 300, signature: signatureOf(["dev", "--local", "--ip", "127.0.0.1", "--port", "8787"]) },
    { name: "suppliers", pgid: 400, signature: signatureOf(["--import", "tsx", "scripts/supplier-sandbox.ts"]) },
  ],
};

describe("what the last npm start on a state left behind", () => {
  it("a kill -9 of npm start alone leaves its services running: the next start ends them (they held the ports and the state)", () => {
    const ps = table({
      200: "/usr/bin/node --import tsx analytics/main.ts",
      300: "node node_modules/.bin/wrangler dev --local --ip 127.0.0.1 --port 8787 --persist-to ./.wrangler/state",
      // 400 died with it; 100 (npm start) is gone.
    });
    expect(previousStack(record, ps, 999)).toEqual({ orphans: [record.services[0], record.services[1]] });
  });

  it("a pid reused by something else is left alone", () => {
    const ps = table({ 200: "/usr/sbin/sshd -D", 300: "vim notes.txt" });
    expect(previousStack(record, ps, 999)).toEqual({ orphans: [] });
  });

  it("an npm start still running on the state is not ended but refused", () => {
    const ps = table({ 100: "node --import tsx scripts/start.ts", 200: "/usr/bin/node --import tsx analytics/main.ts" });
    expect(previousStack(record, ps, 999)).toEqual({ running: 100 });
  });

  it("no record (a first start, or the last one stopped cleanly): nothing to do", () => {
    expect(previousStack(null, table({}), 999)).toEqual({ orphans: [] });
  });
});
