import type { AlertSettings } from "../../schema/alerts";
import type { EventEnvelope } from "../../schema/events";
import { getAlertSettings, passAlertGate, saveAlertSettings } from "../db/alerts";
import type { AlertOf } from "../domain/webhook-match";
import { sandboxEmail } from "../email/sandbox";
import { sandboxSms } from "../sms/sandbox";
import { phoneHash } from "./buyers";

export type AlertEnv = Pick<Env, "DB" | "BUYER_SESSION_SECRET">;

function text(event: EventEnvelope, alert: AlertOf, heldBack: number, quietMinutes: number) {
  const subject = `[kaquan] ${alert.kind}${alert.subject ? `: ${alert.subject}` : ""}`;
  const details = Object.entries(event.payload).map(([k, v]) => `${k}: ${v}`);
  const lines = [subject, `at ${event.occurredAt} (event ${event.eventId}, ${event.type})`, ...details];
  if (heldBack) lines.push(`${heldBack} more of the same alert in the last ${quietMinutes} min were held back`);
  return { subject, body: lines.join("\n") };
}

/**
 * One alert-worthy event: passes the tenant's de-duplication gate (kind + subject at most once per quiet period)
 * and, when it does, reaches the tenant's e-mail and SMS contacts. Returns whether it passed: webhook endpoints
 * subscribed to `alert` get it only then.
 */
export async function raiseAlert(env: AlertEnv, event: EventEnvelope, alert: AlertOf, now = Date.now()): Promise<boolean> {
  const settings = await getAlertSettings(env.DB, event.tenantId);
  const gate = await passAlertGate(env.DB, event.tenantId, `${alert.kind}|${alert.subject}`, event.eventId, now, settings.quietMinutes * 60_000);
  if (!gate.send) return false;
  const { subject, body } = text(event, alert, gate.suppressedBefore, settings.quietMinutes);
  const email = sandboxEmail(env.DB);
  const sms = sandboxSms(env.DB);
  for (const to of settings.emails) await email.send(event.tenantId, to, subject, body);
  for (const phone of settings.phones) await sms.send(event.tenantId, await phoneHash(env, phone), body.slice(0, 300));
  return true;
}

/** Where this tenant's alerts go and the quiet period (defaults until set). */
export const alertSettings = (env: Pick<Env, "DB">, tenantId: string): Promise<AlertSettings> => getAlertSettings(env.DB, tenantId);

/** Changes the alert settings; fields left out keep their value. Returns the settings now in force. */
export async function updateAlertSettings(env: Pick<Env, "DB">, tenantId: string, patch: Partial<AlertSettings>): Promise<AlertSettings> {
  const next = { ...(await getAlertSettings(env.DB, tenantId)), ...patch };
  await saveAlertSettings(env.DB, tenantId, next);
  return next;
}
