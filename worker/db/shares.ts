export interface ShareRow {
  code: string;
  tenant_id: string;
  mechanism: string;
  subject_id: string;
  campaign_id: string | null;
  sharer_id: string;
}

export interface NewShare {
  code: string;
  tenantId: string;
  mechanism: string;
  subjectId: string;
  campaignId: string | null;
  sharerId: string;
  channel: string | null;
}

export function insertShare(db: D1Database, s: NewShare) {
  return db
    .prepare("INSERT INTO campaign_shares (code, tenant_id, mechanism, subject_id, campaign_id, sharer_id, channel) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(s.code, s.tenantId, s.mechanism, s.subjectId, s.campaignId, s.sharerId, s.channel);
}

export function getShare(db: D1Database, tenantId: string, code: string) {
  return db
    .prepare("SELECT code, tenant_id, mechanism, subject_id, campaign_id, sharer_id FROM campaign_shares WHERE tenant_id = ? AND code = ?")
    .bind(tenantId, code)
    .first<ShareRow>();
}
