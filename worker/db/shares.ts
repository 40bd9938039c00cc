export interface ShareRow {
  code: string;
  tenant_id: string;
  campaign_id: string;
  sharer_id: string;
}

export function insertShare(db: D1Database, s: { code: string; tenantId: string; campaignId: string; sharerId: string; channel: string | null }) {
  return db
    .prepare("INSERT INTO campaign_shares (code, tenant_id, campaign_id, sharer_id, channel) VALUES (?, ?, ?, ?, ?)")
    .bind(s.code, s.tenantId, s.campaignId, s.sharerId, s.channel);
}

export function getShare(db: D1Database, tenantId: string, code: string) {
  return db.prepare("SELECT code, tenant_id, campaign_id, sharer_id FROM campaign_shares WHERE tenant_id = ? AND code = ?").bind(tenantId, code).first<ShareRow>();
}
