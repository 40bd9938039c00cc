import { readdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { expect, inject } from "vitest";
import { freePort } from "../../scripts/lib/free-port";
import { chinaDay } from "../../worker/domain/china-time";

/** Calls the shared stack's API with a Bearer token (or none); throws on a non-2xx answer, null for a 204. */
export async function api(path: string, token: string | null | undefined, method = "GET", body?: unknown): Promise<any> {
  const { baseUrl } = inject("stack");
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json: any = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The Demo Brand's admin key. */
/** The growth view's row of a mechanism (裂变增长) from yesterday to tomorrow, from the analyst API the dashboard reads. */
export async function growthRow(mechanism: string) {
  const { keys } = inject("stack");
  const day = 86_400_000;
  const range = `from=${chinaDay(Date.now() - day)}&to=${chinaDay(Date.now() + day)}`; // China days, as the API reads bare dates
  return (await api(`/analytics/growth?${range}`, keys.analyst)).rows.find((r: any) => r.mechanism === mechanism);
}

export function admin(path: string, method = "GET", body?: unknown): Promise<any> {
  return api(path, inject("stack").keys.admin, method, body);
}

/** A brand's own page on another origin (a free port on 127.0.0.1), serving `html` at every path. */
export async function serveHtml(html: string): Promise<{ origin: string; server: Server }> {
  const port = await freePort();
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${port}`, server };
}

/** The stack's D1 database file (miniflare's SQLite), to read or tamper with it as an attacker with disk access. */
export function d1File(stateDir: string): string {
  const dir = join(stateDir, ".wrangler/state/v3/d1/miniflare-D1DatabaseObject");
  return join(dir, readdirSync(dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")!);
}

/** Buy the demo's 视频会员月卡 on its product page and pay at the sandbox gateway; ends on the order page. */
export async function buyVideoCard(page: import("playwright-core").Page) {
  const { baseUrl } = inject("stack");
  await page.goto(`${baseUrl}/shop/?t=demo`);
  await page.getByText("视频会员月卡").first().click();
  await expect.poll(() => page.locator("#buy-btn").isEnabled(), { timeout: 10_000 }).toBe(true);
  await page.click("#buy-btn");
  await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
  await page.click("#pay");
  await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
}
