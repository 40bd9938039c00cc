import type { AlertNotice, AlertSettings } from "../../schema/alerts";
import type { EventEnvelope } from "../../schema/events";
import { getAlertSettings, listAlertNotices, passAlertGate, recordAlertPayload, saveAlertSettings } from "../db/alerts";
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

/** Never kept for the console, whatever an event carries: secrets, card keys, codes, phone numbers. */
const HIDDEN_FIELD = /phone|mobile|secret|password|token|card_?key|code$|pin$/i;
const PHONE_LIKE = /^(\+?86[- ]?)?1[3-9]\d{9}$/;

/** The payload fields the console shows: scalars only, nothing that could be a secret or a phone number. */
export function shownDetails(payload: Record<string, unknown>): AlertNotice["details"] {
  const out: AlertNotice["details"] = {};
  for (const [k, v] of Object.entries(payload)) {
    if (HIDDEN_FIELD.test(k)) continue;
    if (typeof v === "string") {
      if (!PHONE_LIKE.test(v)) out[k] = v.slice(0, 200);
    } else if (typeof v === "number" || typeof v === "boolean" || v === null) out[k] = v;
  }
  return out;
}

/**
 * One alert-worthy event: passes the tenant's de-duplication gate (kind + subject at most once per quiet period)
 * and, when it does, reaches the tenant's e-mail and SMS contacts. Returns whether it passed: webhook endpoints
 * subscribed to `alert` get it only then.
 */
export async function raiseAlert(env: AlertEnv, event: EventEnvelope, alert: AlertOf, now = Date.now()): Promise<boolean> {
  const settings = await getAlertSettings(env.DB, event.tenantId);
  const key = `${alert.kind}|${alert.subject}`;
  const gate = await passAlertGate(env.DB, event.tenantId, key, event.eventId, now, settings.quietMinutes * 60_000, { ...alert, sourceType: event.type });
  if (!gate.send) return false;
  await recordAlertPayload(env.DB, event.tenantId, key, event.eventId, event.type, shownDetails(event.payload));
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

/** The tenant's recent alerts, most recently raised first (the console's inbox). */
export const recentAlerts = (env: Pick<Env, "DB">, tenantId: string): Promise<AlertNotice[]> => listAlertNotices(env.DB, tenantId, 50);
