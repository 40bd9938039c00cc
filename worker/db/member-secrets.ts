export interface MemberSecretRow {
  tenant_id: string;
  secret_sealed: string;
  previous_sealed: string | null;
  previous_until: string | null;
  created_at: string;
}

export function getMemberSecret(db: D1Database, tenantId: string) {
  return db.prepare("SELECT * FROM member_token_secrets WHERE tenant_id = ?").bind(tenantId).first<MemberSecretRow>();
}

/** Creates the secret, or rotates it: the current one becomes the previous one, accepted until `previousUntil`. */
export function putMemberSecret(db: D1Database, tenantId: string, sealed: string, previousUntil: string) {
  return db
    .prepare(
      `INSERT INTO member_token_secrets (tenant_id, secret_sealed) VALUES (?, ?)
       ON CONFLICT (tenant_id) DO UPDATE SET previous_sealed = member_token_secrets.secret_sealed, previous_until = ?,
         secret_sealed = excluded.secret_sealed, created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       RETURNING *`,
    )
    .bind(tenantId, sealed, previousUntil)
    .first<MemberSecretRow>();
}
