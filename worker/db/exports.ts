import type { ExportPosition, ExportRow } from "../../schema/exports";

/** One page of a D1 dataset, in (time, id) order, strictly after `after`; the row's `at` is its position. */
export type ExportPage = (db: D1Database, tenantId: string, range: { from: string; to: string }, after: ExportPosition | null, limit: number) => Promise<(ExportRow & { at: string })[]>;

/**
 * Each dataset's columns are chosen here, so what leaves the tenant's database is decided in one place: ids and
 * facts, never phone numbers, recharge accounts, voucher codes, secrets or IP addresses.
 */
const SELECTS = {
  orders: {
    time: "created_at",
    sql: `SELECT id, created_at AS at, created_at AS createdAt, buyer_id AS buyerId, product_id AS productId, quantity,
            unit_price_cents AS unitPriceCents, amount_cents AS amountCents, stored_value_cents AS storedValueCents, currency, status, source,
            campaign_id AS campaignId, paid_at AS paidAt, delivered_at AS deliveredAt, refunded_at AS refundedAt,
            (SELECT COALESCE(SUM(p.amount_cents), 0) FROM payments p
              WHERE p.tenant_id = orders.tenant_id AND p.order_id = orders.id AND p.kind = 'refund' AND p.status = 'succeeded') AS refundedCents,
            updated_at AS updatedAt,
            -- The dashboard's paid order (order_paid): paid by a charge a gateway took. A free or balance-paid order has
            -- no charge; money taken for an order that could no longer take it left paid_at unset (and was refunded).
            (paid_at IS NOT NULL AND EXISTS (SELECT 1 FROM payments c
              WHERE c.tenant_id = orders.tenant_id AND c.order_id = orders.id AND c.kind = 'charge' AND c.status = 'succeeded')) AS paidOrder
          FROM orders`,
  },
  payments: {
    time: "created_at",
    sql: `SELECT id, created_at AS at, created_at AS createdAt, order_id AS orderId, kind, provider, amount_cents AS amountCents,
            currency, status, provider_ref AS providerRef, refund_of AS refundOf, reason, completed_at AS completedAt
          FROM payments`,
  },
  vouchers: {
    time: "issued_at",
    sql: `SELECT id, issued_at AS at, issued_at AS issuedAt, holder_id AS holderId, product_id AS productId, kind, title,
            face_value_cents AS faceValueCents, order_id AS orderId, campaign_id AS campaignId, status,
            valid_from AS validFrom, valid_to AS validTo, status_changed_at AS statusChangedAt
          FROM vouchers`,
  },
  redemptions: {
    time: "created_at",
    sql: `SELECT id, created_at AS at, created_at AS createdAt, outcome, reason, voucher_id AS voucherId,
            holder_id AS holderId, store_id AS storeId, api_key_id AS apiKeyId, reversed_at AS reversedAt, reversal_reason AS reversalReason
          FROM redemptions`,
  },
  members: {
    time: "created_at",
    sql: `SELECT id, created_at AS at, created_at AS createdAt, kind, phone_hash IS NOT NULL AS hasPhone,
            merged_into AS mergedInto
          FROM buyers`,
  },
} as const;

export type D1ExportDataset = keyof typeof SELECTS;

function pageOf(dataset: D1ExportDataset): ExportPage {
  const { time, sql } = SELECTS[dataset];
  return async (db, tenantId, range, after, limit) => {
    // Row values (t, id) > (?, ?) keep the page on the (tenant_id, time, id) index (migration 0110).
    const { results } = await db
      .prepare(
        `${sql} WHERE tenant_id = ? AND ${time} >= ? AND ${time} < ? AND (${time}, id) > (?, ?)
         ORDER BY ${time}, id LIMIT ?`,
      )
      .bind(tenantId, range.from, range.to, after?.at ?? "", after?.id ?? "", limit)
      .all<ExportRow & { at: string }>();
    return results;
  };
}

export const D1_EXPORT_PAGES: Record<D1ExportDataset, ExportPage> = {
  orders: pageOf("orders"),
  payments: pageOf("payments"),
  vouchers: pageOf("vouchers"),
  redemptions: pageOf("redemptions"),
  members: pageOf("members"),
};
