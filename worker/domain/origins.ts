import { isPrivateHost } from "./webhook-target";

/** The comma-separated origin list of a setting (CORS_ORIGINS), trimmed, blanks dropped. */
export function allowedOrigins(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).hostname;
  } catch {
    return null;
  }
}

const cache = new Map<string, string[]>();

/**
 * The platform's origins as requests are checked against them. Outside development a local or private-network origin
 * (the committed wrangler.toml's 127.0.0.1 / localhost, if it was deployed without `npm run deploy`'s guard) is never
 * trusted: a page served from the visitor's own machine must not get credentialed CORS on a real deployment.
 */
export function platformOrigins(env: { CORS_ORIGINS?: string; ENVIRONMENT?: string }): string[] {
  const development = env.ENVIRONMENT === "development";
  const key = `${development ? "d" : "p"}|${env.CORS_ORIGINS ?? ""}`;
  let origins = cache.get(key);
  if (!origins) {
    const all = allowedOrigins(env.CORS_ORIGINS);
    origins = development ? all : all.filter((o) => { const h = hostOf(o); return h !== null && !isPrivateHost(h); });
    cache.set(key, origins);
  }
  return origins;
}
