import type { ClickHouseClient } from "@clickhouse/client";
import { METRICS, type MetricName } from "../../schema/analytics";
import { dataSource } from "./data-source";
import { acquisition } from "./acquisition";
import { checkinStreaks } from "./checkin-streaks";
import { funnel } from "./funnel";
import { growth } from "./growth";
import { kfactor, kfactorOverall } from "./kfactor";
import { ltv } from "./ltv";
import { membersByTier } from "./members-by-tier";
import type { Metric } from "./metric";
import { paidCardRenewal } from "./paid-card-renewal";
import { points } from "./points";
import { redemption } from "./redemption";
import { retention } from "./retention";
import { retentionMatrix } from "./retention-matrix";
import { roi } from "./roi";
import { suppliers } from "./suppliers";
import { revenueOverall, topProducts } from "./top-products";
import { couponRoi } from "./coupon-roi";
import { targetingUplift } from "./targeting-uplift";
import { reminderConversion } from "./reminder-conversion";
import { winBackReactivation } from "./win-back-reactivation";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const metrics: Record<MetricName, Metric<any, any>> = {
  retention,
  retention_matrix: retentionMatrix,
  ltv,
  kfactor,
  kfactor_overall: kfactorOverall,
  funnel,
  redemption,
  suppliers,
  roi,
  top_products: topProducts,
  revenue_overall: revenueOverall,
  data_source: dataSource,
  acquisition,
  members_by_tier: membersByTier,
  points,
  paid_card_renewal: paidCardRenewal,
  checkin_streaks: checkinStreaks,
  growth,
  targeting_uplift: targetingUplift,
  coupon_roi: couponRoi,
  win_back_reactivation: winBackReactivation,
  reminder_conversion: reminderConversion,
};

/** Validates raw params with the metric's contract and runs it for one tenant. Throws the ZodError on bad params. */
export async function runMetric(client: ClickHouseClient, tenantId: string, name: MetricName, rawParams: unknown) {
  const metric = metrics[name];
  const params = METRICS[name].params.parse(rawParams);
  const rows = await metric.run(client, tenantId, params);
  return { params, rows };
}
