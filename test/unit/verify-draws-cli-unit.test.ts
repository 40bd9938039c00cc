import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = (url: string) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/verify-draws.ts", url], { encoding: "utf8" }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

// The README's `npm run verify:draws -- $API/public/campaigns/<id>/draws` run while the lottery is still on (the log is
// published at the end) printed a stack trace; it says what the API answered and exits 2, like a bad file does.
describe("verify:draws against the API", () => {
  it("a lottery that has not ended: the API's answer in one line, exit 2, no stack trace", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(409, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "not_ended", message: "The seed and draw log are published after the campaign ends", requestId: "r1" } }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/public/campaigns/cmp_x/draws`;
    try {
      const out = await run(url);
      expect(out.code).toBe(2);
      expect(out.stderr).toContain(`cannot load the draw log: ${url} answered HTTP 409 not_ended: The seed and draw log are published after the campaign ends`);
      expect(out.stderr).not.toMatch(/\n\s+at /);
    } finally {
      server.close();
    }
  }, 30_000);

  it("nothing listening: says it cannot reach the API, exit 2", async () => {
    const out = await run("http://127.0.0.1:9/api/v1/public/campaigns/cmp_x/draws");
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("cannot load the draw log: cannot reach http://127.0.0.1:9");
    expect(out.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);
});
