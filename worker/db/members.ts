/** Brand members (schema/d1/0151): every statement on members, shared by the membership, points and card services. */
export interface MemberRow {
  id: string;
  tenant_id: string;
  buyer_id: string;
  card_no: string;
  tier_id: string | null;
  paid_tier_id: string | null;
  paid_until: string | null;
  growth: number;
  points_balance: number;
  birthday: string | null;
  /** Set by the member (migration 0174); absent on rows read before it. */
  city?: string | null;
  /** JSON array of labels. */
  tags: string;
  joined_via: string;
  joined_at: string;
  /** The membership cron's cursors (migration 0200): the next yearly-review step, the last month checked for benefits. */
  review_due_at?: string | null;
  benefits_period?: string;
}

export function memberByBuyer(db: D1Database, tenantId: string, buyerId: string) {
  return db.prepare("SELECT * FROM members WHERE tenant_id = ? AND buyer_id = ?").bind(tenantId, buyerId).first<MemberRow>();
}

export function memberById(db: D1Database, tenantId: string, memberId: string) {
  return db.prepare("SELECT * FROM members WHERE tenant_id = ? AND id = ?").bind(tenantId, memberId).first<MemberRow>();
}
