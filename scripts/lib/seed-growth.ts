import { existsSync, writeFileSync } from "node:fs";
import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";
import { sellingProductIds } from "./seed-catalog";
import { simulateGrowth } from "./sim-growth";

const DAY = 86_400_000;

/**
 * Demo social-growth history (30 days: shares, invitee sign-ups, teams, assists, invite rewards) imported once
 * through POST /events/import, so the dashboard's 裂变增长 view has numbers on `npm start`. Marked simulated; a marker
 * file keeps later starts from importing it again.
 */
export async function seedGrowthHistory(baseUrl: string, keys: Record<Scope, string>, stateDir: string) {
  const marker = `${stateDir}/demo-growth-imported`;
  if (existsSync(marker)) return 0;
  const end = Date.now() - 60_000;
  const admin = kaquanClient(baseUrl, keys.admin);
  const events = simulateGrowth({ seed: 18, start: end - 30 * DAY, end, runId: `g${end.toString(36)}`, productIds: await sellingProductIds(admin), campaigns: (await must(admin.GET("/campaigns"))).campaigns });
  for (let i = 0; i < events.length; i += 1000) {
    await must(admin.POST("/events/import", { body: { events: events.slice(i, i + 1000) as never } }));
  }
  writeFileSync(marker, new Date(end).toISOString());
  return events.length;
}
