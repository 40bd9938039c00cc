/**
 * What a deployment must have before it serves anything. Only ENVIRONMENT = "development" (set by `npm start` through
 * .dev.vars and by the test bindings) runs the sandboxes; every other value, or none, is production.
 */
import { allowedOrigins } from "./origins";
import { isPrivateHost } from "./webhook-target";

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

/**
 * The names (never the values) of required settings that are missing or placeholders; empty in development. Turnstile
 * chosen as the challenge needs its two keys, and a CHALLENGE_PROVIDER that names no provider is refused rather than
 * read as the built-in proof of work.
 */
export function missingSecrets(env: object): string[] {
  if (isDevelopment(env as { ENVIRONMENT?: string })) return [];
  const vars = env as Record<string, unknown>;
  const missing: string[] = REQUIRED_SECRETS.filter((name) => isPlaceholderSecret(vars[name]));
  const challenge = vars.CHALLENGE_PROVIDER;
  if (challenge === "turnstile") {
    if (typeof vars.TURNSTILE_SITE_KEY !== "string" || !vars.TURNSTILE_SITE_KEY.trim()) missing.push("TURNSTILE_SITE_KEY");
    if (isPlaceholderSecret(vars.TURNSTILE_SECRET)) missing.push("TURNSTILE_SECRET");
  } else if (challenge !== undefined && challenge !== "sandbox") missing.push("CHALLENGE_PROVIDER (sandbox or turnstile)");
  return missing;
}

/** The parts of wrangler.toml a deploy is checked on (smol-toml's parse of it). */
export interface DeployConfig {
  vars?: Record<string, unknown>;
  d1_databases?: { binding?: string; database_id?: string }[];
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

/**
 * What in the deployable config is still a development setting: `npm run deploy` refuses while any is left, and
 * `npm run deploy:check` lists them. The committed wrangler.toml has them on purpose (the local warehouse address,
 * the local origins, no D1 id yet), so a deploy cannot ship them by forgetting a step of README's Deploy.
 */
export function deployConfigProblems(config: DeployConfig): string[] {
  const vars = config.vars ?? {};
  const problems: string[] = [];
  if (vars.ENVIRONMENT !== "production") problems.push(`ENVIRONMENT is ${JSON.stringify(vars.ENVIRONMENT ?? null)}: only "production" deploys (development mounts the sandboxes)`);
  const warehouse = typeof vars.WAREHOUSE_URL === "string" ? vars.WAREHOUSE_URL : "";
  const host = hostOf(warehouse);
  if (!host) problems.push(`WAREHOUSE_URL ${JSON.stringify(warehouse)} is not a URL: set it to the warehouse's public https address`);
  else if (isPrivateHost(host)) problems.push(`WAREHOUSE_URL points at this machine or a private network (${host}): set it to the warehouse's public https address`);
  else if (!warehouse.startsWith("https://")) problems.push("WAREHOUSE_URL is not https: event batches and dashboard queries would travel in clear");
  const origins = allowedOrigins(typeof vars.CORS_ORIGINS === "string" ? vars.CORS_ORIGINS : undefined);
  const local = origins.filter((o) => {
    const h = hostOf(o);
    return h !== null && isPrivateHost(h);
  });
  if (local.length) problems.push(`CORS_ORIGINS allows local development origins (${local.join(", ")}): list the platform's public origins`);
  // Its first origin is also where the links in buyers' SMS and e-mails point (services/buyer-notices.ts).
  if (!origins.length) problems.push("CORS_ORIGINS is empty: its first origin is the address of the links in buyers' messages");
  for (const db of config.d1_databases ?? []) {
    if (!db.database_id || /^[0-]+$/.test(db.database_id)) problems.push(`D1 ${db.binding ?? "database"} has the placeholder database_id: \`wrangler d1 create kaquan\` and put its id`);
  }
  return problems;
}
