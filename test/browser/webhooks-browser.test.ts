import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { screenshot, signedInPage, useChromium } from "./chromium";

const browser = useChromium();
let server: Server;
const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
beforeAll(async () => {
  // The brand's receiver: a plain Node server on this machine (development allows http://127.0.0.1).
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
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
    expect(await page.textContent("#log")).toContain("成功");
    await screenshot(page, "operator-webhooks");
    await page.context().close();
  });

  it("a delivery that could not go out is listed apart as a dead letter; once the receiver is back, 重发 delivers it with the same webhook-id", async () => {
    const { baseUrl, keys } = inject("stack");
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${baseUrl}/api/v1${path}`, { method, headers: { authorization: `Bearer ${keys.admin}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
    const path = `/dead-${Date.now()}`;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
    const mine = () => received.filter((r) => r.path === path);
    const made = await (await api("POST", "/webhooks/endpoints", { url, eventTypes: ["api_key_created"] })).json() as { id: string };
    // The brand's receiver is down for maintenance: the operator disables the endpoint, and a key is created meanwhile.
    expect((await api("PATCH", `/webhooks/endpoints/${made.id}`, { status: "disabled" })).status).toBe(200);
    expect((await api("POST", "/keys", { name: `dead-${Date.now()}`, scopes: ["redeemer"] })).status).toBe(201);
    await expect.poll(async () => ((await (await api("GET", `/webhooks/endpoints/${made.id}/deliveries?status=failed`)).json()) as any).deliveries.length, { timeout: 30_000 }).toBe(1);

    const page = await signedInPage(browser(), `${baseUrl}/admin/webhooks/`, keys.admin!);
    const row = page.locator("#endpoints tr", { hasText: url });
    await row.getByRole("button", { name: "日志" }).click();
    await expect.poll(() => page.locator("#dead-box").isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("#dead")).toContain("api_key_created");
    await screenshot(page, "operator-webhooks-dead-letter");

    // Back up: enable it, replay the dead letter — it arrives once, with the id it always had, and leaves the list.
    await row.getByRole("button", { name: "启用" }).click();
    await expect.poll(() => row.textContent()).not.toContain("已停用");
    expect(mine()).toHaveLength(0);
    await page.locator("#dead").getByRole("button", { name: "重发" }).click();
    await expect.poll(() => mine().length, { timeout: 30_000 }).toBe(1);
    const dead = ((await (await api("GET", `/webhooks/endpoints/${made.id}/deliveries`)).json()) as any).deliveries;
    expect(mine()[0]!.headers["webhook-id"]).toBe(dead[0].id);
    await expect.poll(() => page.locator("#dead-box").isVisible()).toBe(false);
    await page.context().close();
  });
});
