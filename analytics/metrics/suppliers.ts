import { SupplierParams, SupplierRow } from "../../schema/analytics";
import { IN_RANGE, TENANT, ratio, select, type Metric } from "./metric";

/** Per supplier: deliveries vs failed attempts (a retried order that finally delivers counts one failure and one success). */
const SQL = `
SELECT supplier_id AS supplierId, countIf(type = 'order_delivered') AS delivered, countIf(type = 'supplier_failed') AS failed
FROM events
WHERE ${TENANT} AND ${IN_RANGE} AND supplier_id != '' AND type IN ('order_delivered', 'supplier_failed')
GROUP BY supplier_id ORDER BY delivered + failed DESC, supplier_id`;

export const suppliers: Metric<typeof SupplierParams, typeof SupplierRow> = {
  params: SupplierParams,
  row: SupplierRow,
  async run(client, tenant, p) {
    const rows = await select<{ supplierId: string; delivered: number; failed: number }>(client, SQL, { tenant, from: p.from, to: p.to });
    return rows.map((r) => ({ ...r, successRate: ratio(r.delivered, r.delivered + r.failed) }));
  },
};
