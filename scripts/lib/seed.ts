import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";
import { seedPayments } from "./seed-payments";
import { seedPoints } from "./seed-points";
import { seedCampaigns } from "./seed-campaigns";
import { seedCatalog } from "./seed-catalog";
import { seedGrowthHistory } from "./seed-growth";
import { seedMemberHistory } from "./seed-members";
import { seedRecommendations } from "./seed-recommendations";
import { seedRedemption } from "./seed-redemption";
import { seedStoredValue } from "./seed-stored-value";
import { seedTiers } from "./seed-tiers";
import { seedSocial } from "./seed-social";
import { seedSegments } from "./seed-segments";
import { seedOutreach } from "./seed-outreach";
import { seedAlipay } from "./seed-alipay";

export const DEMO_SLUG = "demo";
const DEMO_SCOPES: Scope[] = ["admin", "operator", "redeemer", "analyst"];

export interface DemoSeed {
  tenantId: string;
  keys: Record<Scope, string>;
}

/**
 * The demo brand's page origins: the stack's own (on whatever KAQUAN_PORT it runs, under both local names) and Astro's
 * dev server. A stack on port 8800 listed 8787 before, which nothing served.
 */
export function demoOrigins(baseUrl: string): string[] {
  const { protocol, port } = new URL(baseUrl);
  const own = port ? `:${port}` : "";
  return [...new Set([`${protocol}//127.0.0.1${own}`, `${protocol}//localhost${own}`, "http://127.0.0.1:4321", "http://localhost:4321"])];
}

/**
 * Idempotent demo data: the "Demo Brand" tenant and one key per scope. Keys are secrets shown once, so the
 * seed keeps them in a git-ignored file and reuses them on later starts.
 */
export async function seedDemo(baseUrl: string, platformToken: string, stateDir = ".kaquan"): Promise<DemoSeed> {
  const keysFile = `${stateDir}/demo-keys.json`;
  const platform = kaquanClient(baseUrl, platformToken);
  const { tenants } = await must(platform.GET("/platform/tenants"));
  let tenant = tenants.find((t) => t.slug === DEMO_SLUG);
  if (!tenant) {
    tenant = await must(platform.POST("/platform/tenants", {
      body: {
        slug: DEMO_SLUG,
        name: "Demo Brand",
        allowedOrigins: demoOrigins(baseUrl),
      },
    }));
  }
  const saved = readSavedKeys(keysFile);
  const keys = {} as Record<Scope, string>;
  for (const scope of DEMO_SCOPES) {
    const existing = saved?.tenantId === tenant!.id ? saved.keys[scope] : undefined;
    if (existing && (await kaquanClient(baseUrl, existing).GET("/tenant")).response.status === 200) {
      keys[scope] = existing;
      continue;
    }
    const created = await must(platform.POST("/platform/tenants/{tenantId}/keys", {
      params: { path: { tenantId: tenant!.id } },
      body: { name: `demo ${scope}`, scopes: [scope] },
    }));
    keys[scope] = created.secret;
  }
  const seed = { tenantId: tenant!.id, keys };
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(keysFile, JSON.stringify(seed, null, 2), { mode: 0o600 });
  await seedAlipay(baseUrl, keys.admin).catch((e) => console.warn(`alipay sandbox account skipped: ${e instanceof Error ? e.message : e}`));
  await seedPayments(baseUrl, keys).catch((e) => console.warn(`WeChat Pay sandbox account skipped: ${e instanceof Error ? e.message : e}`));
  await seedCatalog(baseUrl, keys).catch((e) => console.warn(`catalog demo data skipped: ${e instanceof Error ? e.message : e}`));
  await seedRedemption(baseUrl, keys, stateDir).catch((e) => console.warn(`redemption demo data skipped: ${e instanceof Error ? e.message : e}`));
  await seedCampaigns(baseUrl, keys).catch((e) => console.warn(`campaign demo data skipped: ${e instanceof Error ? e.message : e}`));
  // After the catalog: the top tier's monthly pack and birthday gift are its products.
  const tierIds = await seedTiers(baseUrl, keys).catch((e) => { console.warn(`membership tiers skipped: ${e instanceof Error ? e.message : e}`); return {}; });
  // KAQUAN_DEMO_HISTORY=0: no simulated membership history (a test that counts every event of its own traffic).
  if (process.env.KAQUAN_DEMO_HISTORY !== "0") await seedMemberHistory(baseUrl, keys, stateDir, tierIds).catch((e) => console.warn(`membership demo history skipped: ${e instanceof Error ? e.message : e}`));
  if (process.env.KAQUAN_DEMO_HISTORY !== "0") await seedGrowthHistory(baseUrl, keys, stateDir).catch((e) => console.warn(`growth demo history skipped: ${e instanceof Error ? e.message : e}`));
  await seedStoredValue(baseUrl, keys).catch((e) => console.warn(`stored-value demo data skipped: ${e instanceof Error ? e.message : e}`));
  await seedPoints(baseUrl, keys).catch((e) => console.warn(`points tasks and mall demo data skipped: ${e instanceof Error ? e.message : e}`));
  await seedSocial(baseUrl, keys).catch((e) => console.warn(`assist/invite/group-buy demo data skipped: ${e instanceof Error ? e.message : e}`));
  if (process.env.KAQUAN_DEMO_HISTORY !== "0") await seedRecommendations(baseUrl, keys, stateDir).catch((e) => console.warn(`recommendation demo orders skipped: ${e instanceof Error ? e.message : e}`));
  // After the demo orders: the segments upload recent buyers, and the targeted-coupon demo issues to them.
  await seedSegments(baseUrl, keys).catch((e) => console.warn(`segment demo data skipped: ${e instanceof Error ? e.message : e}`));
  await seedOutreach(baseUrl, keys, stateDir).catch((e) => console.warn(`targeting demo data skipped: ${e instanceof Error ? e.message : e}`));
  return seed;
}

function readSavedKeys(file: string): DemoSeed | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as DemoSeed;
  } catch {
    return null;
  }
}
