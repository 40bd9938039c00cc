import type { RiskDecision } from "../../schema/risk";

/** Spends a solved puzzle's nonce: true the first time, or again for the same idempotency key. */
export async function spendNonce(db: D1Database, nonce: string, idempotencyKey: string | null, expiresAtS: number): Promise<boolean> {
  const spent = await db
    .prepare("INSERT INTO challenge_spent (nonce, idempotency_key, expires_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO NOTHING")
    .bind(nonce, idempotencyKey, expiresAtS)
    .run();
  if (spent.meta.changes) return true;
  if (!idempotencyKey) return false;
  const prior = await db.prepare("SELECT idempotency_key FROM challenge_spent WHERE nonce = ?").bind(nonce).first<{ idempotency_key: string | null }>();
  return prior?.idempotency_key === idempotencyKey;
}

export function insertDecision(
  db: D1Database,
  d: { id: string; tenantId: string; campaignId: string | null; path: string; decision: RiskDecision; reasons: string[]; score: number; weight: number },
): D1PreparedStatement {
  return db
    .prepare("INSERT INTO risk_decisions (id, tenant_id, campaign_id, path, decision, reasons, score, weight) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(d.id, d.tenantId, d.campaignId, d.path, d.decision, JSON.stringify(d.reasons), d.score, d.weight);
}

export async function decisionCounts(db: D1Database, tenantId: string, campaignId: string, since: string) {
  const [counts, reasons] = await db.batch<{ decision: RiskDecision; n: number; reason?: string }>([
    db.prepare("SELECT decision, SUM(weight) AS n FROM risk_decisions WHERE tenant_id = ? AND campaign_id = ? AND created_at >= ? GROUP BY decision")
      .bind(tenantId, campaignId, since),
    db.prepare(
      `SELECT d.decision, j.value AS reason, SUM(d.weight) AS n FROM risk_decisions d, json_each(d.reasons) j
       WHERE d.tenant_id = ? AND d.campaign_id = ? AND d.created_at >= ? GROUP BY d.decision, j.value ORDER BY n DESC LIMIT 20`,
    ).bind(tenantId, campaignId, since),
  ]);
  return { counts: counts!.results, reasons: reasons!.results as { decision: RiskDecision; reason: string; n: number }[] };
}

export function pruneRiskState(db: D1Database, decisionsBefore: string, nowS: number) {
  return db.batch([
    db.prepare("DELETE FROM risk_decisions WHERE created_at < ?").bind(decisionsBefore),
    db.prepare("DELETE FROM challenge_spent WHERE expires_at < ?").bind(nowS),
  ]);
}
