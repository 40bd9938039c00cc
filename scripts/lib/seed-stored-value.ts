import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";

/** Demo stored-value plans (储值卡, seed 001 "充100送50"). Idempotent: plans are matched by name. */
const PLANS = [
  { name: "充100送50", payCents: 10000, bonusCents: 5000 },
  { name: "充300送200", payCents: 30000, bonusCents: 20000 },
];

export async function seedStoredValue(baseUrl: string, keys: Record<Scope, string>) {
  const admin = kaquanClient(baseUrl, keys.admin);
  const { plans } = await must(admin.GET("/cards/plans"));
  for (const p of PLANS) if (!plans.some((x) => x.name === p.name)) await must(admin.POST("/cards/plans", { body: p }));
}
