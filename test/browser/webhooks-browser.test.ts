import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { screenshot, signedInPage, useChromium } from "./chromium";

const browser = useChromium();
let server: Server;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
beforeAll(async () => {
  // The brand's receiver: a plain Node server on this machine (development allows http://127.0.0.1).
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
});

describe("operator area: webhooks", () => {
  it("adds an endpoint, shows its secret once, and the delivery it receives verifies and appears in the log", async () => {
    const { baseUrl, keys } = inject("stack");
    const page = await signedInPage(browser(), `${baseUrl}/admin/webhooks/`, keys.admin!);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kaquan`;
    await page.fill("#e-url", url);
    await page.fill("#e-types", "api_key_created, alert");
    await page.click("#new-endpoint button[type=submit]");
    await expect.poll(() => page.textContent("#new-msg")).toContain("whsec_");
    const secret = /whsec_\S+/.exec((await page.textContent("#new-msg"))!)![0];

    // Something happens in the shop's back office: a key is created (api_key_created).
    const res = await fetch(`${baseUrl}/api/v1/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ name: `pos-${Date.now()}`, scopes: ["redeemer"] }),
    });
    expect(res.status).toBe(201);
    await expect.poll(() => received.length, { timeout: 30_000 }).toBeGreaterThan(0);
    const hit = received[0]!;
    const payload = new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>) as { type: string };
    expect(payload.type).toBe("api_key_created");

    await page.reload();
    await expect.poll(() => page.textContent("#log"), { timeout: 15_000 }).toContain("204");
    expect(await page.textContent("#log")).toContain("succeeded");
    await screenshot(page, "operator-webhooks");
    await page.context().close();
  });
});
