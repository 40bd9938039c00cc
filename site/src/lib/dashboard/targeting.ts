/**
 * The dashboard's 精准营销 (targeting, issue 19) section: lifecycle flows' win-back reactivation rate and
 * expiry-reminder-to-use conversion (analytics/metrics/win-back-reactivation.ts, reminder-conversion.ts). Other
 * targeting views (uplift vs holdout, coupon cost per segment) join this map.
 */
import type { Row } from "./api";
import { apiRange } from "./filters";
import { t } from "../i18n";
import { bucketFor } from "./membership-data";
import { chart, table } from "./render";
import type { View } from "./views";

const HEAD: Record<string, readonly [string, string]> = {
  bucket: ["日期", "Date"], sent: ["召回消息", "Messages"], reactivated: ["已回流", "Came back"], reactivationRate: ["回流率", "Reactivation rate"],
  reminded: ["已提醒", "Reminded"], used: ["已使用", "Used"], conversionRate: ["提醒后使用率", "Used after reminder"],
};
const L = new Proxy({} as Record<string, string>, { get: (_, k) => (HEAD[String(k)] ? t(...HEAD[String(k)]!) : undefined) });
const num = (rows: Row[], k: string) => rows.map((r) => (r[k] === null ? null : Number(r[k])));
const md = (bucket: unknown) => String(bucket).slice(5);

export const TARGETING_VIEWS: Record<string, View> = {
  win_back_reactivation: {
    metric: "win_back_reactivation",
    params: (f) => ({ ...apiRange(f), bucket: bucketFor(f) }),
    draw(rows, c, tableEl) {
      chart(c, rows.map((r) => md(r.bucket)), [{ label: t("回流率", "Reactivation rate"), values: num(rows, "reactivationRate"), pct: true }], true);
      table(tableEl, rows, L);
    },
  },
  reminder_conversion: {
    metric: "reminder_conversion",
    params: (f) => ({ ...apiRange(f), bucket: bucketFor(f) }),
    draw(rows, c, tableEl) {
      chart(c, rows.map((r) => md(r.bucket)), [{ label: t("提醒后使用率", "Used after reminder"), values: num(rows, "conversionRate"), pct: true }], true);
      table(tableEl, rows, L);
    },
  },
};
