import type { AlertNotice, AlertSettings } from "../../schema/alerts";

export const DEFAULT_QUIET_MINUTES = 30;

interface SettingsRow {
  emails: string;
  phones: string;
  quiet_minutes: number;
}

export async function getAlertSettings(db: D1Database, tenantId: string): Promise<AlertSettings> {
  const r = await db.prepare("SELECT emails, phones, quiet_minutes FROM alert_settings WHERE tenant_id = ?").bind(tenantId).first<SettingsRow>();
  if (!r) return { emails: [], phones: [], quietMinutes: DEFAULT_QUIET_MINUTES };
  return { emails: JSON.parse(r.emails) as string[], phones: JSON.parse(r.phones) as string[], quietMinutes: r.quiet_minutes };
}

export async function saveAlertSettings(db: D1Database, tenantId: string, s: AlertSettings): Promise<void> {
  await db
    .prepare(
      `INSERT INTO alert_settings (tenant_id, emails, phones, quiet_minutes) VALUES (?, ?, ?, ?)
       ON CONFLICT(tenant_id) DO UPDATE SET emails = excluded.emails, phones = excluded.phones, quiet_minutes = excluded.quiet_minutes,
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    )
    .bind(tenantId, JSON.stringify(s.emails), JSON.stringify(s.phones), s.quietMinutes)
    .run();
}

export type AlertGate = { send: true; suppressedBefore: number } | { send: false };

/**
 * One atomic step of the de-duplication: the alert is sent when its key was never sent or its last send is at least
 * `quietMs` ago (then the count of repeats held back meanwhile is returned and reset); otherwise it is counted as
 * suppressed. The same event seen twice (a redelivered Queue batch) is neither sent again nor counted.
 */
export async function passAlertGate(
  db: D1Database, tenantId: string, key: string, eventId: string, now: number, quietMs: number,
  about: { kind: string; subject: string; sourceType: string } = { kind: key.split("|")[0]!, subject: key.slice(key.indexOf("|") + 1), sourceType: "" },
): Promise<AlertGate> {
  const before = await db
    .prepare("SELECT suppressed, last_event_id FROM alert_notices WHERE tenant_id = ? AND dedup_key = ?")
    .bind(tenantId, key)
    .first<{ suppressed: number; last_event_id: string }>();
  if (before?.last_event_id === eventId) return { send: false };
  const row = await db
    .prepare(
      `INSERT INTO alert_notices (tenant_id, dedup_key, last_sent_at, last_event_id, suppressed, kind, subject, source_type, last_raised_at)
       VALUES (?1, ?2, ?3, ?4, 0, ?6, ?7, ?8, ?3)
       ON CONFLICT(tenant_id, dedup_key) DO UPDATE SET
         kind = ?6, subject = ?7,
         last_raised_at = CASE WHEN last_event_id = ?4 THEN last_raised_at ELSE MAX(COALESCE(last_raised_at, 0), ?3) END,
         suppressed = CASE WHEN last_event_id = ?4 THEN suppressed WHEN ?3 - last_sent_at >= ?5 THEN 0 ELSE suppressed + 1 END,
         last_sent_at = CASE WHEN last_event_id <> ?4 AND ?3 - last_sent_at >= ?5 THEN ?3 ELSE last_sent_at END,
         last_event_id = CASE WHEN last_event_id <> ?4 AND ?3 - last_sent_at >= ?5 THEN ?4 ELSE last_event_id END
       RETURNING last_sent_at, last_event_id`,
    )
    .bind(tenantId, key, now, eventId, quietMs, about.kind, about.subject, about.sourceType)
    .first<{ last_sent_at: number; last_event_id: string }>();
  if (row!.last_event_id !== eventId) return { send: false };
  return { send: true, suppressedBefore: before?.suppressed ?? 0 };
}

/** What the alert that just passed the gate was about (the event's type and payload): shown in the console's alert list. */
export async function recordAlertPayload(db: D1Database, tenantId: string, key: string, eventId: string, sourceType: string, payload: Record<string, unknown>): Promise<void> {
  await db
    .prepare("UPDATE alert_notices SET source_type = ?, payload = ? WHERE tenant_id = ? AND dedup_key = ? AND last_event_id = ?")
    .bind(sourceType, JSON.stringify(payload), tenantId, key, eventId)
    .run();
}

interface NoticeRow {
  dedup_key: string;
  kind: string | null;
  subject: string | null;
  source_type: string | null;
  payload: string | null;
  last_sent_at: number;
  last_raised_at: number | null;
  suppressed: number;
}

const idIn = (details: Record<string, unknown>, field: string) => (typeof details[field] === "string" ? (details[field] as string) : null);

/** The tenant's alerts (one per kind + subject), most recently raised first. */
export async function listAlertNotices(db: D1Database, tenantId: string, limit = 50): Promise<AlertNotice[]> {
  const { results } = await db
    .prepare(
      `SELECT dedup_key, kind, subject, source_type, payload, last_sent_at, last_raised_at, suppressed FROM alert_notices
       WHERE tenant_id = ? ORDER BY COALESCE(last_raised_at, last_sent_at) DESC, dedup_key LIMIT ?`,
    )
    .bind(tenantId, limit)
    .all<NoticeRow>();
  return results.map((r) => {
    const bar = r.dedup_key.indexOf("|");
    const details = (r.payload ? JSON.parse(r.payload) : {}) as Record<string, string | number | boolean | null>;
    return {
      kind: r.kind ?? (bar < 0 ? r.dedup_key : r.dedup_key.slice(0, bar)),
      subject: r.subject ?? (bar < 0 ? "" : r.dedup_key.slice(bar + 1)),
      sourceType: r.source_type || null,
      lastRaisedAt: new Date(r.last_raised_at ?? r.last_sent_at).toISOString(),
      lastSentAt: new Date(r.last_sent_at).toISOString(),
      heldBack: r.suppressed,
      orderId: idIn(details, "orderId"),
      productId: idIn(details, "productId"),
      supplierId: idIn(details, "supplierId"),
      details,
    };
  });
}
