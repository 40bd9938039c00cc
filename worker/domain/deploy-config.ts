/**
 * What a deployment must have before it serves anything. Only ENVIRONMENT = "development" (set by `npm start` through
 * .dev.vars and by the test bindings) runs the sandboxes; every other value, or none, is production.
 */

/** Secrets production refuses to run without (`wrangler secret put NAME`). */
export const REQUIRED_SECRETS = [
  "PLATFORM_ADMIN_TOKEN",
  "API_KEY_PEPPER",
  "WAREHOUSE_INGEST_SECRET",
  "WAREHOUSE_QUERY_SECRET",
  "CARD_KEY_ENCRYPTION_KEY",
  "BUYER_SESSION_SECRET",
  "SUPPLIER_SANDBOX_SECRET",
  "SETTLEMENT_SIGNING_KEY",
] as const;

/** Shorter than this, a secret is a placeholder (generated ones are 43 characters). */
export const MIN_SECRET_LENGTH = 24;
const PLACEHOLDER = /placeholder|change[-_ ]?me|replace[-_ ]?me|example|dummy|secret[-_ ]?here|^(test|dev|bench|local)[-_]|^(.)\2+$/i;

export function isDevelopment(env: { ENVIRONMENT?: string }): boolean {
  return env.ENVIRONMENT === "development";
}

/** True when a value cannot be a real secret: missing, blank, short, or a known placeholder shape. */
export function isPlaceholderSecret(value: unknown): boolean {
  if (typeof value !== "string") return true;
  const v = value.trim();
  return v.length < MIN_SECRET_LENGTH || PLACEHOLDER.test(v);
}

/** The names (never the values) of required secrets that are missing or placeholders; empty in development. */
export function missingSecrets(env: object): string[] {
  if (isDevelopment(env as { ENVIRONMENT?: string })) return [];
  const vars = env as Record<string, unknown>;
  return REQUIRED_SECRETS.filter((name) => isPlaceholderSecret(vars[name]));
}
