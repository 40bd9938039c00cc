import type { Scope } from "../../schema/tenancy";
import { hmacSha256Hex, randomToken } from "./crypto";

/** Keys look like `kq_<prefix>_<secret>`: the prefix finds the row, the secret is checked against its keyed hash. */
const KEY_PATTERN = /^kq_([0-9a-zA-Z]{12})_([0-9a-zA-Z]{32})$/;

export interface GeneratedKey {
  prefix: string;
  secret: string;
  full: string;
}

export function generateApiKey(): GeneratedKey {
  const prefix = randomToken(12);
  const secret = randomToken(32);
  return { prefix, secret, full: `kq_${prefix}_${secret}` };
}

export function parseApiKey(full: string): { prefix: string; secret: string } | null {
  const m = KEY_PATTERN.exec(full);
  return m ? { prefix: m[1]!, secret: m[2]! } : null;
}

export function hashKeySecret(pepper: string, secret: string): Promise<string> {
  return hmacSha256Hex(pepper, secret);
}

/** `admin` holds every scope; the others are exactly what they say. */
export function hasScope(granted: readonly Scope[], required: Scope): boolean {
  return granted.includes("admin") || granted.includes(required);
}
