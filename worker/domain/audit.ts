/** Pure helpers of the audit log: what a route changes, secret masking, the page cursor. */

const SECRET_KEY = /(secret|password|passwd|token|pepper|private|credential|apikey|signing|sealed|hash)/i;
const SECRET_VALUE = /^(kq_|whsec_|sk_|Bearer\s)/;
// A reference to a secret-bearing thing (apiKeyId, tokenIds, signing_key_id) names it without revealing it.
const REFERENCE = /(Ids?|_ids?)$/;
export const MASK = "***";

/** A copy of `value` with every secret-looking field (by name) or value (by prefix) replaced by "***". */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 12) return MASK;
  if (typeof value === "string") return SECRET_VALUE.test(value) ? MASK : value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY.test(k) && !REFERENCE.test(k) && v !== null && typeof v !== "boolean" ? MASK : maskSecrets(v, depth + 1)]),
    );
  }
  return value;
}

/** Requests that use a write method but change nothing (checks, previews). */
const NOT_CHANGES = [/\/compliance\/check$/, /\/preview$/];

export function isChange(method: string, route: string): boolean {
  return !["GET", "HEAD", "OPTIONS"].includes(method) && !NOT_CHANGES.some((re) => re.test(route));
}

/** Changes that write their audit row in their own batch (so it exists exactly when they do): the recorder skips them. */
const OWN_AUDIT_ROW = [/\/redemptions\/:id\/reverse$/];
export const writesOwnAuditRow = (route: string) => OWN_AUDIT_ROW.some((re) => re.test(route));

/** The resource a route acts on: the first path segment after the API base; its id, the route's first parameter. */
export function resourceOf(route: string, base: string, params: Record<string, string>): { type: string; param: string | null; id: string | null } {
  const rest = route.startsWith(base) ? route.slice(base.length) : route;
  const type = rest.split("/").filter(Boolean)[0] ?? "api";
  const param = /:(\w+)/.exec(rest)?.[1] ?? null;
  return { type, param, id: param ? (params[param] ?? null) : null };
}

export interface AuditCursor {
  at: string;
  id: string;
}
export const encodeCursor = (c: AuditCursor) => btoa(JSON.stringify([c.at, c.id])).replace(/=+$/, "");

export function decodeCursor(s: string): AuditCursor | null {
  try {
    const [at, id] = JSON.parse(atob(s)) as unknown[];
    return typeof at === "string" && typeof id === "string" ? { at, id } : null;
  } catch {
    return null;
  }
}

/** Stored JSON is capped so that one bulk change cannot bloat the log; a capped value says so. */
export function auditJson(value: unknown, max = 16_000): string | null {
  if (value === undefined || value === null) return null;
  const s = JSON.stringify(maskSecrets(value));
  return s.length <= max ? s : JSON.stringify({ truncated: true, bytes: s.length, head: s.slice(0, 2000) });
}
