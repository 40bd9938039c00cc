import { existsSync, writeFileSync } from "node:fs";
import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";
import { sellingProductIds } from "./seed-catalog";
import { simulateMembers } from "./sim-members";

const DAY = 86_400_000;

/**
 * Demo membership history (60 days, 48 members and 24 buyers who never join) imported once through
 * POST /events/import, so the dashboard's 会员 section has numbers before anyone joins for real. The events are
 * marked simulated (the 模拟数据 badge); a marker file keeps later starts from importing it again. Its members hold
 * the brand's seeded tiers (`tierIds` by name).
 */
export async function seedMemberHistory(baseUrl: string, keys: Record<Scope, string>, stateDir: string, tierIds: Record<string, string> = {}) {
  const marker = `${stateDir}/demo-members-imported`;
  if (existsSync(marker)) return 0;
  const end = Date.now() - 60_000;
  const admin = kaquanClient(baseUrl, keys.admin);
  const productIds = await sellingProductIds(admin);
  const events = simulateMembers({ seed: 17, members: 48, nonMembers: 24, start: end - 60 * DAY, end, runId: `demo${end.toString(36)}`, tierIds, productIds });
  for (let i = 0; i < events.length; i += 1000) {
    await must(admin.POST("/events/import", { body: { events: events.slice(i, i + 1000) as never } }));
  }
  writeFileSync(marker, new Date(end).toISOString());
  return events.length;
}
