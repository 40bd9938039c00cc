import type { AlertSettings } from "../../schema/alerts";

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
export async function passAlertGate(db: D1Database, tenantId: string, key: string, eventId: string, now: number, quietMs: number): Promise<AlertGate> {
  const before = await db
    .prepare("SELECT suppressed, last_event_id FROM alert_notices WHERE tenant_id = ? AND dedup_key = ?")
    .bind(tenantId, key)
    .first<{ suppressed: number; last_event_id: string }>();
  if (before?.last_event_id === eventId) return { send: false };
  const row = await db
    .prepare(
      `INSERT INTO alert_notices (tenant_id, dedup_key, last_sent_at, last_event_id, suppressed) VALUES (?1, ?2, ?3, ?4, 0)
       ON CONFLICT(tenant_id, dedup_key) DO UPDATE SET
         suppressed = CASE WHEN last_event_id = ?4 THEN suppressed WHEN ?3 - last_sent_at >= ?5 THEN 0 ELSE suppressed + 1 END,
         last_sent_at = CASE WHEN last_event_id <> ?4 AND ?3 - last_sent_at >= ?5 THEN ?3 ELSE last_sent_at END,
         last_event_id = CASE WHEN last_event_id <> ?4 AND ?3 - last_sent_at >= ?5 THEN ?4 ELSE last_event_id END
       RETURNING last_sent_at, last_event_id`,
    )
    .bind(tenantId, key, now, eventId, quietMs)
    .first<{ last_sent_at: number; last_event_id: string }>();
  if (row!.last_event_id !== eventId) return { send: false };
  return { send: true, suppressedBefore: before?.suppressed ?? 0 };
}
